"""Fitting a decision's thresholds (and, with labels, its logistic model): per length bucket
of headlines, to flag a target share of the genuine pairs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from headcheck.calibrate.calibration import MIN_BUCKET_PAIRS
from headcheck.calibrate.decisions import SHORT_HEADLINE_WORDS, Decision
from headcheck.decide.features import FEATURE_NAMES
from headcheck.errors import CalibrationError

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
