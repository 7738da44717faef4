"""The two decisions a calibration holds: a logistic model over a pair's own features
(:class:`Decision`), and boosted trees over its features and its corpus evidence
(:class:`ContextDecision`); each with a threshold for short headlines and one for longer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from headcheck.calibrate.validate import number_field
from headcheck.decide.boosted import Trees
from headcheck.decide.context import CONTEXT_FEATURE_NAMES, DEFAULT_BLOCK, NEIGHBOURS
from headcheck.decide.features import FEATURE_NAMES

#: Headlines of at most this many words get their own threshold: they are flagged far more
#: often than longer ones at a shared cut-off.
SHORT_HEADLINE_WORDS = 5
#: The columns of the context decision.
CONTEXT_DECISION_NAMES = FEATURE_NAMES + CONTEXT_FEATURE_NAMES


@dataclass(frozen=True, slots=True)
class Logistic:
    """A logistic model over standardised features with a threshold per headline-length
    bucket: the fields and the arithmetic that :class:`Decision` and the calibration file's
    corpus-free decision (:class:`~headcheck.calibrate.calibration.Calibration`) share."""

    feature_names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    #: Threshold for headlines of at most SHORT_HEADLINE_WORDS words, and for longer ones.
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
class Decision(Logistic):
    """A fitted logistic decision and its thresholds, as the fitting functions return it."""

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
            key: number_field(data, key, 0.0, 1.0, fail, "context ")
            for key in ("short_threshold", "long_threshold", "estimated_mismatch_rate")
        }
        for key, low, high in (("neighbours", 1, 100), ("block", 100, 10_000_000)):
            value = data.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise fail(f"context {key} must be an integer in [{low}, {high}], got {value!r}")
            values[key] = value
        trees = Trees.from_dict(data.get("trees"), len(CONTEXT_DECISION_NAMES), fail)
        return cls(feature_names=CONTEXT_DECISION_NAMES, trees=trees, **values)
