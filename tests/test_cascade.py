"""The cascade: a cheap stage fitted to agree with the model, deciding only clear-cut pairs."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from conftest import CRICKET_TITLE, POLITICS, POLITICS_TITLE
from fnc1 import needs_fnc1
from headcheck import Detector
from headcheck.calibrate.calibration import Calibration
from headcheck.calibrate.corpus import calibrate
from headcheck.decide.cascade import CHEAP_FEATURE_NAMES, Cascade, fit_cascade
from headcheck.errors import CalibrationError
from test_calibration import fitted
from test_selfcal import fnc_sample

N = len(CHEAP_FEATURE_NAMES)


def synthetic_margins(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cheap features, and a full-model margin that depends on them plus noise."""
    rng = np.random.default_rng(seed)
    cheap = rng.normal(size=(n, N))
    margin = cheap @ np.linspace(1.0, 0.2, N) + rng.normal(scale=0.5, size=n)
    return cheap, margin, np.tanh(-margin) * 0.5


def hand_cascade(low: float, high: float) -> Cascade:
    """A cascade whose prediction is the constant 0 for every pair (coefficients 0)."""
    zeros = (0.0,) * N
    return Cascade(CHEAP_FEATURE_NAMES, zeros, 0.0, zeros, 0.3, low, high, 0.002, 0.5, 1.0)


def test_band_keeps_disagreements_within_tolerance() -> None:
    """Outside the band at most `tolerance` of the pairs disagree with the model, each side."""
    cheap, margin, similarity = synthetic_margins(20_000)
    cascade = fit_cascade(cheap, margin, similarity, tolerance=0.002)
    predicted, _ = cascade.predict(cheap)
    cleared, condemned = predicted <= cascade.low, predicted >= cascade.high
    assert (margin[cleared] >= 0).mean() <= 0.002
    assert (margin[condemned] < 0).mean() <= 0.002
    assert cascade.cheap_share == pytest.approx((cleared | condemned).mean(), abs=1e-3)
    assert cascade.agreement >= 0.998
    assert 0.3 < cascade.cheap_share < 1.0


def test_a_stricter_tolerance_widens_the_band() -> None:
    """Allowing fewer disagreements sends more pairs to the model."""
    cheap, margin, similarity = synthetic_margins(20_000, seed=1)
    loose = fit_cascade(cheap, margin, similarity, tolerance=0.01)
    strict = fit_cascade(cheap, margin, similarity, tolerance=0.0005)
    assert strict.cheap_share < loose.cheap_share
    assert strict.low <= loose.low and strict.high >= loose.high


def test_calibration_with_a_cascade_round_trips_through_json() -> None:
    """The cascade is saved inside the calibration's JSON and loads back equal."""
    cheap, margin, similarity = synthetic_margins(2_000)
    calibration = replace(
        fitted(), backend="onnx", cascade=fit_cascade(cheap, margin, similarity, tolerance=0.002)
    )
    assert Calibration.from_json(calibration.to_json()) == calibration


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("low", math.nan, "NaN"),
        ("high", "1", "cascade/high"),
        ("margin_coef", [1.0, 2.0], "margin_coef"),
        ("feature_names", ["a"], "feature_names"),
        ("pickle", "cos\nsystem", r"at cascade: unknown field\(s\) 'pickle'"),
        ("tolerance", 0.9, "cascade/tolerance"),
    ],
)
def test_a_tampered_cascade_is_rejected(key: str, value: object, message: str) -> None:
    """Bad cascade fields fail to load with a message naming the field."""
    data = json.loads(replace(fitted(), cascade=hand_cascade(-1.0, 1.0)).to_json())
    data["cascade"][key] = value
    with pytest.raises(CalibrationError, match=message):
        Calibration.from_json(json.dumps(data))


def test_unknown_backend_in_a_calibration_is_rejected() -> None:
    """A calibration naming a backend this version lacks is refused."""
    data = json.loads(fitted().to_json())
    data["backend"] = "tensorrt"
    with pytest.raises(CalibrationError, match="backend"):
        Calibration.from_json(json.dumps(data))


