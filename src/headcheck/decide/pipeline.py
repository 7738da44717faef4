"""How a detector's decisions are composed: what decides a batch of pairs, and a block of
pairs read as one corpus (see :mod:`headcheck.decide.interface` for the order).

A batch: the pairs that cannot be scored get their reason, a pair seen lately gets its cached
verdict, then each decision decides the pairs left. A block read as a corpus: every pair is
decided on its own by the model first (the tier's pairs too, as part of the corpus), then
the corpus decision decides the model's pairs again, and the tier reads its own together.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

from headcheck.decide.context import MIN_BODIES
from headcheck.decide.corpus import BlockEvidence, CorpusDecision, corpus_evidence
from headcheck.decide.interface import Kept, Pairs
from headcheck.decide.multilingual import TierCorpusDecision, TierDecision
from headcheck.decide.pairwise import CheapDecision, ModelDecision
from headcheck.result import CheckResult, Reason
from headcheck.text.inputs import has_word, input_problem
from headcheck.text.prepare import Prepared, prepare_many

#: Whole results are kept for cache_size / PAIRS_PER_TEXT recent pairs (4,000 by default; a
#: result with its evidence sentence is a few hundred bytes, keyed by a 16-byte digest).
PAIRS_PER_TEXT = 5


@dataclass
class _Found:
    """What the per-pair decisions of a block keep for reading it as a corpus: each pair
    the model scored (``kept``), each pair of the tier (``tier``), and the tier's verdicts,
    put in place once the model's verdicts have been read (``overrides``)."""

    kept: dict[int, Kept] = field(default_factory=dict)
    tier: dict[int, Kept] = field(default_factory=dict)
    overrides: dict[int, CheckResult] = field(default_factory=dict)


