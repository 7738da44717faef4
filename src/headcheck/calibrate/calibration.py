"""The decision and its file: what ``scan`` decides with, shipped or adapted to a corpus.

A calibration holds two decisions (:mod:`headcheck.calibrate.decisions`). The *context*
decision decides pairs that are checked together as a corpus: boosted trees over the pair's
own evidence and the corpus evidence of :mod:`headcheck.decide.context`. The corpus-free
decision (a logistic model over FEATURE_NAMES, the fields of :class:`Calibration` itself)
decides pairs read alone: single checks, small batches, pipelines item by item, the cascade.

headcheck ships one (:func:`default_calibration`), fitted offline on labelled realistic
crawls of the development data by ``benchmarks/fit_default.py``: ``scan`` without
``--calibration`` decides with it. ``headcheck calibrate`` adapts it to a corpus (see
:func:`headcheck.calibrate.corpus.calibrate`): with labels, its thresholds are chosen on them.

Stored as JSON (never pickle): coefficients, feature names, thresholds, target, model id,
versions and corpus size. Loading reads at most MAX_FILE_BYTES, refuses NaN and Infinity,
validates the file against the JSON Schema (:mod:`headcheck.calibrate.validate`), and then
checks what a schema cannot: that the feature names
are this version's and every vector has one number per feature."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, Literal

import numpy as np

from headcheck.calibrate.decisions import SHORT_HEADLINE_WORDS, ContextDecision, Decision, Logistic
from headcheck.calibrate.validate import check_schema, checked_decision, no_constant, number_field
from headcheck.decide.cascade import Cascade
from headcheck.decide.features import FEATURE_NAMES
from headcheck.embed.resolve import BACKENDS
from headcheck.errors import CalibrationError

FORMAT = "headcheck-calibration"
#: 3: fitted on the fast scoring (the sentences compared in the static space, see
#: headcheck.decide.pairwise.Scoring); files of version 2 hold a decision over other features.
FORMAT_VERSION = 3
#: A length bucket needs this many genuine pairs for a threshold of its own.
MIN_BUCKET_PAIRS = 200
#: A calibration file is a few KB; anything past this is not one.
MAX_FILE_BYTES = 1_000_000

#: "default": shipped with headcheck (fitted on labelled crawls of the development data);
#: "self": adapted to a corpus without labels; "labelled": thresholds from a corpus's labels.
Mode = Literal["default", "self", "labelled"]


@dataclass(frozen=True, slots=True)
class Calibration(Logistic):
    """A fitted decision. ``probability`` is the model's mismatch probability for a pair;
    a pair is flagged when it reaches the threshold of its headline's length bucket.
    ``context``, when fitted, is the decision for pairs checked together as a corpus."""

    # feature_names, mean, scale, coef, intercept, short_threshold, long_threshold: Logistic's.
    target_false_flag_rate: float
    model: str
    mode: Mode
    corpus_size: int
    #: Share of the corpus's own pairs estimated to be mismatches (self mode).
    estimated_mismatch_rate: float = 0.0
    versions: dict[str, str] = field(default_factory=dict)
    #: The backend whose similarities the calibration was fitted on ("torch" or "onnx").
    backend: str = "torch"
    #: The cheap first stage fitted on the same pairs (None: every pair goes to the model).
    cascade: Cascade | None = None
    #: The decision for pairs read together as a corpus (None: not fitted).
    context: ContextDecision | None = None

    @classmethod
    def of(
        cls,
        decision: Decision,
        *,
        target: float,
        model: str,
        mode: Mode,
        size: int,
        versions: dict[str, str],
    ) -> Calibration:
        """A calibration file's content around a fitted corpus-free decision."""
        return cls(
            **decision.fields(),
            target_false_flag_rate=target,
            model=model,
            mode=mode,
            corpus_size=size,
            versions=versions,
        )

    def _threshold_logits(self, headline_words: np.ndarray) -> np.ndarray:
        cuts = np.where(
            np.asarray(headline_words) <= SHORT_HEADLINE_WORDS,
            self.short_threshold,
            self.long_threshold,
        )
        cuts = np.clip(cuts, 1e-9, 1 - 1e-9)
        return np.log(cuts / (1 - cuts))

    def margins(self, probabilities: np.ndarray, headline_words: np.ndarray) -> np.ndarray:
        """logit(probability) - logit(threshold of the headline's length bucket), per pair:
        0 or above means flagged (the cascade predicts this)."""
        p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, 1 - 1e-12)
        return np.log(p / (1 - p)) - self._threshold_logits(headline_words)

    def probabilities_from_margins(
        self, margins: np.ndarray, headline_words: np.ndarray
    ) -> np.ndarray:
        """The inverse of :meth:`margins`."""
        logits = np.asarray(margins, dtype=np.float64) + self._threshold_logits(headline_words)
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -50, 50)))

    # -- storage -------------------------------------------------------------------------------

    def to_json(self) -> str:
        # Dataclasses are turned into dicts as json meets them (_fields), not copied deeply
        # first by dataclasses.asdict: the same text, in a fifth of the time for a decision
        # of 200 trees.
        return json.dumps(
            {"format": FORMAT, "format_version": FORMAT_VERSION, **_fields(self)},
            indent=2,
            default=_fields,
        )

    def digest(self) -> str:
        """SHA-256 of :meth:`to_json`: what names this calibration in a run's checkpoint and
        in an options fingerprint. Computed once per object."""
        known = _DIGESTS.get(id(self))
        if known is not None and known[0] is self:
            return known[1]
        value = hashlib.sha256(self.to_json().encode()).hexdigest()
        if len(_DIGESTS) >= 8:
            del _DIGESTS[next(iter(_DIGESTS))]
        _DIGESTS[id(self)] = (self, value)
        return value

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the file (whole, through a partial file and a rename)."""
        from headcheck.io.partial import write_whole

        write_whole(os.fspath(path), self.to_json() + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Calibration:
        try:
            size = os.path.getsize(path)
            if size > MAX_FILE_BYTES:
                raise CalibrationError(
                    f"{path}: {size:,} bytes is not a calibration file (they are a few KB, at "
                    f"most {MAX_FILE_BYTES:,} bytes); recreate it with `headcheck calibrate`"
                )
            with open(path, encoding="utf-8") as f:
                text = f.read(MAX_FILE_BYTES + 1)
        except (OSError, UnicodeDecodeError) as exc:
            raise CalibrationError(
                f"cannot read calibration file {path} as UTF-8 JSON: {exc}; recreate it "
                "with `headcheck calibrate`"
            ) from exc
        return cls.from_json(text, source=str(path))

    @classmethod
    def from_json(cls, text: str, *, source: str = "calibration") -> Calibration:
        """Parse and validate; any problem raises CalibrationError saying what and where."""
        try:
            data = json.loads(text, parse_constant=no_constant)
        except json.JSONDecodeError as exc:
            raise CalibrationError(
                f"{source}: not JSON ({exc.msg} at line {exc.lineno}); recreate it with "
                "`headcheck calibrate`"
            ) from exc
        except (ValueError, RecursionError) as exc:  # NaN, huge integers, deep nesting
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise CalibrationError(
                f"{source}: not a valid calibration file ({reason}); recreate it with "
                "`headcheck calibrate`"
            ) from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise CalibrationError(
                f'{source}: not a headcheck calibration file (expected "format": "{FORMAT}"); '
                "recreate it with `headcheck calibrate`"
            )
        check_schema(data, source)
        return cls._validated(data, source)

    @classmethod
    def _validated(cls, data: Any, source: str) -> Calibration:
        def fail(message: str) -> CalibrationError:
            return CalibrationError(f"{source}: {message}; recreate it with `headcheck calibrate`")

        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise fail(f'not a headcheck calibration file (expected "format": "{FORMAT}")')
        if data.get("format_version") != FORMAT_VERSION:
            raise fail(f"format_version {data.get('format_version')!r} is not {FORMAT_VERSION}")
        names = data.get("feature_names")
        if names != list(FEATURE_NAMES):
            raise fail(f"feature_names {names!r} differ from this version's {list(FEATURE_NAMES)}")

        mode = data.get("mode")
        if mode not in ("default", "self", "labelled"):
            raise fail(f"mode must be 'default', 'self' or 'labelled', got {mode!r}")
        model, size, versions = data.get("model"), data.get("corpus_size"), data.get("versions", {})
        if not isinstance(model, str) or not model:
            raise fail("model must be a non-empty string")
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise fail(f"corpus_size must be a positive integer, got {size!r}")
        if not isinstance(versions, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in versions.items()
        ):
            raise fail("versions must map names to version strings")
        backend = data.get("backend", "torch")
        if backend not in BACKENDS:
            raise fail(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        cascade = data.get("cascade")
        if cascade is not None:
            cascade = Cascade.from_dict(cascade, fail)
        context = data.get("context")
        if context is not None:
            context = ContextDecision.from_dict(context, fail)
        known = {f.name for f in cls.__dataclass_fields__.values()} | {"format", "format_version"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise fail(f"unknown field(s) {unknown}")
        return cls(
            feature_names=FEATURE_NAMES,
            **checked_decision(data, len(FEATURE_NAMES), fail),
            target_false_flag_rate=number_field(data, "target_false_flag_rate", 0.0, 0.5, fail),
            model=model,
            mode=mode,
            corpus_size=size,
            versions=dict(versions),
            backend=backend,
            cascade=cascade,
            context=context,
        )


#: The ``calibration`` that stands for the decision shipped with headcheck.
DEFAULT = "default"


#: Digests of calibrations met lately, by object (a calibration is immutable; the object is
#: kept beside its digest so that a reused id cannot match).
_DIGESTS: dict[int, tuple[Calibration, str]] = {}


def _fields(value: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict, one level deep (json goes on into the values)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


@functools.lru_cache(maxsize=4)
def default_calibration(backend: str = "torch") -> Calibration:
    """The shipped decision for ``backend`` (``headcheck/calibrate/defaults/<backend>.json``),
    fitted on labelled crawls of the development data by ``benchmarks/fit_default.py``. A backend
    without a file of its own uses the torch one: the int8 export's cosines differ from
    torch's by about 0.01."""
    from importlib.resources import files

    folder = files("headcheck.calibrate").joinpath("defaults")
    stored = folder.joinpath(f"{backend}.json")
    if not stored.is_file():
        stored = folder.joinpath("torch.json")
    # Checked as any file is, but for the JSON Schema: walking the schema over 200 trees takes
    # over a second of every start, and the tests hold the shipped files to it.
    source = f"headcheck's default decision ({stored})"
    data = json.loads(stored.read_text(encoding="utf-8"), parse_constant=no_constant)
    return replace(Calibration._validated(data, source), backend=backend)
