"""The two decisions a calibration holds: a logistic model over a pair's own features
(:class:`Decision`), and boosted trees over its features and its corpus evidence
(:class:`ContextDecision`); each with a threshold for short headlines and one for longer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from headcheck.decide.boosted import Trees
from headcheck.decide.context import CONTEXT_FEATURE_NAMES, DEFAULT_BLOCK, NEIGHBOURS
from headcheck.decide.features import FEATURE_NAMES
from headcheck.schema import Array, Const, Number, Record, stored

#: Headlines of at most this many words get their own threshold: they are flagged far more
#: often than longer ones at a shared cut-off.
SHORT_HEADLINE_WORDS = 5
#: The columns of the context decision.
CONTEXT_DECISION_NAMES = FEATURE_NAMES + CONTEXT_FEATURE_NAMES

#: The stored kinds of the decisions' numbers.
PROBABILITY = Number(0.0, 1.0)
INTERCEPT = Number(-1e6, 1e6)
#: One number per feature of the corpus-free decision.
WIDTH = len(FEATURE_NAMES)
VECTOR = Array(Number(-1e12, 1e12), WIDTH, WIDTH)


@dataclass(frozen=True, slots=True)
class Logistic:
    """A logistic model over standardised features with a threshold per headline-length
    bucket: the fields and the arithmetic that :class:`Decision` and the calibration file's
    corpus-free decision (:class:`~headcheck.calibrate.calibration.Calibration`) share."""

    feature_names: tuple[str, ...] = field(metadata=stored(Const(FEATURE_NAMES)))
    mean: tuple[float, ...] = field(metadata=stored(VECTOR))
    scale: tuple[float, ...] = field(
        metadata=stored(Array(Number(0.0, 1e12, above=True), WIDTH, WIDTH))
    )
    coef: tuple[float, ...] = field(metadata=stored(VECTOR))
    intercept: float = field(metadata=stored(INTERCEPT))
    #: Threshold for headlines of at most SHORT_HEADLINE_WORDS words, and for longer ones.
    short_threshold: float = field(metadata=stored(PROBABILITY))
    long_threshold: float = field(metadata=stored(PROBABILITY))

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
    estimated_mismatch_rate: float = field(default=0.0, metadata=stored(PROBABILITY))

    def fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in Decision.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class ContextDecision:
    """The decision for pairs checked together as a corpus (see :mod:`headcheck.decide.context`):
    boosted trees (:mod:`headcheck.decide.boosted`) over CONTEXT_DECISION_NAMES, the corpus-relative
    columns read against the corpus, with a threshold per headline-length bucket."""

    feature_names: tuple[str, ...] = field(metadata=stored(Const(CONTEXT_DECISION_NAMES)))
    trees: Trees = field(metadata=stored(Record(Trees)))
    short_threshold: float = field(metadata=stored(PROBABILITY))
    long_threshold: float = field(metadata=stored(PROBABILITY))
    #: Share of the pairs it was fitted on that were mismatches (labelled).
    estimated_mismatch_rate: float = field(default=0.0, metadata=stored(PROBABILITY))
    #: Best matches a context feature looks at, and pairs read together as one corpus.
    neighbours: int = field(default=NEIGHBOURS, metadata=stored(Number(1, 100, integer=True)))
    block: int = field(
        default=DEFAULT_BLOCK, metadata=stored(Number(100, 10_000_000, integer=True))
    )

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """Mismatch probability of each row of corpus feature rows."""
        return self.trees.probabilities(rows)

    def threshold_for(self, headline_words: int) -> float:
        return (
            self.short_threshold if headline_words <= SHORT_HEADLINE_WORDS else self.long_threshold
        )

    def stored_problem(self) -> str | None:
        """What a schema cannot say: that the trees split on features there are."""
        return self.trees.problem(len(self.feature_names))
