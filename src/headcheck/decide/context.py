"""Evidence from the rest of the corpus: does a headline fit another body of the corpus far
better than its own, and does the body fit another headline far better than this one?

A pair read alone can only say how similar its headline and body are; a near-topic headline
(a "related stories" link, a sidebar widget) is similar to the body too. Read against the
corpus it came with, it is not: its own story's body is usually in the same crawl, and fits
it better. This is cross-domain similarity local scaling (Conneau et al., 2018, "Word
translation without parallel data") put to work on headlines and bodies, plus features
that ask whether the headline's best bodies are copies of this body's story, and whether the
same headline or body sits in other pairs of the corpus that fit better.

All use the headline and lead vectors only (one embedding each per text), over an
index of the distinct headlines and leads of the pairs checked together (a *block*):

* ``headline_gap``: the pair's lead cosine minus the mean of the headline's NEIGHBOURS best
  lead cosines in the index (about 0 when its own body is among its best, negative when
  other bodies fit it better).
* ``body_gap``: the same from the body's side, over the index's headlines.
* ``story_body``: the highest cosine between this body's lead and the leads of the
  headline's best bodies (1 when one of them is this body; low when they are another story,
  the headline's own).
* ``story_headline``: the same between this headline and the body's best headlines.
* ``headline_repeat``: where the same headline sits on other bodies of the corpus (a
  "related stories" headline is also its own article's), the pair's cosine minus the best
  of theirs; 0 when it sits on no other body.
* ``body_repeat``: the same for a body under other headlines.
* ``teaser_paragraphs``: the log count of the body's paragraphs that open *other* bodies of
  the corpus (an index page is a list of other stories' teasers; a mixed body has them above
  its own story).
* ``relative_body_words``: the body's log word count minus the corpus median (a body cut
  after its first sentence is far shorter than the corpus's articles); the median is
  that of the anchors (see :func:`relative_to_corpus`).
* ``neighbour_headlines``: the mean cosine between the headline and the headlines of the
  NEIGHBOURS bodies most like this body (other pairs' leads): the stories next to a body
  carry headlines like its own, unless its headline belongs elsewhere.
* ``neighbour_bodies``: the same from the headline's side: the mean cosine between this
  body's lead and the leads under the NEIGHBOURS headlines most like this one.

In both, copies of a text are equal candidates, and where more of them tie for the last of
the NEIGHBOURS places than there are places, each counts for its share (a headline in the
crawl fifty times has forty-nine copies at cosine 1): the columns do not depend on the rows'
order or on a threaded matrix product's rounding, so Spark's one-thread workers and a scan
on all cores write the same verdicts. They are computed in :mod:`headcheck.decide.neighbours`.

A block holding fewer than MIN_BODIES distinct bodies is too small to be a corpus; its pairs
are decided without these features.

:mod:`headcheck.decide.teasers` reads the bodies against each other (teasers of other
stories, bodies cut short), and :mod:`headcheck.decide.relative` reads every column against
the corpus's anchors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: The columns of :meth:`CorpusIndex.features`.
INDEX_FEATURE_NAMES: tuple[str, ...] = (
    "headline_gap",
    "body_gap",
    "story_body",
    "story_headline",
    "headline_repeat",
    "body_repeat",
)
CONTEXT_FEATURE_NAMES: tuple[str, ...] = (
    *INDEX_FEATURE_NAMES,
    "teaser_paragraphs",
    "relative_body_words",
    "neighbour_headlines",
    "neighbour_bodies",
    "neighbour_headline_gap",
    "neighbour_body_gap",
)
#: Best matches averaged for a gap, and searched for a story copy.
NEIGHBOURS = 5
#: Pairs checked together, and the least distinct bodies that make a block a corpus.
DEFAULT_BLOCK = 20_000
MIN_BODIES = 100
#: Rows of the index compared at once: bounds the memory of the similarity matrices and of
#: their argpartition (chunk x block, several of each: at 1,024 rows a 10,000-pair block
#: peaked 190 MB higher than at 256, at the same speed and with the same results).
CHUNK = 256


def _side(
    queries: np.ndarray, partners: np.ndarray, own: np.ndarray, index: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """(gap, story) for pairs seen from one side: each query (a headline, or a lead) is
    searched in ``index`` (leads, or headlines); the gap is its own cosine minus the mean of
    its k best, and the story is the highest cosine between its partner and those k."""
    gap = np.empty(len(queries))
    story = np.empty(len(queries))
    take = max(1, min(k, index.shape[0]))
    for start in range(0, len(queries), CHUNK):
        rows = slice(start, start + CHUNK)
        similarity = queries[rows] @ index.T
        top = np.argpartition(-similarity, take - 1, axis=1)[:, :take]
        gap[rows] = own[rows] - np.take_along_axis(similarity, top, axis=1).mean(axis=1)
        story[rows] = np.einsum("nkd,nd->nk", index[top], partners[rows]).max(axis=1)
    return gap, story


@dataclass(frozen=True)
class CorpusIndex:
    """The distinct headlines and leads of a corpus, with their vectors."""

    headline_rows: dict[str, int]
    headlines: np.ndarray
    lead_rows: dict[str, int]
    leads: np.ndarray
    #: For each headline row, the lead rows it sits on in the corpus; and the other way.
    bodies_of: dict[int, set[int]]
    headlines_of: dict[int, set[int]]
    #: For each headline row, the position of its first pair.
    headline_first: tuple[int, ...] = ()

    @classmethod
    def of(
        cls,
        headlines: Sequence[str],
        headline_vectors: np.ndarray,
        leads: Sequence[str],
        lead_vectors: np.ndarray,
    ) -> CorpusIndex:
        headline_rows, headline_at = _distinct(headlines)
        lead_rows, lead_at = _distinct(leads)
        bodies_of: dict[int, set[int]] = {}
        headlines_of: dict[int, set[int]] = {}
        for headline, lead in zip(headlines, leads, strict=True):
            h, b = headline_rows[headline], lead_rows[lead]
            bodies_of.setdefault(h, set()).add(b)
            headlines_of.setdefault(b, set()).add(h)
        return cls(
            headline_rows,
            headline_vectors[headline_at],
            lead_rows,
            lead_vectors[lead_at],
            bodies_of,
            headlines_of,
            tuple(headline_at),
        )

    @property
    def bodies(self) -> int:
        return len(self.lead_rows)

    @property
    def headline_texts(self) -> list[str]:
        """The distinct headlines, in row order."""
        return list(self.headline_rows)

    def features(
        self,
        headlines: Sequence[str],
        headline_vectors: np.ndarray,
        leads: Sequence[str],
        lead_vectors: np.ndarray,
        *,
        neighbours: int = NEIGHBOURS,
    ) -> np.ndarray:
        """Rows of INDEX_FEATURE_NAMES for pairs with these texts and (normalised) vectors."""
        own = np.einsum("nd,nd->n", headline_vectors, lead_vectors).astype(np.float64)
        headline_ids = np.array([self.headline_rows.get(t, -1) for t in headlines], dtype=int)
        lead_ids = np.array([self.lead_rows.get(t, -1) for t in leads], dtype=int)
        headline_gap, story_body = _side(
            headline_vectors, lead_vectors, own, self.leads, neighbours
        )
        body_gap, story_headline = _side(
            lead_vectors, headline_vectors, own, self.headlines, neighbours
        )
        headline_repeat = _repeat_gap(
            headline_ids, lead_ids, own, self.bodies_of, self.headlines, self.leads
        )
        body_repeat = _repeat_gap(
            lead_ids, headline_ids, own, self.headlines_of, self.leads, self.headlines
        )
        return np.column_stack(
            [headline_gap, body_gap, story_body, story_headline, headline_repeat, body_repeat]
        )


def _repeat_gap(
    ids: np.ndarray,
    partner_ids: np.ndarray,
    own: np.ndarray,
    partners_of: dict[int, set[int]],
    vectors: np.ndarray,
    partner_vectors: np.ndarray,
) -> np.ndarray:
    """The pair's cosine minus the best cosine of the same text with another partner it is
    paired with in the corpus (0 when it has none)."""
    best: dict[int, list[tuple[float, int]]] = {}
    gap = np.zeros(len(ids))
    for row, (i, partner) in enumerate(zip(ids.tolist(), partner_ids.tolist(), strict=True)):
        others = partners_of.get(i, ())
        if len(others) < 2 - (partner not in others):
            continue
        if i not in best:
            listed = list(others)
            cosines = partner_vectors[listed] @ vectors[i]
            order = np.argsort(-cosines)[:2]
            best[i] = [(float(cosines[k]), listed[k]) for k in order]
        for value, other in best[i]:
            if other != partner:
                gap[row] = own[row] - value
                break
    return gap


def _distinct(texts: Sequence[str]) -> tuple[dict[str, int], list[int]]:
    """Each distinct text's row in the index, and the position of its first occurrence."""
    rows: dict[str, int] = {}
    at: list[int] = []
    for i, text in enumerate(texts):
        if text not in rows:
            rows[text] = len(at)
            at.append(i)
    return rows, at
