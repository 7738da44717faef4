"""Deciding each pair on its own: the model's decision, and the cheap stage before it.

:class:`ModelDecision` scores every pair with the transformer and decides by the plain
threshold on the similarity, or by the calibrated model's probability
(:mod:`headcheck.calibrate.calibration`). :class:`CheapDecision` is the cascade's first
stage (:mod:`headcheck.decide.cascade`): it decides the clearly genuine and clearly broken
pairs from static vectors and lexical features, and leaves the uncertain band to the model.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from headcheck.calibrate.calibration import Calibration
from headcheck.decide.cascade import Cascade, cheap_features
from headcheck.decide.features import pair_features
from headcheck.decide.interface import Pairs
from headcheck.decide.threshold import combine, is_mismatch
from headcheck.embed.cached import Embeddings
from headcheck.result import CheckResult, Stage
from headcheck.text.language import reported
from headcheck.text.prepare import Prepared
from headcheck.text.rules import rule_reasons

#: How a pair is scored. ``full``: the transformer embeds the headline, the lead and the first
#: sentences, and ``similarity`` is the mean of the headline's cosine with the lead and with
#: its best sentence (the plain ``threshold`` decides on it). ``fast``, what the calibrated
#: decisions (the shipped default included) are fitted on: the transformer embeds only the
#: headline and the lead, the sentences are compared with the headline in the static space
#: (:mod:`headcheck.embed.static`), and ``similarity`` is the headline's cosine with the
#: lead. Half the transformer's work, at the same recall on the realistic crawls
#: (seed-held-out, recall 0.935 against 0.926 on FNC-1, 0.823 against 0.827 on ARC). A lead
#: of half the length would halve it again, but cost 0.09 of the near-topic recall.
Scoring = Literal["fast", "full"]
SCORINGS: tuple[str, ...] = ("fast", "full")


class ModelDecision:
    """Every pair scored by the transformer; flagged ``low_similarity`` when its similarity
    is under ``threshold`` (no calibration) or its probability reaches the calibration's
    threshold for its headline's length."""

    stage: Stage = "model"

    def __init__(
        self,
        embeddings: Embeddings,
        *,
        calibration: Calibration | None,
        threshold: float,
        scoring: Scoring,
    ) -> None:
        self.embeddings = embeddings
        self.calibration = calibration
        self.threshold = threshold
        self.scoring = scoring

    def decide(self, pairs: Pairs) -> dict[int, CheckResult]:
        prepared = pairs.units
        static: dict[str, np.ndarray] | None = None
        if self.scoring == "fast":
            vectors = self.embeddings.vectors(
                [t for u in prepared.values() for t in (u.headline, u.lead)]
            )
            texts = list(
                dict.fromkeys(t for u in prepared.values() for t in (u.headline, *u.sentences))
            )
            static = dict(zip(texts, self.embeddings.static.encode(texts), strict=True))
        else:
            vectors = self.embeddings.vectors(
                [t for u in prepared.values() for t in (u.headline, u.lead, *u.sentences)]
            )
        verdicts: dict[int, CheckResult] = {}
        for i, units in prepared.items():
            verdicts[i] = self.score(units, vectors, static)
            if pairs.kept is not None:
                pairs.kept[i] = (units, vectors[units.headline], vectors[units.lead])
        return verdicts

    def score(
        self,
        units: Prepared,
        vectors: dict[str, np.ndarray],
        static: dict[str, np.ndarray] | None = None,
    ) -> CheckResult:
        """The verdict on one pair: ``static`` holds the static vectors of its headline and
        sentences in the fast scoring (None: the sentences are in ``vectors``)."""
        headline = vectors[units.headline]
        lead_similarity = float(vectors[units.lead] @ headline)
        space = vectors if static is None else static
        sentence_vectors = np.stack([space[s] for s in units.sentences])
        cosines = sentence_vectors @ space[units.headline]
        index = int(np.argmax(cosines))
        sentence_similarity = float(cosines[index])
        similarity = (
            combine(lead_similarity, sentence_similarity) if static is None else lead_similarity
        )
        features = pair_features(
            lead_similarity,
            cosines,
            units.headline,
            units.text,
            sentence_vectors=sentence_vectors,
            sentence_count=units.sentence_count,
        )
        reasons = rule_reasons(units)
        probability = None
        if self.calibration is None:
            flagged = is_mismatch(similarity, self.threshold)
        else:
            probability = float(self.calibration.probabilities(features)[0])
            flagged = probability >= self.calibration.threshold_for(len(units.headline.split()))
        if flagged:
            reasons.append("low_similarity")
        return CheckResult(
            similarity=similarity,
            reasons=tuple(reasons),
            evidence=units.sentences[index],
            lead_similarity=lead_similarity,
            sentence_similarity=sentence_similarity,
            mismatch_probability=probability,
            features=tuple(features.tolist()),
            stage=self.stage,
            headline_language=reported(units.headline_language),
            body_language=reported(units.body_language),
        )


class CheapDecision:
    """The cascade's first stage: the pairs whose predicted margin is outside its band,
    decided from static vectors; the band is left to the model."""

    stage: Stage = "cheap"

    def __init__(self, embeddings: Embeddings, cascade: Cascade, calibration: Calibration):
        self.embeddings = embeddings
        self.cascade = cascade
        self.calibration = calibration

    def decide(self, pairs: Pairs) -> dict[int, CheckResult]:
        keys = list(pairs.units)
        units = [pairs.units[i] for i in keys]
        rows, best = cheap_features(units, self.embeddings.static)
        margins, similarities = self.cascade.predict(rows)
        words = np.array([len(u.headline.split()) for u in units])
        probabilities = self.calibration.probabilities_from_margins(margins, words)
        decided: dict[int, CheckResult] = {}
        for k, i in enumerate(keys):
            if self.cascade.low < margins[k] < self.cascade.high:
                continue
            reasons = rule_reasons(units[k])
            if margins[k] >= self.cascade.high:
                reasons.append("low_similarity")
            decided[i] = CheckResult(
                similarity=float(similarities[k]),
                reasons=tuple(reasons),
                evidence=units[k].sentences[best[k]],
                mismatch_probability=float(probabilities[k]),
                stage=self.stage,
                headline_language=reported(units[k].headline_language),
                body_language=reported(units[k].body_language),
            )
        return decided