def test_calibration_of_another_backend_is_refused() -> None:
    """A torch calibration cannot drive the onnx backend: the message says to recalibrate."""
    with pytest.raises(ValueError, match="calibrate again"):
        Detector(backend="onnx", calibration=fitted())


def test_cleared_pairs_skip_the_model_but_keep_their_rules(detector: Detector) -> None:
    """A pair the cheap stage clears is decided without the model, and a rule still flags a
    boilerplate headline; the estimated similarity is the cascade's."""
    calibration = replace(fitted(), cascade=hand_cascade(low=1.0, high=2.0))
    cheap = Detector(encoder=detector.encoder, calibration=calibration)
    own, cricket = cheap.check_many([(POLITICS_TITLE, POLITICS), (CRICKET_TITLE, POLITICS)])
    assert own.stage == cricket.stage == "cheap"
    assert own.reasons == ()
    assert cricket.reasons == ("boilerplate_title",)
    assert own.similarity == pytest.approx(0.3)
    assert own.features is None
    assert own.evidence is not None and own.evidence in POLITICS


def test_condemned_and_uncertain_pairs(detector: Detector) -> None:
    """Above the band a pair is flagged cheaply; inside it the model decides."""
    calibration = replace(fitted(), cascade=hand_cascade(-2.0, -1.0))
    condemn = Detector(encoder=detector.encoder, calibration=calibration)
    result = condemn.check(POLITICS_TITLE, POLITICS)
    assert result.stage == "cheap" and "low_similarity" in result.reasons
    # A predicted margin of 0 is a probability right at the headline's threshold.
    cut = calibration.threshold_for(len(POLITICS_TITLE.split()))
    assert result.mismatch_probability == pytest.approx(cut)
    unsure = Detector(
        encoder=detector.encoder, calibration=replace(fitted(), cascade=hand_cascade(-1.0, 1.0))
    )
    assert unsure.check(POLITICS_TITLE, POLITICS).stage == "model"
    off = Detector(
        encoder=detector.encoder,
        calibration=replace(fitted(), cascade=hand_cascade(1.0, 2.0)),
        cascade=False,
    )
    assert off.check(POLITICS_TITLE, POLITICS).stage == "model"


@needs_fnc1
def test_self_calibrated_cascade_agrees_with_the_model_on_fnc(detector: Detector) -> None:
    """Calibrated on an unlabelled FNC-1 crawl, the cascade decides most genuine pairs cheaply
    and its decisions match the full model's on 98.5% of genuine and unrelated pairs."""
    related, unrelated = fnc_sample(220)
    crawl = related + unrelated[: len(related) * 3 // 100]
    calibration = calibrate(crawl, detector=detector, target=0.01, seed=1)
    assert calibration.cascade is not None
    pairs = related + unrelated[:300]
    # The cascade serves the corpus-free decision: pairs decided one by one.
    full = Detector(encoder=detector.encoder, calibration=calibration, cascade=False, context=False)
    fast = Detector(encoder=detector.encoder, calibration=calibration, context=False)
    full_results, fast_results = list(full.check_many(pairs)), list(fast.check_many(pairs))
    pairs_of_results = zip(full_results, fast_results, strict=True)
    agree = np.mean([a.is_mismatch == b.is_mismatch for a, b in pairs_of_results])
    cheap_genuine = np.mean([r.stage == "cheap" for r in fast_results[: len(related)]])
    # The band allows 0.2% disagreements on the calibration pairs (3% re-paired); here a
    # tenth of the pairs are re-paired, where the band is more often crossed.
    assert agree >= 0.985
    assert cheap_genuine >= 0.5


def test_the_fitter_keeps_the_estimator_contract() -> None:
    """CascadeFitter stores its parameter as given, learns only in fit (into cascade_), and
    fit returns the fitter: what fit_cascade gives."""
    from headcheck.decide.cascade import CascadeFitter

    cheap, margin, similarity = synthetic_margins(5_000, seed=2)
    fitter = CascadeFitter(tolerance=0.003)
    assert fitter.tolerance == 0.003 and not hasattr(fitter, "cascade_")
    assert fitter.fit(cheap, margin, similarity) is fitter
    assert fitter.cascade_ == fit_cascade(cheap, margin, similarity, tolerance=0.003)
    assert fitter.cascade_.tolerance == 0.003
