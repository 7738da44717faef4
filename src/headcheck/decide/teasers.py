"""Bodies read against the other bodies of a corpus: which of their paragraphs open other
bodies (an index page is a list of other stories' teasers; a mixed body has them above its
own story), and which bodies are the start of a much longer body of the corpus (a feed
summary or teaser scraped next to the whole article)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: A body is a cut copy of another when its text, at least TRUNCATED_MIN_CHARS long, starts
#: that body and that body is at least TRUNCATED_RATIO times as long.
TRUNCATED_MIN_CHARS = 40
TRUNCATED_RATIO = 3


def _flat(text: str) -> str:
    return " ".join(text.split())


class Openings:
    """The bodies of a corpus by their first TRUNCATED_MIN_CHARS characters: which bodies a
    text opens (is the start of)."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.flat = [_flat(t) for t in texts]
        self._by_start: dict[str, list[int]] = {}
        seen: set[str] = set()
        for row, text in enumerate(self.flat):
            if len(text) >= TRUNCATED_MIN_CHARS and text not in seen:
                seen.add(text)
                self._by_start.setdefault(text[:TRUNCATED_MIN_CHARS], []).append(row)

    def opened(self, text: str) -> list[int]:
        """Rows of the distinct bodies that start with ``text`` and are longer than it."""
        text = _flat(text)
        # Keys are exactly TRUNCATED_MIN_CHARS long: a shorter text finds none.
        rows = self._by_start.get(text[:TRUNCATED_MIN_CHARS], ())
        return [r for r in rows if len(self.flat[r]) > len(text) and self.flat[r].startswith(text)]


def cut_copies(texts: Sequence[str], openings: Openings | None = None) -> list[bool]:
    """For each body text, whether it is the start of a much longer body in ``texts``."""
    openings = Openings(texts) if openings is None else openings
    return [
        any(len(openings.flat[r]) >= TRUNCATED_RATIO * len(text) for r in openings.opened(text))
        for text in openings.flat
    ]


@dataclass(frozen=True)
class Teasers:
    """For each body of a corpus: how many of its paragraphs open other bodies of it, and how
    many characters of it are left once those are set aside."""

    counts: np.ndarray
    rest_chars: np.ndarray


def teasers(texts: Sequence[str], paragraphs: Sequence[Sequence[str]]) -> Teasers:
    """Count each body's paragraphs that are the openings of other bodies of the corpus."""
    openings = Openings(texts)
    counts = np.zeros(len(texts), dtype=int)
    rest = np.zeros(len(texts), dtype=int)
    for row, (text, parts) in enumerate(zip(openings.flat, paragraphs, strict=True)):
        others: set[int] = set()
        teaser_chars = 0
        # Bodies that go on as this one does past its first paragraph are copies of it (a
        # re-scrape, another extraction), not stories it gives teasers of.
        copies = set(openings.opened(" ".join(parts[:2])[: len(parts[0]) + 40])) if parts else set()
        for part in parts:
            opened = [
                r for r in openings.opened(part) if openings.flat[r] != text and r not in copies
            ]
            if opened:
                others.add(opened[0])
                teaser_chars += len(part)
        counts[row] = len(others)
        rest[row] = max(0, len(text) - teaser_chars)
    return Teasers(counts, rest)


def body_features(
    texts: Sequence[str], paragraphs: Sequence[Sequence[str]], body_words: np.ndarray
) -> tuple[np.ndarray, Teasers]:
    """The ``teaser_paragraphs`` and ``relative_body_words`` columns of a corpus's pairs,
    from their body texts, paragraphs and log body word counts; and the teasers found."""
    found = teasers(texts, paragraphs)
    # relative_body_words is centred on the corpus with the other relative columns.
    return np.column_stack([np.log1p(found.counts), body_words]), found
