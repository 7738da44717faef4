"""A corpus's feature rows read against its *anchors*, the pairs that vouch for each other:
so that one decision carries over between corpora whose genuine pairs differ (news against
reader comments), whatever the share of faults in them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Columns of a corpus's feature rows that are read relative to the corpus (see
#: :func:`relative_to_corpus`; the interquartile range of a normal is 1.349 standard
#: deviations).
RELATIVE_FEATURES: tuple[str, ...] = (
    "lead_cosine",
    "sentence_cosine",
    "top3_cosine",
    "word_overlap",
    "coherence",
    "body_sentences",
    "headline_gap",
    "body_gap",
    "story_body",
    "story_headline",
    "neighbour_headlines",
    "neighbour_bodies",
    "neighbour_headline_gap",
    "neighbour_body_gap",
)
#: The least spread a relative column is divided by.
MIN_SPREAD = 0.02


#: Columns only centred on the corpus (log counts: a difference of them is a ratio).
CENTRED_FEATURES: tuple[str, ...] = ("relative_body_words",)
#: An *anchor* is a pair whose body is among its headline's best bodies and whose headline is
#: among its body's best headlines (``story_body`` and ``story_headline`` at least this):
#: almost surely genuine, whatever the share of faults in the corpus. A corpus needs at
#: least MIN_ANCHORS of them to be read against.
ANCHOR_STORY = 0.95
MIN_ANCHORS = 30


def anchors(rows: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Which pairs of a corpus's raw feature rows are anchors."""
    story_body = rows[:, list(names).index("story_body")]
    story_headline = rows[:, list(names).index("story_headline")]
    return (story_body >= ANCHOR_STORY) & (story_headline >= ANCHOR_STORY)


def relative_to_corpus(rows: np.ndarray, names: Sequence[str]) -> np.ndarray | None:
    """``rows`` with the RELATIVE_FEATURES columns re-expressed against the corpus's anchors
    (minus their median, over their robust spread) and the CENTRED_FEATURES minus their
    median. Anchors stand for the corpus's genuine pairs, so the decision carries over
    between corpora whose genuine pairs differ (news against reader comments: FNC-1's
    genuine cosines sit far above ARC's) and holds however many of its pairs are faults.
    None when the corpus has fewer than MIN_ANCHORS anchors: nothing to read it against (a
    batch of nothing but re-paired headlines, say), so its pairs are decided one by one."""
    out = np.array(rows, dtype=np.float64, copy=True)
    anchor = anchors(out, names)
    if anchor.sum() < MIN_ANCHORS:
        return None
    reference = out[anchor]
    for column, name in enumerate(names):
        if name in RELATIVE_FEATURES:
            low, median, high = np.quantile(reference[:, column], [0.25, 0.5, 0.75])
            spread = max((high - low) / 1.349, MIN_SPREAD)
            out[:, column] = (out[:, column] - median) / spread
        elif name in CENTRED_FEATURES:
            out[:, column] -= np.median(reference[:, column])
    return out
