"""The cascade: decide clearly genuine and clearly broken pairs cheaply, and spend the
transformer only on the uncertain band between them.

The cheap stage sees, per pair, the static-embedding cosines of the headline with the lead
and with its best sentence (:mod:`headcheck.embed.static`) and the lexical features of
:mod:`headcheck.decide.features`. Two linear models, fitted when a corpus is calibrated, predict
from these what the full model would say: its *margin* (the calibrated mismatch logit minus
the logit of the pair's threshold: 0 or above means flagged) and its similarity. The band is
chosen on the calibration pairs, where the full model's answer is known: below ``low``
predicted margin, at most ``tolerance`` of the pairs are flagged by the full model, and above
``high`` at most ``tolerance`` are not. Pairs outside the band take the cheap decision; the
share that agrees with the full model on the calibration pairs is kept as ``agreement``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from headcheck.decide.features import lexical_features
from headcheck.embed.static import StaticEmbedder
from headcheck.schema import Array, Const, Number, stored
from headcheck.text.prepare import Prepared

CHEAP_FEATURE_NAMES: tuple[str, ...] = (
    "static_lead_cosine",
    "static_sentence_cosine",
    "word_overlap",
    "name_overlap",
    "number_overlap",
    "headline_words",
    "body_words",
)
#: Share of disagreements with the full model allowed among the pairs decided cheaply.
DEFAULT_TOLERANCE = 0.002

#: The stored kinds of the cheap stage's numbers.
_NUMBER = Number(-1e6, 1e6)
_VECTOR = Array(_NUMBER, len(CHEAP_FEATURE_NAMES), len(CHEAP_FEATURE_NAMES))
_SHARE = Number(0.0, 1.0)


@dataclass(frozen=True, slots=True)
class Cascade:
    """A fitted cheap stage and its band, stored inside the calibration file."""

    feature_names: tuple[str, ...] = field(metadata=stored(Const(CHEAP_FEATURE_NAMES)))
    margin_coef: tuple[float, ...] = field(metadata=stored(_VECTOR))
    margin_intercept: float = field(metadata=stored(_NUMBER))
    similarity_coef: tuple[float, ...] = field(metadata=stored(_VECTOR))
    similarity_intercept: float = field(metadata=stored(_NUMBER))
    #: Predicted margins at or below ``low`` are genuine, at or above ``high`` flagged.
    low: float = field(metadata=stored(_NUMBER))
    high: float = field(metadata=stored(_NUMBER))
    tolerance: float = field(metadata=stored(Number(0.0, 0.5)))
    #: On the calibration pairs: share decided cheaply, and share of those agreeing.
    cheap_share: float = field(metadata=stored(_SHARE))
    agreement: float = field(metadata=stored(_SHARE))

    def predict(self, cheap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(predicted margin, predicted similarity) for each row of cheap features."""
        x = np.atleast_2d(cheap)
        margin = x @ np.asarray(self.margin_coef) + self.margin_intercept
        similarity = x @ np.asarray(self.similarity_coef) + self.similarity_intercept
        return margin, np.clip(similarity, -1.0, 1.0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def stored_problem(self) -> str | None:
        """What a schema cannot say: that the band is not upside down."""
        if self.low > self.high:
            return f"cascade low {self.low} is above high {self.high}"
        return None


def cheap_features(
    prepared: list[Prepared], static: StaticEmbedder
) -> tuple[np.ndarray, list[int]]:
    """The rows of CHEAP_FEATURE_NAMES for prepared pairs, and each pair's best sentence."""
    texts = [t for u in prepared for t in (u.headline, u.lead, *u.sentences)]
    vectors = static.encode(texts)
    rows = np.zeros((len(prepared), len(CHEAP_FEATURE_NAMES)))
    best: list[int] = []
    at = 0
    for i, units in enumerate(prepared):
        headline, lead = vectors[at], vectors[at + 1]
        sentences = vectors[at + 2 : at + 2 + len(units.sentences)]
        at += 2 + len(units.sentences)
        cosines = sentences @ headline if len(sentences) else np.zeros(1)
        best.append(int(np.argmax(cosines)))
        rows[i, 0] = float(lead @ headline)
        rows[i, 1] = float(cosines.max())
        rows[i, 2:] = lexical_features(units.headline, units.text)
    return rows, best


def _cut(predicted: np.ndarray, wrong: np.ndarray, tolerance: float) -> float:
    """The furthest cut along ``predicted`` (ascending) whose prefix holds at most
    ``tolerance`` wrong pairs per pair."""
    order = np.argsort(predicted, kind="stable")
    errors = np.cumsum(wrong[order])
    taken = np.arange(1, len(order) + 1)
    ok = np.nonzero(errors <= tolerance * taken)[0]
    if len(ok) == 0:  # no prefix qualifies: a cut below every pair decides none
        return float(predicted.min()) - 1.0
    k = int(ok.max()) + 1
    return float(predicted[order[k - 1]])


class CascadeFitter:
    """Fits the cheap stage, following scikit-learn's estimator contract: ``tolerance`` (the
    share of disagreements with the full model allowed among the pairs decided cheaply) is
    stored as given, :meth:`fit` learns ``cascade_`` and returns the fitter."""

    def __init__(self, tolerance: float = DEFAULT_TOLERANCE) -> None:
        self.tolerance = tolerance

    def fit(self, X: np.ndarray, y: np.ndarray, similarity: np.ndarray) -> CascadeFitter:
        """Fit on the pairs' cheap features ``X`` (CHEAP_FEATURE_NAMES), their full-model
        margins ``y`` (>= 0: flagged) and their full-model ``similarity``."""
        from sklearn.linear_model import LinearRegression

        cheap, margin, tolerance = X, y, self.tolerance
        margin_model = LinearRegression().fit(cheap, margin)
        similarity_model = LinearRegression().fit(cheap, similarity)
        predicted = margin_model.predict(cheap)
        flagged = margin >= 0
        low = _cut(predicted, flagged, tolerance)
        negative_high = _cut(-predicted, ~flagged, tolerance)
        high = -negative_high
        if low >= high:  # the two tails meet: keep a band of width 0 at the midpoint
            low = high = (low + high) / 2
        decided_low = predicted <= low
        decided_high = (predicted >= high) & ~decided_low
        decided = decided_low | decided_high
        agree = (decided_low & ~flagged) | (decided_high & flagged)
        self.cascade_ = Cascade(
            CHEAP_FEATURE_NAMES,
            tuple(margin_model.coef_.tolist()),
            float(margin_model.intercept_),
            tuple(similarity_model.coef_.tolist()),
            float(similarity_model.intercept_),
            low,
            high,
            tolerance,
            round(float(decided.mean()), 4),
            round(float(agree.sum() / decided.sum()), 5) if decided.any() else 1.0,
        )
        return self


def fit_cascade(
    cheap: np.ndarray, margin: np.ndarray, similarity: np.ndarray, *, tolerance: float
) -> Cascade:
    """The cheap stage fitted on pairs whose full-model margin and similarity are known (see
    :class:`CascadeFitter`)."""
    return CascadeFitter(tolerance).fit(cheap, margin, similarity).cascade_
