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
versions and corpus size. Each field's kind is declared once, on its dataclass
(:mod:`headcheck.schema`): that declaration is both the JSON Schema shipped beside this module
(:func:`schema`) and the one check every file is read through, the shipped ones included.
Loading reads at most MAX_FILE_BYTES and refuses NaN and Infinity before that check."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, Literal, get_args

import numpy as np

from headcheck.calibrate.decisions import (
    PROBABILITY,
    SHORT_HEADLINE_WORDS,
    ContextDecision,
    Decision,
    Logistic,
)
from headcheck.decide.cascade import Cascade
from headcheck.embed.resolve import BACKENDS
from headcheck.errors import CalibrationError
from headcheck.schema import (
    Choice,
    Const,
    Invalid,
    Mapping,
    Nullable,
    Number,
    Record,
    Text,
    json_schema,
    stored,
)

FORMAT = "headcheck-calibration"
#: 3: fitted on the fast scoring (the sentences compared in the static space, see
#: headcheck.decide.pairwise.Scoring); files of version 2 hold a decision over other features.
FORMAT_VERSION = 3
#: A length bucket needs this many genuine pairs for a threshold of its own.
MIN_BUCKET_PAIRS = 200
#: A calibration file is a few KB; anything past this is not one.
MAX_FILE_BYTES = 1_000_000
#: The JSON Schema of calibration files, shipped beside this module (written from FILE).
SCHEMA_FILE = "calibration.schema.json"

#: "default": shipped with headcheck (fitted on labelled crawls of the development data);
#: "self": adapted to a corpus without labels; "labelled": thresholds from a corpus's labels.
Mode = Literal["default", "self", "labelled"]


@dataclass(frozen=True, slots=True)
class Calibration(Logistic):
    """A fitted decision. ``probability`` is the model's mismatch probability for a pair;
    a pair is flagged when it reaches the threshold of its headline's length bucket.
    ``context``, when fitted, is the decision for pairs checked together as a corpus."""

    # feature_names, mean, scale, coef, intercept, short_threshold, long_threshold: Logistic's.
    target_false_flag_rate: float = field(metadata=stored(Number(0.0, 0.5)))
    model: str = field(metadata=stored(Text(1, 1000)))
    mode: Mode = field(metadata=stored(Choice(get_args(Mode))))
    corpus_size: int = field(metadata=stored(Number(1, 1e12, integer=True)))
    #: Share of the corpus's own pairs estimated to be mismatches (self mode).
    estimated_mismatch_rate: float = field(default=0.0, metadata=stored(PROBABILITY))
    versions: dict[str, str] = field(
        default_factory=dict, metadata=stored(Mapping(Text(0, 200), 64))
    )
    #: The backend whose similarities the calibration was fitted on ("torch" or "onnx").
    backend: str = field(default="torch", metadata=stored(Choice(BACKENDS)))
    #: The cheap first stage fitted on the same pairs (None: every pair goes to the model).
    cascade: Cascade | None = field(default=None, metadata=stored(Nullable(Record(Cascade))))
    #: The decision for pairs read together as a corpus (None: not fitted).
    context: ContextDecision | None = field(
        default=None, metadata=stored(Nullable(Record(ContextDecision)))
    )

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

    def to_json(self, *, indent: int | None = 2) -> str:
        # Dataclasses are turned into dicts as json meets them (_fields), not copied deeply
        # first by dataclasses.asdict: the same text, in a fifth of the time for a decision
        # of 200 trees.
        return json.dumps(
            {"format": FORMAT, "format_version": FORMAT_VERSION, **_fields(self)},
            indent=indent,
            default=_fields,
        )

    def digest(self) -> str:
        """SHA-256 of :meth:`to_json` without indents (json's C encoder writes that, a tenth
        of a second sooner at start for the shipped decision): what names this calibration
        in a run's checkpoint and in an options fingerprint. Computed once per object."""
        known = _DIGESTS.get(id(self))
        if known is not None and known[0] is self:
            return known[1]
        value = hashlib.sha256(self.to_json(indent=None).encode()).hexdigest()
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
        return read(data, source)


#: The ``calibration`` that stands for the decision shipped with headcheck.
DEFAULT = "default"


#: What a calibration file holds: the format's name and version, then the fields.
FILE = Record(
    Calibration,
    head={
        "format": Const(FORMAT, "the format"),
        "format_version": Const(FORMAT_VERSION, "this version's format"),
    },
)


def read(data: Any, source: str) -> Calibration:
    """The calibration a file's parsed JSON holds, checked against FILE: CalibrationError
    naming the first place that breaks it."""
    try:
        calibration: Calibration = FILE.read(data)
    except Invalid as exc:
        raise CalibrationError(
            f"{source}: not a valid calibration file: {exc}; recreate it with `headcheck calibrate`"
        ) from exc
    return calibration


def schema() -> dict[str, Any]:
    """The JSON Schema of calibration files, as FILE declares it (and SCHEMA_FILE holds)."""
    return json_schema(
        FILE,
        title="headcheck calibration file",
        description=(
            "Written by `headcheck calibrate`; read by Calibration.load. Generated from the "
            "declarations in headcheck.calibrate.calibration (headcheck.schema)."
        ),
        uri="https://headcheck.invalid/calibration.schema.json",
    )


def no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a calibration file may hold")


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
    shipped = folder.joinpath(f"{backend}.json")
    if not shipped.is_file():
        shipped = folder.joinpath("torch.json")
    source = f"headcheck's default decision ({shipped})"
    data = json.loads(shipped.read_text(encoding="utf-8"), parse_constant=no_constant)
    return replace(read(data, source), backend=backend)
