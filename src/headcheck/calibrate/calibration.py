"""The decision and its file: what ``scan`` decides with, shipped or adapted to a corpus.

A calibration holds two decisions. The *context* decision (:class:`ContextDecision`)
decides pairs that are checked together as a corpus: boosted trees over the pair's own
evidence and the corpus evidence of :mod:`headcheck.decide.context`. The corpus-free decision (a
logistic model over FEATURE_NAMES, the fields of :class:`Calibration` itself) decides pairs
read alone: single checks, small batches, pipelines item by item, the cascade.

headcheck ships one (:func:`default_calibration`), fitted offline on labelled realistic
crawls of the development data by ``benchmarks/fit_default.py``: ``scan`` without
``--calibration`` decides with it. ``headcheck calibrate`` adapts it to a corpus (see
:func:`headcheck.calibrate.corpus.calibrate`): with labels, its thresholds are chosen on them.

Stored as JSON (never pickle): coefficients, feature names, thresholds, target, model id,
versions and corpus size. Loading reads at most MAX_FILE_BYTES, refuses NaN and Infinity,
validates the file against the JSON Schema shipped beside this module
(``calibration.schema.json``), and then checks what a schema cannot: that the feature names
are this version's and every vector has one number per feature.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, Literal

import numpy as np

from headcheck.decide.boosted import Trees
from headcheck.decide.cascade import Cascade
from headcheck.decide.context import CONTEXT_FEATURE_NAMES, DEFAULT_BLOCK, NEIGHBOURS
from headcheck.decide.features import FEATURE_NAMES
from headcheck.embed.resolve import BACKENDS
from headcheck.errors import HeadcheckError

FORMAT = "headcheck-calibration"
#: 3: fitted on the fast scoring (the sentences compared in the static space, see
#: headcheck.decide.pairwise.Scoring); files of version 2 hold a decision over other features.
FORMAT_VERSION = 3
#: Headlines of at most this many words get their own threshold: they are flagged far more
#: often than longer ones at a shared cut-off.
SHORT_HEADLINE_WORDS = 5
#: A length bucket needs this many genuine pairs for a threshold of its own.
MIN_BUCKET_PAIRS = 200
#: A calibration file is a few KB; anything past this is not one.
MAX_FILE_BYTES = 1_000_000
SCHEMA_FILE = "calibration.schema.json"

#: "default": shipped with headcheck (fitted on labelled crawls of the development data);
#: "self": adapted to a corpus without labels; "labelled": thresholds from a corpus's labels.
Mode = Literal["default", "self", "labelled"]
#: The columns of the context decision.
CONTEXT_DECISION_NAMES = FEATURE_NAMES + CONTEXT_FEATURE_NAMES


class CalibrationError(HeadcheckError, ValueError):
    """A calibration file that is malformed, of another model, or cannot be fitted."""


class _Linear:
    """A logistic model over standardised features with a threshold per headline-length
    bucket: what the corpus-free decision and the context decision share."""

    __slots__ = ()
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    short_threshold: float
    long_threshold: float

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Mismatch probability of each row of ``features`` (columns: feature_names)."""
        z = (np.atleast_2d(features) - np.asarray(self.mean)) / np.asarray(self.scale)
        logits = z @ np.asarray(self.coef) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -50, 50)))

    def threshold_for(self, headline_words: int) -> float:
        return (
            self.short_threshold if headline_words <= SHORT_HEADLINE_WORDS else self.long_threshold
        )


