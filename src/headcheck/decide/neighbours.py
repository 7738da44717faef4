"""The ``neighbour_headlines`` and ``neighbour_bodies`` columns of the corpus evidence (see
:mod:`headcheck.decide.context`): each pair searched among the other pairs of its block, by
its lead and by its headline, with ties for the last places shared."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from headcheck.decide.context import CHUNK, NEIGHBOURS, CorpusIndex


def _top_mean(similarity: np.ndarray, values: np.ndarray, take: int) -> np.ndarray:
    """Per row: the mean of ``values`` at the ``take`` columns where ``similarity`` is highest,
    ties shared: where several columns tie for the last places, each of them counts for its
    share of those places. So the result does not hang on which of equal columns a selection
    happens to pick (a headline in the corpus ten times is ten equal columns): not on the
    rows' order, nor on the rounding of a threaded matrix product. -inf where the ``take``
    highest include a -inf (a row with fewer than ``take`` columns to read)."""
    top = np.argpartition(-similarity, take - 1, axis=1)[:, :take]
    last = np.take_along_axis(similarity, top, axis=1).min(axis=1, keepdims=True)
    total = np.take_along_axis(values, top, axis=1).sum(axis=1, dtype=np.float64)
    # Rows where more than `take` columns reach the last place: ties there share it.
    shared = np.flatnonzero(np.count_nonzero(similarity >= last, axis=1) > take)
    if len(shared):
        rows, last_of, zero = similarity[shared], last[shared], values.dtype.type(0)
        above = rows > last_of
        tied = rows == last_of
        share = (take - np.count_nonzero(above, axis=1)) / np.count_nonzero(tied, axis=1)
        total[shared] = np.where(above, values[shared], zero).sum(axis=1, dtype=np.float64)
        total[shared] += share * np.where(tied, values[shared], zero).sum(axis=1, dtype=np.float64)
    return np.where(np.isfinite(last[:, 0]), total / take, -np.inf)


def _pairs_side(
    queries: np.ndarray,
    query_ids: np.ndarray,
    partners: np.ndarray,
    partner_ids: np.ndarray,
    same: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """For each pair, searched among the other pairs (``same`` marks, per pair, those that
    do not count as others: ids equal to its own): the mean cosine between its partner's
    vector and those of the k pairs nearest by query, and that mean over the k pairs nearest
    by partner (how well the best of them fit).

    ``queries`` and ``partners`` hold a vector per distinct text, and ``query_ids`` and
    ``partner_ids`` each pair's row in them: a cosine is taken once per distinct text and
    spread to its pairs, so that copies of a text are exactly equal columns, which
    :func:`_top_mean` then reads as ties."""
    n = len(query_ids)
    by_query, by_partner = np.zeros(n), np.zeros(n)
    if n < 2:
        return by_query, by_partner
    take = max(1, min(k, n - 1))
    for start in range(0, n, CHUNK):
        rows = slice(start, start + CHUNK)
        excluded = same[rows, None] == same[None, :]
        query_similarity = _spread(queries[query_ids[rows]] @ queries.T, query_ids)
        partner_similarity = _spread(partners[partner_ids[rows]] @ partners.T, partner_ids)
        query_similarity[excluded] = -np.inf
        partner_similarity[excluded] = -np.inf
        by_query[rows] = _top_mean(query_similarity, partner_similarity, take)
        by_partner[rows] = _top_mean(partner_similarity, partner_similarity, take)
    # A pair with fewer than k others (all the rest copies of it) has no neighbours to read.
    return (
        np.where(np.isfinite(by_query), by_query, 0.0),
        np.where(np.isfinite(by_partner), by_partner, 0.0),
    )


def _spread(similarity: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Columns per distinct text spread to a column per pair (as they are where all differ)."""
    return similarity if similarity.shape[1] == len(ids) else similarity[:, ids]


def neighbour_features(
    index: CorpusIndex,
    headlines: Sequence[str],
    leads: Sequence[str],
    *,
    neighbours: int = NEIGHBOURS,
) -> np.ndarray:
    """The ``neighbour_*`` columns of the pairs ``index`` was built from: its distinct
    headlines and leads, with their vectors, are the columns the searches spread."""
    headline_ids = np.array([index.headline_rows[t] for t in headlines], dtype=np.intp)
    lead_ids = np.array([index.lead_rows[t] for t in leads], dtype=np.intp)
    rows = np.arange(len(headlines))  # the same headline on other bodies is a neighbour
    headlines_near, best_headlines = _pairs_side(  # copies of the body are none
        index.leads, lead_ids, index.headlines, headline_ids, lead_ids, neighbours
    )
    bodies_near, best_bodies = _pairs_side(
        index.headlines, headline_ids, index.leads, lead_ids, rows, neighbours
    )
    return np.column_stack(
        [headlines_near, bodies_near, headlines_near - best_headlines, bodies_near - best_bodies]
    )
