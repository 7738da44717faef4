"""Self-calibration with the real model on real news pairs (FNC-1, from ../shared/data)."""

from __future__ import annotations

import random

import pytest

import fnc1
from headcheck import Detector
from headcheck.calibrate.corpus import calibrate

if not fnc1.fnc1format.present(fnc1.FNC1):
    pytest.skip(f"FNC-1 data not found at {fnc1.FNC1}", allow_module_level=True)


def fnc_sample(bodies: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Related and unrelated pairs of a fixed-seed sample of FNC-1 bodies."""
    texts = fnc1.bodies()
    chosen = set(random.Random(5).sample(sorted(texts), bodies))
    related, unrelated = [], []
    for row in fnc1.stances():
        if row["Body ID"] in chosen:
            pair = (row["Headline"], texts[row["Body ID"]])
            (unrelated if row["Stance"] == "unrelated" else related).append(pair)
    return related, unrelated


def test_self_calibration_without_labels_flags_mismatches_and_few_genuine(
    detector: Detector,
) -> None:
    """Calibrated on an unlabelled crawl (genuine pairs + 3% others), the decision catches
    unrelated headlines and flags few genuine ones of a crawl read as one corpus."""
    related, unrelated = fnc_sample(220)
    crawl = related + unrelated[: len(related) * 3 // 100]
    calibration = calibrate(crawl, detector=detector, target=0.01, seed=1)
    calibrated = Detector(encoder=detector.encoder, calibration=calibration)
    results = list(calibrated.check_many(related + unrelated[:400]))
    false_flags = sum(r.is_mismatch for r in results[: len(related)]) / len(related)
    recall = sum(r.is_mismatch for r in results[len(related) :]) / 400
    assert false_flags <= 0.05
    assert recall >= 0.8