class Pipeline:
    """The decisions of a detector in the order they decide: the multilingual ``tier`` and
    the ``cheap`` stage (either may be None), the ``pairwise`` model, and the ``corpus``
    decision (None: pairs are never read as a corpus). Batches hold ``batch_size`` pairs;
    the verdicts of the last ``pair_cache_size`` pairs seen outside a corpus are kept."""

    def __init__(
        self,
        *,
        tier: TierDecision | None,
        cheap: CheapDecision | None,
        pairwise: ModelDecision,
        corpus: CorpusDecision | None,
        batch_size: int,
        pair_cache_size: int,
    ) -> None:
        self.tier = tier
        self.cheap = cheap
        self.pairwise = pairwise
        self.corpus = corpus
        self.batch_size = batch_size
        self.pair_cache_size = pair_cache_size
        self._pairs: dict[bytes, CheckResult] = {}

    def check_with(
        self, pairs: list[tuple[Any, Any]], reference: list[tuple[Any, Any]]
    ) -> list[CheckResult]:
        """Verdicts of ``pairs`` read as one corpus with ``reference`` (see
        :meth:`~headcheck.detector.Detector.check_in_context`)."""
        # Counted first, cheaply: a stream that repeats a few bodies (a site's widget pages)
        # would otherwise pay for reading a block that turns out to be no corpus.
        bodies = {body for _, body in reference + pairs if isinstance(body, str)}
        if self.corpus is None or len(bodies) < MIN_BODIES:
            step = self.batch_size
            batches = (pairs[start : start + step] for start in range(0, len(pairs), step))
            return [r for batch in batches for r in self.check_batch(batch)]
        results = self.check_block(reference + pairs)[len(reference) :]
        return [
            r if r.suggestion_position is None else replace(r, suggestion_position=None)
            for r in results
        ]

    def block_evidence(self, block: list[tuple[Any, Any]], *, neighbours: int) -> BlockEvidence:
        """Score a block of pairs as one corpus: each pair alone first, then the corpus
        evidence of the scored ones (``rows`` is None when the block is too small)."""
        results, found = self._check_pairs(block, corpus=True)
        evidence = corpus_evidence(results, found.kept, neighbours=neighbours)
        self._tier_results(results, found)
        return evidence

    def check_block(self, block: list[tuple[Any, Any]]) -> list[CheckResult]:
        """Check a block of pairs as one corpus: score each, then decide with the context."""
        assert self.corpus is not None
        results, found = self._check_pairs(block, corpus=True)
        model = {k: results[k] for k in found.kept}  # read before the tier's are put in place
        self._tier_results(results, found)
        decided = {k: found.kept[k][0] for k in found.kept if k not in found.overrides}
        for k, verdict in self.corpus.decide(Pairs(decided, found.kept, model)).items():
            results[k] = verdict
        return results

    def check_small_block(self, block: list[tuple[Any, Any]]) -> list[CheckResult]:
        """A block too small to be a corpus: each pair decided on its own, the tier's pairs
        still read together."""
        results, found = self._check_pairs(block, corpus=False)
        self._tier_results(results, found)
        return results

    def _check_pairs(
        self, block: list[tuple[Any, Any]], *, corpus: bool
    ) -> tuple[list[CheckResult], _Found]:
        """Every pair of a block decided on its own, batch by batch, with what is kept of
        them (see :meth:`check_batch`; with ``corpus``, the tier's pairs are scored by the
        model too, as part of the corpus)."""
        results: list[CheckResult] = []
        found = _Found()
        for start in range(0, len(block), self.batch_size):
            part = _Found()
            results.extend(
                self.check_batch(block[start : start + self.batch_size], part, corpus=corpus)
            )
            found.kept.update((start + i, value) for i, value in part.kept.items())
            found.tier.update((start + i, value) for i, value in part.tier.items())
            found.overrides.update((start + i, value) for i, value in part.overrides.items())
        return results, found

    @staticmethod
    def _tier_results(results: list[CheckResult], found: _Found) -> None:
        """Put the tier's verdicts in place, and read its pairs together."""
        for k, result in found.overrides.items():
            results[k] = result
        if found.tier:
            verdicts = {k: results[k] for k in found.tier}
            for k, verdict in TierCorpusDecision().decide(Pairs({}, found.tier, verdicts)).items():
                results[k] = verdict

    def check_batch(
        self, batch: list[tuple[Any, Any]], found: _Found | None = None, *, corpus: bool = False
    ) -> list[CheckResult]:
        """Verdicts of a batch: those of the pairs that cannot be scored, the cache's, then
        each decision's in turn on the pairs left. With ``found``, the tier's pairs are kept
        there; with ``corpus`` (a block read as a corpus), every pair is scored by the model
        and kept there too, and the tier's verdicts go to ``found.overrides`` while
        ``results`` keeps those pairs' model verdicts, which the corpus evidence reads."""
        results: list[CheckResult | None] = [None] * len(batch)
        todo: dict[int, tuple[str, str]] = {}
        keys: dict[int, bytes] = {}
        for i, pair in enumerate(batch):
            headline, body = pair
            problem: Reason | None = input_problem(headline, body)
            if problem is None and not corpus and self.pair_cache_size:
                # A crawl repeats whole records (re-crawled pages, syndicated copies): the
                # result of a pair seen lately is reused without preparing it again.
                key = hashlib.blake2b(
                    f"{headline}\x00{body}".encode("utf-8", "surrogatepass"), digest_size=16
                ).digest()
                if (seen := self._pairs.get(key)) is not None:
                    results[i] = seen
                    continue
                keys[i] = key
            if problem is None:
                todo[i] = (headline, body)
            else:
                results[i] = CheckResult(similarity=None, reasons=(problem,))
        prepared: dict[int, Prepared] = {}
        for i, units in zip(todo, prepare_many(list(todo.values())), strict=True):
            if not has_word(units.headline):
                results[i] = CheckResult(similarity=None, reasons=("empty_title",))
            elif not has_word(units.lead):
                results[i] = CheckResult(similarity=None, reasons=("empty_text",))
            else:
                prepared[i] = units
        tier: dict[int, CheckResult] = {}
        if prepared and self.tier is not None:
            picked = {i: u for i, u in prepared.items() if self.tier.takes(u)}
            if picked:
                tier = self.tier.decide(Pairs(picked, None if found is None else found.tier))
                # In a corpus block the tier's pairs are still read on the English path, as
                # part of the corpus the English pairs are judged against (their results are
                # the tier's): without them, the English pairs' decision would shift.
                if not corpus or self.tier.everything:
                    for i in tier:
                        del prepared[i]
        if prepared and self.cheap is not None and not corpus:
            for i, result in self.cheap.decide(Pairs(prepared)).items():
                results[i] = result
                del prepared[i]
        if prepared:
            kept = None if not corpus or found is None else found.kept
            for i, result in self.pairwise.decide(Pairs(prepared, kept)).items():
                results[i] = result
        for i, result in tier.items():
            if corpus and found is not None:
                found.overrides[i] = result
            else:
                results[i] = result
        for i, key in keys.items():
            if len(self._pairs) >= self.pair_cache_size:
                del self._pairs[next(iter(self._pairs))]  # oldest first, as for texts
            self._pairs[key] = results[i]  # type: ignore[assignment]  # filled above
        return results  # type: ignore[return-value]  # every slot is filled above