@dataclass(frozen=True, slots=True)
class Decision(_Linear):
    """A fitted logistic decision and its thresholds, as the fitting functions return it."""

    feature_names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    short_threshold: float
    long_threshold: float
    #: Share of the corpus's own pairs estimated (self mode) or labelled to be mismatches.
    estimated_mismatch_rate: float = 0.0

    def fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in Decision.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class ContextDecision:
    """The decision for pairs checked together as a corpus (see :mod:`headcheck.decide.context`):
    boosted trees (:mod:`headcheck.decide.boosted`) over CONTEXT_DECISION_NAMES, the corpus-relative
    columns read against the corpus, with a threshold per headline-length bucket."""

    feature_names: tuple[str, ...]
    trees: Trees
    short_threshold: float
    long_threshold: float
    #: Share of the pairs it was fitted on that were mismatches (labelled).
    estimated_mismatch_rate: float = 0.0
    #: Best matches a context feature looks at, and pairs read together as one corpus.
    neighbours: int = NEIGHBOURS
    block: int = DEFAULT_BLOCK

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """Mismatch probability of each row of corpus feature rows."""
        return self.trees.probabilities(rows)

    def threshold_for(self, headline_words: int) -> float:
        return (
            self.short_threshold if headline_words <= SHORT_HEADLINE_WORDS else self.long_threshold
        )

    @classmethod
    def from_dict(cls, data: Any, fail: Callable[[str], Exception]) -> ContextDecision:
        if not isinstance(data, dict):
            raise fail("context must be an object")
        if data.get("feature_names") != list(CONTEXT_DECISION_NAMES):
            raise fail(
                f"context feature_names {data.get('feature_names')!r} differ from this "
                f"version's {list(CONTEXT_DECISION_NAMES)}"
            )
        values: dict[str, Any] = {
            key: _number(data, key, 0.0, 1.0, fail, "context ")
            for key in ("short_threshold", "long_threshold", "estimated_mismatch_rate")
        }
        for key, low, high in (("neighbours", 1, 100), ("block", 100, 10_000_000)):
            value = data.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise fail(f"context {key} must be an integer in [{low}, {high}], got {value!r}")
            values[key] = value
        trees = Trees.from_dict(data.get("trees"), len(CONTEXT_DECISION_NAMES), fail)
        return cls(feature_names=CONTEXT_DECISION_NAMES, trees=trees, **values)


@dataclass(frozen=True, slots=True)
class Calibration(_Linear):
    """A fitted decision. ``probability`` is the model's mismatch probability for a pair;
    a pair is flagged when it reaches the threshold of its headline's length bucket.
    ``context``, when fitted, is the decision for pairs checked together as a corpus."""

    feature_names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    #: Threshold for headlines of at most SHORT_HEADLINE_WORDS words, and for longer ones.
    short_threshold: float
    long_threshold: float
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
            data = json.loads(text, parse_constant=_no_constant)
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
        _check_schema(data, source)
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
            **_checked_decision(data, len(FEATURE_NAMES), fail),
            target_false_flag_rate=_number(data, "target_false_flag_rate", 0.0, 0.5, fail),
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
    data = json.loads(stored.read_text(encoding="utf-8"), parse_constant=_no_constant)
    return replace(Calibration._validated(data, source), backend=backend)


def _number(
    data: dict[str, Any],
    key: str,
    low: float,
    high: float,
    fail: Callable[[str], Exception],
    prefix: str = "",
) -> float:
    value = data.get(key)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise fail(f"{prefix}{key} must be a number in [{low}, {high}], got {value!r}")
    return float(value)


def _checked_decision(
    data: dict[str, Any], width: int, fail: Callable[[str], Exception], prefix: str = ""
) -> dict[str, Any]:
    """The fields of a logistic decision in ``data``, checked: vectors of ``width`` finite
    numbers (scales above 0), thresholds and the mismatch rate in [0, 1]."""

    def numbers(key: str, positive: bool = False) -> tuple[float, ...]:
        value = data.get(key)
        ok = (
            isinstance(value, list)
            and len(value) == width
            and all(
                isinstance(v, (int, float))
                and not isinstance(v, bool)
                and math.isfinite(v)
                and (v > 0 or not positive)
                for v in value
            )
        )
        if not ok or not isinstance(value, list):
            raise fail(
                f"{prefix}{key} must be {width} finite numbers" + (" above 0" if positive else "")
            )
        return tuple(float(v) for v in value)

    return {
        "mean": numbers("mean"),
        "scale": numbers("scale", positive=True),
        "coef": numbers("coef"),
        "intercept": _number(data, "intercept", -1e6, 1e6, fail, prefix),
        "short_threshold": _number(data, "short_threshold", 0.0, 1.0, fail, prefix),
        "long_threshold": _number(data, "long_threshold", 0.0, 1.0, fail, prefix),
        "estimated_mismatch_rate": _number(data, "estimated_mismatch_rate", 0.0, 1.0, fail, prefix),
    }


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a calibration file may hold")


def schema() -> dict[str, Any]:
    """The JSON Schema of calibration files (shipped as calibration.schema.json)."""
    from importlib.resources import files

    return json.loads(
        files("headcheck.calibrate").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    )


