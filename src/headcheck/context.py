"""Evidence from the rest of the corpus: does a headline fit another body of the corpus far
better than its own, and does the body fit another headline far better than this one?

A pair read alone can only say how similar its headline and body are; a near-topic headline
(a "related stories" link, a sidebar widget) is similar to the body too. Read against the
corpus it came with, it is not: its own story's body is usually in the same crawl, and fits
it better. This is cross-domain similarity local scaling (Conneau et al., 2018, "Word
translation without parallel data") put to work on headlines and bodies, plus two features
that ask whether the headline's best bodies are copies of this body's story.

All four use the headline and lead vectors only (one embedding each per text), over an
index of the distinct headlines and leads of the pairs checked together (a *block*):

* ``headline_gap``: the pair's lead cosine minus the mean of the headline's NEIGHBOURS best
  lead cosines in the index (about 0 when its own body is among its best, negative when
  other bodies fit it better).
* ``body_gap``: the same from the body's side, over the index's headlines.
* ``story_body``: the highest cosine between this body's lead and the leads of the
  headline's best bodies (1 when one of them is this body; low when they are another story).
* ``story_headline``: the highest cosine between this headline and the body's best headlines.

A block holding fewer than MIN_BODIES distinct bodies is too small to be a corpus; its pairs
are decided without these features.

The same module finds bodies cut short: a body whose text is the start of a much longer
body in the same block (a feed summary or teaser scraped next to the whole article).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CONTEXT_FEATURE_NAMES: tuple[str, ...] = (
    "headline_gap",
    "body_gap",
    "story_body",
    "story_headline",
)
#: Best matches averaged for a gap, and searched for a story copy.
NEIGHBOURS = 3
#: Pairs checked together, and the least distinct bodies that make a block a corpus.
DEFAULT_BLOCK = 20_000
MIN_BODIES = 100
#: Rows of the index compared at once (bounds the memory of the similarity matrix).
_CHUNK = 1_024
#: A body is a cut copy of another when its text, at least TRUNCATED_MIN_CHARS long, starts
#: that body and that body is at least TRUNCATED_RATIO times as long.
TRUNCATED_MIN_CHARS = 40
TRUNCATED_RATIO = 3


def _top(similarity: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k largest values of each row (unordered)."""
    if k >= similarity.shape[1]:
        return np.broadcast_to(
            np.arange(similarity.shape[1]), (len(similarity), similarity.shape[1])
        )
    return np.argpartition(-similarity, k - 1, axis=1)[:, :k]


def _side(
    queries: np.ndarray, partners: np.ndarray, index: np.ndarray, own: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """(gap, story) for pairs seen from one side: ``queries`` searched in ``index``, their
    best matches compared with the pair's ``partners`` (vectors of the other side's kind)."""
    gap = np.empty(len(queries))
    story = np.empty(len(queries))
    for start in range(0, len(queries), _CHUNK):
        block = slice(start, start + _CHUNK)
        similarity = queries[block] @ index.T
        top = _top(similarity, k)
        best = np.take_along_axis(similarity, top, axis=1)
        gap[block] = own[block] - best.mean(axis=1)
        story[block] = np.einsum("nkd,nd->nk", index[top], partners[block]).max(axis=1)
    return gap, story


def context_features(
    headlines: np.ndarray,
    leads: np.ndarray,
    index_headlines: np.ndarray,
    index_leads: np.ndarray,
    *,
    neighbours: int = NEIGHBOURS,
) -> np.ndarray:
    """Rows of CONTEXT_FEATURE_NAMES for pairs with these (normalised) headline and lead
    vectors, read against an index of distinct headline and lead vectors."""
    own = np.einsum("nd,nd->n", headlines, leads).astype(np.float64)
    k_bodies = max(1, min(neighbours, len(index_leads)))
    k_headlines = max(1, min(neighbours, len(index_headlines)))
    headline_gap, story_body = _side(headlines, leads, index_leads, own, k_bodies)
    # From the body's side the partner of its best headlines is this pair's headline.
    body_gap, story_headline = _side(leads, headlines, index_headlines, own, k_headlines)
    return np.column_stack([headline_gap, body_gap, story_body, story_headline])


def _flat(text: str) -> str:
    return " ".join(text.split())


def cut_copies(texts: Sequence[str]) -> list[bool]:
    """For each body text, whether it is the start of a much longer body in ``texts``."""
    flat = [_flat(t) for t in texts]
    longest: dict[str, list[str]] = {}
    for text in set(flat):
        if len(text) >= TRUNCATED_MIN_CHARS:
            longest.setdefault(text[:TRUNCATED_MIN_CHARS], []).append(text)
    out = []
    for text in flat:
        others = (
            longest.get(text[:TRUNCATED_MIN_CHARS], ()) if len(text) >= TRUNCATED_MIN_CHARS else ()
        )
        out.append(
            any(len(o) >= TRUNCATED_RATIO * len(text) and o.startswith(text) for o in others)
        )
    return out


def distinct(texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    """The rows of ``vectors`` for the distinct ``texts`` (first of each): an index."""
    first: dict[str, int] = {}
    for i, text in enumerate(texts):
        first.setdefault(text, i)
    return vectors[list(first.values())]
