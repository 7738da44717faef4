"""Calibration: fitting, thresholds at a target false-flag rate, JSON storage and validation."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from headcheck.calibrate.calibration import Calibration
from headcheck.calibrate.thresholds import fit_labelled, threshold_for_rate
from headcheck.decide.features import FEATURE_NAMES
from headcheck.errors import CalibrationError

RNG = np.random.default_rng(3)
F = len(FEATURE_NAMES)


def synthetic(n: int, shift: float) -> np.ndarray:
    """Feature rows whose first columns move with ``shift`` (genuine 0, mismatched 3)."""
    rows = RNG.normal(size=(n, F))
    rows[:, :3] -= shift
    return rows


def fitted() -> Calibration:
    genuine, mismatched = synthetic(600, 0.0), synthetic(400, 3.0)
    x = np.vstack([genuine, mismatched])
    y = np.concatenate([np.zeros(600), np.ones(400)])
    words = RNG.integers(2, 15, size=1000)
    decision = fit_labelled(x, y, words, target=0.01)
    return Calibration.of(
        decision, target=0.01, model="test-model", mode="labelled", size=1000, versions={"x": "1"}
    )


def test_rule_flags_take_their_share_of_the_budget() -> None:
    """Genuine pairs a rule flags count against the target: with 0.6% of them ruled, the
    model flags about 0.4% more, and rules and model together about 1%."""
    genuine, mismatched = synthetic(20_000, 0.0), synthetic(2_000, 3.0)
    x = np.vstack([genuine, mismatched])
    y = np.concatenate([np.zeros(20_000), np.ones(2_000)])
    words = np.full(len(y), 8)
    ruled = np.zeros(len(y), dtype=bool)
    ruled[RNG.choice(20_000, 120, replace=False)] = True
    plain = fit_labelled(x, y, words, target=0.01)
    budgeted = fit_labelled(x, y, words, target=0.01, flagged=ruled)
    p = budgeted.probabilities(genuine)
    by_model = p >= budgeted.long_threshold
    assert budgeted.long_threshold > plain.long_threshold
    assert (by_model | ruled[:20_000]).mean() == pytest.approx(0.01, abs=0.001)
    assert by_model[~ruled[:20_000]].mean() == pytest.approx(0.004, abs=0.001)


def test_rule_flagged_pairs_do_not_teach_the_labelled_model() -> None:
    """Rule-flagged pairs are flagged whatever the model says, so a labelled fit learns from
    the others: mismatches that look genuine but a rule catches (a cookie wall under its own
    headline) would otherwise pull its weights towards calling genuine-looking pairs faults."""
    rng = np.random.default_rng(12)

    def rows(n: int, shift: float) -> np.ndarray:
        out = rng.normal(size=(n, F))
        out[:, :3] -= shift
        return out

    genuine, mismatched, walls = rows(2_000, 0.0), rows(600, 3.0), rows(600, 0.0)
    x = np.vstack([genuine, mismatched, walls])
    y = np.concatenate([np.zeros(2_000), np.ones(1_200)])
    words = np.full(len(y), 8)
    ruled = np.arange(len(y)) >= 2_600
    taught = fit_labelled(x, y, words, target=0.01)
    labelled = fit_labelled(x, y, words, target=0.01, flagged=ruled)
    alone = fit_labelled(x[~ruled], y[~ruled], words[~ruled], target=0.01)
    assert labelled.coef == pytest.approx(alone.coef)
    assert not np.allclose(taught.coef, alone.coef, atol=0.05)
    # Taught by the walls, the model gives every genuine-looking pair a higher probability.
    fresh = rows(2_000, 0.0)
    assert taught.probabilities(fresh).mean() > labelled.probabilities(fresh).mean() + 0.05


def test_threshold_is_above_every_score_when_the_target_allows_no_flag() -> None:
    """Too few pairs for the target: nothing genuine is flagged, higher scores still are."""
    scores = np.array([0.1, 0.2, 0.3])
    cut = threshold_for_rate(scores, np.zeros(0), 0.0, 0.01)
    assert 0.3 < cut < 0.31


def test_labelled_fit_separates_and_meets_the_target() -> None:
    """A labelled fit ranks mismatches high and flags at most 1% of genuine rows."""
    calibration = fitted()
    genuine, mismatched = synthetic(2_000, 0.0), synthetic(2_000, 3.0)
    p_genuine = calibration.probabilities(genuine)
    p_mismatched = calibration.probabilities(mismatched)
    assert (p_genuine >= calibration.long_threshold).mean() < 0.03
    assert (p_mismatched >= calibration.long_threshold).mean() > 0.8


def test_json_round_trip(tmp_path: Path) -> None:
    """A saved calibration loads back equal, and the file is plain JSON."""
    calibration = fitted()
    path = tmp_path / "calibration.json"
    calibration.save(path)
    assert json.loads(path.read_text())["format"] == "headcheck-calibration"
    assert Calibration.load(path) == calibration


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="pickle"), "not a headcheck calibration file"),
        (lambda d: d.update(format_version=99), "format_version"),
        (lambda d: d.update(coef=[math.nan] * F), "NaN is not a number"),
        (
            lambda d: d.update(scale=[0.0] * F),
            r"at scale/0: 0\.0 is not in \(0, 1e\+12\]",
        ),
        (lambda d: d.update(feature_names=["a", "b"]), "feature_names"),
        (lambda d: d.update(short_threshold=2.0), "short_threshold"),
        (lambda d: d.update(mode="magic"), "mode"),
        (lambda d: d.update(__reduce__="os.system"), r"unknown field\(s\) '__reduce__'"),
        (lambda d: d.pop("intercept"), r"missing field\(s\) 'intercept'"),
    ],
)
def test_malformed_calibration_is_rejected(change: object, message: str) -> None:
    """Every field is validated; a bad file says what is wrong and what to do."""
    data = json.loads(fitted().to_json())
    change(data)  # type: ignore[operator]
    with pytest.raises(CalibrationError, match=message) as error:
        Calibration.from_json(json.dumps(data))
    assert "headcheck calibrate" in str(error.value)


def test_non_json_calibration_is_rejected(tmp_path: Path) -> None:
    """A pickle is refused as not JSON, never unpickled. (Its bytes are written out by hand:
    the project imports no pickle module; this is protocol 0 of
    {"format": "headcheck-calibration"}, which is valid UTF-8.)"""
    path = tmp_path / "calibration.json"
    path.write_bytes(b"(dp0\nVformat\np1\nVheadcheck-calibration\np2\ns.")
    with pytest.raises(CalibrationError, match="not JSON"):
        Calibration.load(path)


def test_evaluate_ranks_rule_flags_first_and_also_reports_the_model_alone() -> None:
    """A genuine pair that a rule flags outranks every mismatch in ``roc_auc``, which counts
    it against the ranking; ``roc_auc_model`` ranks by the model's score only."""
    from headcheck.calibrate.evaluate import evaluate
    from headcheck.result import CheckResult

    def result(similarity: float, *reasons: str) -> CheckResult:
        return CheckResult(similarity=similarity, reasons=reasons)

    results = [
        result(0.9, "truncated_text"),  # genuine, flagged by a rule
        result(0.8),
        result(0.7),
        result(0.1, "low_similarity"),
        result(0.05, "low_similarity"),
    ]
    labels = [0, 0, 0, 1, 1]
    report = evaluate(results, labels, ["a headline"] * 5)
    assert report["roc_auc_model"] == 1.0
    assert report["roc_auc"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["false_flag_rate"] == pytest.approx(1 / 3, abs=1e-4)


def test_the_calibrator_keeps_the_estimator_contract(detector) -> None:  # type: ignore[no-untyped-def]
    """Calibrator stores its parameters as given, learns only in fit (into calibration_), and
    fit returns the calibrator. A corpus too small to adapt to (counted before anything is
    embedded) gives the shipped decision, here without its context decision as asked."""
    from dataclasses import replace

    from headcheck.calibrate.calibration import default_calibration
    from headcheck.calibrate.corpus import MIN_CALIBRATION_PAIRS, Calibrator

    calibrator = Calibrator(detector, target=0.02, context=False)
    assert (calibrator.detector, calibrator.target, calibrator.context) == (detector, 0.02, False)
    assert not hasattr(calibrator, "calibration_")
    pairs = [(f"Headline {i}", f"A body of its own, number {i}.") for i in range(10)]
    assert len(pairs) < MIN_CALIBRATION_PAIRS
    assert calibrator.fit(pairs) is calibrator
    shipped = default_calibration(detector.backend)
    assert calibrator.calibration_ == replace(shipped, context=None)


def test_calibrating_needs_no_shared_data() -> None:
    """On 300 made-up articles (a hashed bag of words standing in for the model), calibrating
    without labels adapts the shipped decision to the corpus (mode "self", its size, a cheap
    stage fitted on it, the share it flags), and with labels records their mismatch share and
    chooses the thresholds on them."""
    from headcheck import Detector
    from headcheck.calibrate.corpus import Calibrator
    from synthetic import HashEncoder, articles

    detector = Detector(encoder=HashEncoder())
    records = list(articles(300))
    pairs = [(r["title"], r["text"]) for r in records]
    adapted = Calibrator(detector).fit(pairs).calibration_
    assert adapted.mode == "self" and adapted.corpus_size == len(pairs)
    assert adapted.cascade is not None and 0.0 < adapted.cascade.cheap_share <= 1.0
    assert 0.0 <= adapted.estimated_mismatch_rate <= 1.0
    labels = [int(i % 7 == 3) for i in range(len(pairs))]  # the articles under another title
    labelled = Calibrator(detector, target=0.05).fit(pairs, labels).calibration_
    assert labelled.mode == "labelled"
    assert labelled.estimated_mismatch_rate == round(sum(labels) / len(labels), 4)
    assert 0.0 < labelled.short_threshold < 1.0 and 0.0 < labelled.long_threshold < 1.0
