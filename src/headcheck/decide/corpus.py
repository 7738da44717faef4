"""Deciding pairs read together as one corpus: the context decision.

The model's verdicts of a block are read again with the evidence of the other pairs
(:mod:`headcheck.decide.context`, :mod:`headcheck.decide.teasers`), through the calibration's
boosted trees (:class:`~headcheck.calibrate.calibration.ContextDecision`); the structure of
the corpus names what a flag is (an index page, a mixed body, a body cut short), and a
flagged body that another headline of the corpus fits far better gets that headline as a
suggestion.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from headcheck.calibrate.decisions import CONTEXT_DECISION_NAMES, ContextDecision
from headcheck.decide.context import MIN_BODIES, CorpusIndex
from headcheck.decide.features import FEATURE_NAMES
from headcheck.decide.interface import Kept, Pairs
from headcheck.decide.neighbours import neighbour_features
from headcheck.decide.relative import relative_to_corpus
from headcheck.decide.teasers import Teasers, body_features, cut_copies
from headcheck.result import CheckResult, Reason, Stage
from headcheck.text.prepare import Prepared

#: Read as a corpus, a body is an index page or a mixed body when this many of its
#: paragraphs open other bodies of it (copies of itself aside); mixed when at least
#: MIXED_REST_CHARS of it are left once they are set aside.
TEASER_RULE = 2
MIXED_REST_CHARS = 300
#: A flagged body of one sentence, this far below the corpus's median log word count (about
#: a third of its length), is given as cut short rather than as a mismatch.
SHORT_BODY = -1.0
#: A flagged pair's body gets another pair's headline as a suggestion when that headline's
#: cosine with it is at least this much above its own headline's.
SUGGESTION_MARGIN = 0.2


@dataclass(frozen=True)
class BlockEvidence:
    """What reading a block as a corpus found: the verdicts of every pair, and for the
    scored ones (positions ``keys``) their units, feature rows (CONTEXT_DECISION_NAMES),
    the teasers of other bodies in them and whether they are cut copies of longer ones
    (``rows`` is None when the block is too small to be a corpus)."""

    results: list[CheckResult]
    keys: list[int]
    units: list[Prepared]
    rows: np.ndarray | None
    teasers: Teasers | None
    cut: list[bool] | None
    index: CorpusIndex | None = None
    #: The scored pairs' lead vectors (rows in ``keys`` order).
    leads: np.ndarray | None = None


def corpus_evidence(
    results: list[CheckResult], kept: dict[int, Kept], *, neighbours: int
) -> BlockEvidence:
    """The corpus evidence of the pairs ``kept`` (their model verdicts in ``results``, by
    position), over an index of their headlines and leads."""
    keys = sorted(kept)
    units = [kept[k][0] for k in keys]
    texts = (
        [u.headline for u in units],
        np.stack([kept[k][1] for k in keys]) if keys else np.zeros((0, 0)),
        [u.lead for u in units],
        np.stack([kept[k][2] for k in keys]) if keys else np.zeros((0, 0)),
    )
    index = CorpusIndex.of(*texts)
    if index.bodies < MIN_BODIES:
        return BlockEvidence(results, keys, units, None, None, None)
    base = np.array([results[k].features for k in keys], dtype=np.float64)
    bodies = [u.text for u in units]
    extra, found = body_features(
        bodies, [u.paragraphs for u in units], base[:, FEATURE_NAMES.index("body_words")]
    )
    rows = np.hstack(
        [
            base,
            index.features(*texts, neighbours=neighbours),
            extra,
            neighbour_features(index, texts[0], texts[2], neighbours=neighbours),
        ]
    )
    relative = relative_to_corpus(rows, CONTEXT_DECISION_NAMES)
    if relative is None:  # too few pairs vouch for each other to read the rest against
        return BlockEvidence(results, keys, units, None, None, None)
    return BlockEvidence(results, keys, units, relative, found, cut_copies(bodies), index, texts[3])


class CorpusDecision:
    """The calibration's context decision over a block's corpus evidence."""

    stage: Stage = "corpus"

    def __init__(self, decision: ContextDecision) -> None:
        self.decision = decision

    def decide(self, pairs: Pairs) -> dict[int, CheckResult]:
        """Verdicts on ``pairs.units``, read with every pair of ``pairs.kept`` (whose model
        verdicts are in ``pairs.verdicts``); none when they are too few to be a corpus."""
        if pairs.kept is None:
            return {}
        positions = max(pairs.kept, default=-1) + 1
        model = [pairs.verdicts.get(k) for k in range(positions)]
        evidence = corpus_evidence(
            model,  # type: ignore[arg-type]  # read only at the kept positions, all filled
            pairs.kept,
            neighbours=self.decision.neighbours,
        )
        return self._decide(evidence, pairs)

    def _decide(self, evidence: BlockEvidence, pairs: Pairs) -> dict[int, CheckResult]:
        """Verdicts on ``pairs.units`` from evidence already gathered."""
        if evidence.rows is None or evidence.teasers is None or evidence.cut is None:
            return {}  # too few bodies to be a corpus: the earlier verdicts stand
        decision = self.decision
        probabilities = decision.probabilities(evidence.rows)
        relative = evidence.rows[:, CONTEXT_DECISION_NAMES.index("relative_body_words")]
        verdicts: dict[int, CheckResult] = {}
        for row, k in enumerate(evidence.keys):
            if k not in pairs.units:
                continue  # read here only as part of the corpus (the tier decides it)
            result, units = pairs.verdicts[k], evidence.units[row]
            reasons: list[Reason] = [r for r in result.reasons if r != "low_similarity"]
            if evidence.cut[row] and "truncated_text" not in reasons:
                reasons.append("truncated_text")
            teasers = int(evidence.teasers.counts[row])
            probability = float(probabilities[row])
            flagged = probability >= decision.threshold_for(len(units.headline.split()))
            structure: Reason | None = None
            if teasers >= TEASER_RULE:
                structure = (
                    "mixed_text"
                    if evidence.teasers.rest_chars[row] >= MIXED_REST_CHARS
                    else "index_page"
                )
            if flagged and structure is None and not reasons:
                if units.sentence_count <= 1 and relative[row] <= SHORT_BODY:
                    structure = "truncated_text"
                else:
                    structure = "low_similarity"
            if structure is not None and structure not in reasons:
                reasons.append(structure)
            verdict = replace(
                result, reasons=tuple(reasons), mismatch_probability=probability, stage=self.stage
            )
            if structure == "low_similarity" or "boilerplate_title" in reasons:
                verdict = suggest(verdict, evidence, row)
            verdicts[k] = verdict
        return verdicts


def suggest(result: CheckResult, evidence: BlockEvidence, row: int) -> CheckResult:
    """The result with the corpus's headline that fits its body best as a suggestion, when
    that headline fits it far better than its own (by SUGGESTION_MARGIN)."""
    assert evidence.index is not None and evidence.leads is not None
    cosines = evidence.index.headlines @ evidence.leads[row]
    best = int(np.argmax(cosines))
    own = evidence.index.headline_rows.get(evidence.units[row].headline)
    if best == own or cosines[best] - (cosines[own] if own is not None else 0.0) < (
        SUGGESTION_MARGIN
    ):
        return result
    text = evidence.index.headline_texts[best]
    # The index's rows are the headlines' first occurrences, in order of the pairs.
    position = evidence.keys[evidence.index.headline_first[best]]
    return replace(result, suggestion=text, suggestion_position=position)