def _check_schema(data: Any, source: str) -> None:
    """Raise CalibrationError naming the first place where ``data`` breaks the schema."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is None:
        return
    where = "/".join(str(part) for part in error.absolute_path) or "the top level"
    message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    raise CalibrationError(
        f"{source}: not a valid calibration file: at {where}: {message}; recreate it with "
        "`headcheck calibrate`"
    )


# -- fitting ---------------------------------------------------------------------------------


def _draft(x: np.ndarray, y: np.ndarray, names: tuple[str, ...]) -> Decision:
    """A logistic model fitted on standardised features, thresholds still to be chosen."""
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    fitted = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2_000)
    fitted.fit((x - mean) / scale, y)
    return Decision(
        names,
        tuple(mean.tolist()),
        tuple(scale.tolist()),
        tuple(fitted.coef_[0].tolist()),
        float(fitted.intercept_[0]),
        1.0,
        1.0,
    )


def _bucket_thresholds(
    headline_words: np.ndarray, choose: Callable[[np.ndarray], float]
) -> tuple[float, float]:
    """Thresholds for short and for longer headlines, each chosen by ``choose`` on a mask of
    the pairs in its bucket; a bucket with too few pairs gets the threshold chosen on all."""
    short = headline_words <= SHORT_HEADLINE_WORDS
    overall = choose(np.ones(len(headline_words), dtype=bool))
    short_cut, long_cut = (
        choose(bucket) if bucket.sum() >= MIN_BUCKET_PAIRS else overall
        for bucket in (short, ~short)
    )
    return short_cut, long_cut


def _tail(sorted_scores: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """P(score >= cut) for each cut, from ascending scores."""
    if len(sorted_scores) == 0:
        return np.zeros(len(cuts))
    return 1.0 - np.searchsorted(sorted_scores, cuts, side="left") / len(sorted_scores)


def threshold_for_rate(
    crawl: np.ndarray, repaired: np.ndarray, mismatch_rate: float, target: float
) -> float:
    """The lowest probability cut-off above which the estimated false-flag rate on the
    crawl's genuine pairs never exceeds ``target``, where
    P(genuine >= t) = (P(crawl >= t) - r P(repaired >= t)) / (1 - r)."""
    rate = min(mismatch_rate, 0.5)
    cuts = np.unique(crawl)
    estimated = (_tail(np.sort(crawl), cuts) - rate * _tail(np.sort(repaired), cuts)) / (1 - rate)
    over = np.nonzero(estimated > target)[0]
    if len(over) == 0:
        return float(cuts[0]) if len(cuts) else 1.0
    last = int(over.max())
    # Above the highest cut that flags too many; past the top score when every cut does.
    return float(cuts[last + 1]) if last + 1 < len(cuts) else float(np.nextafter(cuts[-1], 2.0))


#: The score a genuine pair that a rule flags counts with when thresholds are chosen on
#: labels: above every probability, so it is flagged at any threshold.
_RULED = 2.0


def fit_labelled(
    features: np.ndarray,
    labels: np.ndarray,
    headline_words: np.ndarray,
    *,
    target: float,
    names: tuple[str, ...] = FEATURE_NAMES,
    flagged: np.ndarray | None = None,
) -> Decision:
    """Fit on labelled pairs (1 = mismatch): thresholds meet ``target`` on the genuine ones,
    rule flags (``flagged``) included.

    The model is fitted on the pairs no rule flags: it decides only those."""
    if len(set(labels.tolist())) < 2:
        raise CalibrationError(
            "labelled calibration needs both genuine (0) and mismatched (1) pairs"
        )
    # The model decides only the pairs no rule flags, so it learns from those alone.
    learn = np.ones(len(labels), dtype=bool) if flagged is None else ~flagged
    if len(set(labels[learn].tolist())) < 2:
        learn[:] = True
    draft = _draft(features[learn], labels[learn], names)
    short_cut, long_cut = labelled_thresholds(
        draft.probabilities(features), labels, headline_words, target=target, flagged=flagged
    )
    return replace(
        draft,
        short_threshold=short_cut,
        long_threshold=long_cut,
        estimated_mismatch_rate=float(labels.mean()),
    )


def labelled_thresholds(
    probabilities: np.ndarray,
    labels: np.ndarray,
    headline_words: np.ndarray,
    *,
    target: float,
    flagged: np.ndarray | None = None,
) -> tuple[float, float]:
    """Thresholds (short headlines, longer ones) that flag ``target`` of the genuine pairs
    (label 0), the pairs ``flagged`` by a rule counted as flagged at any threshold."""
    genuine = labels == 0
    scores = probabilities[genuine]
    if flagged is not None:
        # The labels say these are genuine: a rule flag on them is a false flag.
        scores = np.where(flagged[genuine], _RULED, scores)
    none = np.zeros(0)
    return _bucket_thresholds(
        headline_words[genuine],
        lambda rows: min(1.0, threshold_for_rate(scores[rows], none, 0.0, target)),
    )
