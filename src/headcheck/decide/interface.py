"""The one interface every way of deciding implements, and what it is given.

A *decision* takes prepared pairs with what is known of them (:class:`Pairs`) and returns
verdicts (:class:`~headcheck.result.CheckResult`) for the pairs it decides, by position.
:class:`~headcheck.detector.Detector` composes them and decides nothing itself:

1. the multilingual tier (:class:`~headcheck.decide.multilingual.TierDecision`) takes the
   pairs whose body is surely in another language than English;
2. outside a corpus, the cheap stage (:class:`~headcheck.decide.pairwise.CheapDecision`)
   decides the clear pairs without the transformer and leaves the others;
3. the model (:class:`~headcheck.decide.pairwise.ModelDecision`) decides every pair left:
   by the plain threshold, or by the calibrated model;
4. read as a corpus, the context decision (:class:`~headcheck.decide.corpus.CorpusDecision`)
   decides the model's pairs again with the evidence of the others, and the tier reads its
   own pairs together (:class:`~headcheck.decide.multilingual.TierCorpusDecision`).

Each verdict's ``stage`` names the decision that made it. When a corpus decision cannot read
a block (too few bodies, or too few pairs that vouch for each other) the earlier verdicts
stand, with their own stage: ``"model"``, not ``"corpus"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from headcheck.result import CheckResult, Stage
from headcheck.text.prepare import Prepared

#: What a decision that embeds keeps of a pair for a reading as a corpus: its units, and its
#: headline and lead vectors.
Kept = tuple[Prepared, np.ndarray, np.ndarray]


@dataclass
class Pairs:
    """Pairs to decide, by their position in what is checked together."""

    #: The pairs to decide.
    units: dict[int, Prepared]
    #: Where a decision that embeds puts what it keeps of each pair it decides (None: keep
    #: nothing); what a corpus decision reads as the corpus, which may hold more pairs than
    #: it decides.
    kept: dict[int, Kept] | None = None
    #: The verdicts so far, which a corpus decision reads and revises.
    verdicts: dict[int, CheckResult] = field(default_factory=dict)


class Decision(Protocol):
    """A way of deciding."""

    #: What the verdicts it makes say in ``stage``.
    stage: Stage

    def decide(self, pairs: Pairs) -> dict[int, CheckResult]:
        """Verdicts on the pairs of ``pairs.units`` it decides; the others are left to the
        next decision."""
        ...
