"""A teaser in place of the story: a short body that breaks off with an ellipsis inside a
sentence."""

from __future__ import annotations

import re

from headcheck.text.language import UNSPACED_LETTER

#: How a teaser ends: with an ellipsis where the story breaks off.
_TEASER_END = re.compile(r"(?:\.\.\.|…|\[\.\.\.\]|\[…\])[\s\])»›]*$")
#: A body this short that breaks off like a teaser is one.
TEASER_WORDS = 60
#: What a teaser's ellipsis breaks off: at least this many words (or, in a script written
#: without spaces, characters) since the last sentence end or line break. A whole story may
#: close on "Hm…" or "Well...".
TEASER_TAIL_WORDS = 2
TEASER_TAIL_CHARS = 12
#: A sentence end: a stop and a space, but not after an initial ("U.S. officials"), or a new
#: line.
_SENTENCE_BREAK = re.compile(r"(?<!\b[A-Z])[.!?…]\s|\n")


#: Characters of a script written without spaces (Chinese, Japanese, Thai) that count as one
#: word: a word of Chinese or Japanese news is one to three characters.
UNSPACED_WORD_CHARS = 2


def _words(text: str) -> int:
    """Words of ``text``; in a script written without spaces, its characters by
    UNSPACED_WORD_CHARS."""
    spaced = len(text.split())
    if not UNSPACED_LETTER.search(text):
        return spaced
    return max(spaced, len(UNSPACED_LETTER.findall(text)) // UNSPACED_WORD_CHARS)


def is_teaser(body: str) -> bool:
    """A short body that breaks off with an ellipsis inside a sentence: the start of a story,
    not the story.

    Check the article text with its furniture set aside: a "Read more" line under a short but
    whole story is page furniture, not a sign that the story was cut.
    """
    if _words(body) >= TEASER_WORDS:
        return False
    end = _TEASER_END.search(body)
    if end is None:
        return False
    tail = _SENTENCE_BREAK.split(body[: end.start()])[-1].strip()
    return len(tail.split()) >= TEASER_TAIL_WORDS or len(tail) >= TEASER_TAIL_CHARS
