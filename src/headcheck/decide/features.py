"""The evidence a calibrated decision weighs, one row of numbers per pair. The only place that
defines features: calibration fits on them and the detector computes them, by these names.

Each feature is cheap once the pair's texts are embedded:

* ``lead_cosine``, ``sentence_cosine``: the headline's cosine with the lead and with its
  best-matching sentence (the two halves of the uncalibrated similarity).
* ``top3_cosine``: the mean of its three best sentence cosines (one stray match is weaker
  evidence than several).
* ``word_overlap``: the share of the headline's content words (lower case, four letters kept
  as a crude stem) found in the body's first SCANNED_CHARS characters: lexical evidence that
  embeddings blur.
* ``name_overlap``, ``number_overlap``: the share of the headline's capitalised words and
  numbers found in the body (1 when the headline has none): a near-topic headline names other
  people, places and figures.
* ``headline_words``, ``body_words``: log word counts, so short headlines and short bodies get
  their own say.
* ``coherence``: the mean cosine between the body's first sentences (a story's sentences are
  about one thing; an index page's teasers, or teasers above a story, are not); 1 for a body
  of one sentence.
* ``body_sentences``: the log count of the body's article sentences (a body cut after its
  first sentence has one).
"""

from __future__ import annotations

import math
import re

import numpy as np

FEATURE_NAMES: tuple[str, ...] = (
    "lead_cosine",
    "sentence_cosine",
    "top3_cosine",
    "word_overlap",
    "name_overlap",
    "number_overlap",
    "headline_words",
    "body_words",
    "coherence",
    "body_sentences",
)
#: Body characters searched for the headline's words.
SCANNED_CHARS = 4_000

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]+")
_STOP_WORDS = (
    "a an the and or but of to in on at for from by with as is are was were be been has have "
    "had it its this that these those he she they we you his her their our your not no will "
    "would can could may might must shall should do does did after over into about up out says "
    "say said new how why what who when where which than then there here more most just"
)
_STOP = frozenset(_STOP_WORDS.split())


def _stem(word: str) -> str:
    return word[:4]


def content_words(text: str) -> set[str]:
    """Lower-case content words of ``text``, crudely stemmed."""
    # Lower-case once and de-duplicate before stemming: a body repeats most of its words.
    return {_stem(w) for w in set(_TOKEN.findall(text.lower())) - _STOP}


def _share_found(wanted: set[str], found_in: set[str]) -> float:
    return 1.0 if not wanted else len(wanted & found_in) / len(wanted)


def lexical_features(headline: str, body: str) -> tuple[float, float, float, float, float]:
    """(word_overlap, name_overlap, number_overlap, headline_words, body_words)."""
    scanned = body[:SCANNED_CHARS]
    body_words = content_words(scanned)
    names = {_stem(n.lower()) for n in _NAME.findall(headline)} - {_stem(w) for w in _STOP}
    numbers = set(_NUMBER.findall(headline))
    return (
        _share_found(content_words(headline), body_words),
        _share_found(names, body_words),
        _share_found(numbers, set(_NUMBER.findall(scanned))),
        math.log1p(len(headline.split())),
        math.log1p(len(body.split())),
    )


def coherence(sentence_vectors: np.ndarray) -> float:
    """The mean cosine between distinct sentences (rows of normalised vectors); 1 for one."""
    n = len(sentence_vectors)
    if n < 2:
        return 1.0
    gram = sentence_vectors @ sentence_vectors.T
    return float((gram.sum() - np.trace(gram)) / (n * (n - 1)))


def pair_features(
    lead_cosine: float,
    sentence_cosines: np.ndarray,
    headline: str,
    body: str,
    *,
    sentence_vectors: np.ndarray,
    sentence_count: int,
) -> np.ndarray:
    """The row of FEATURE_NAMES for one pair."""
    ranked = np.sort(sentence_cosines)[::-1]
    return np.array(
        [
            lead_cosine,
            float(ranked[0]),
            float(ranked[:3].mean()),
            *lexical_features(headline, body),
            coherence(sentence_vectors),
            math.log1p(sentence_count),
        ],
        dtype=np.float64,
    )
