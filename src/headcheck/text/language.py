"""Which language a text is in, and whether a headline and its body are in different ones.

Two signals, cheapest first:

* the **script** (Latin, Cyrillic, Arabic, Han, ...) of most of a text's letters, read from
  the Unicode names; a headline in one script over a body in another is a mismatch whatever
  the languages;
* the **language**, identified with py3langid (a naive Bayes model over byte n-grams trained
  on 139 languages in py3langid 0.4, bundled with the package), scored for a batch of texts
  at once by :func:`identify_many`: about 0.25 ms for a pair's headline and the 400
  characters of its lead read, half what py3langid's own loop takes one text at a time.

The identifier is sure of long texts and guesses on short ones, so it is believed only
above :data:`MIN_CHARS` letters and a probability of :data:`CONFIDENT`. Measured on the
FNC-1 and ARC training sets (English news and comments: 1,834 distinct headlines, 3,650
bodies), a probability of 0.9 or more for another language than English came for 2
headlines and 2 bodies, all of them really French; at 0.5 for 22 headlines.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from headcheck.text import langid as langid_model

#: The writing systems told apart, by the start of their letters' Unicode names.
_SCRIPTS = (
    ("LATIN", "latin"),
    ("CYRILLIC", "cyrillic"),
    ("GREEK", "greek"),
    ("ARABIC", "arabic"),
    ("HEBREW", "hebrew"),
    ("CJK", "han"),
    ("HIRAGANA", "kana"),
    ("KATAKANA", "kana"),
    ("HANGUL", "hangul"),
    ("DEVANAGARI", "devanagari"),
    ("THAI", "thai"),
    ("MYANMAR", "myanmar"),
)
#: Characters read to tell a text's script or language: plenty for a clear majority.
SCRIPT_CHARS = 2_000
#: A text with fewer letters than this is too short for its language to be told; a letter
#: of a script written without spaces (:data:`UNSPACED_LETTER`: a Han character, a kana
#: syllable) counts twice, as it carries about what two Latin letters do (the identifier is
#: sure of a 17-character Japanese headline, 0.999).
MIN_CHARS = 20
#: The identifier's probability (normalised over its languages) a language must reach.
CONFIDENT = 0.9
#: Languages the identifier confuses with each other at any length: one group is one
#: language here (Chinese, Wu and Cantonese; the Scandinavian languages; Serbo-Croatian; Malay).
_SAME = (
    frozenset({"zh", "wuu", "yue"}),
    frozenset({"no", "nb", "nn", "da"}),
    frozenset({"hr", "sr", "bs"}),
    frozenset({"id", "ms"}),
)
#: py3langid's labels for text in no language (codes, random letters, markup).
NO_LANGUAGE = frozenset({"zxx", "und"})
_ASCII_LETTERS = re.compile(r"[A-Za-z]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
#: Letters of scripts written without spaces between words (kana, Han, Thai, Myanmar): text
#: in them is measured in characters, not words.
UNSPACED_LETTER = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f\u1000-\u109f]"
)
_LETTERS = re.compile(r"[^\W\d_]")

#: What :func:`identify` found of a text: ``(language, probability)``, or None.
Found = tuple[str, float] | None


@functools.lru_cache(maxsize=4_096)
def _script(ch: str) -> str | None:
    name = unicodedata.name(ch, "")
    for prefix, script in _SCRIPTS:
        if name.startswith(prefix):
            return script
    return None


def dominant_script(text: str) -> str | None:
    """The writing system of most letters in ``text`` (None when there are too few)."""
    text = text[:SCRIPT_CHARS]
    latin = len(_ASCII_LETTERS.findall(text))
    if text.isascii():  # the common case, without a look-up per character
        return "latin" if latin >= 4 else None
    # ASCII letters are Latin: only the other characters are looked up (English news holds
    # a few curly quotes and dashes, and each look-up costs what a regex pass over it does).
    counts: Counter[str] = Counter({"latin": latin} if latin else {})
    for ch in _NON_ASCII.findall(text):
        if ch.isalpha() and (script := _script(ch)) is not None:
            counts[script] += 1
    if sum(counts.values()) < 4:
        return None
    script, count = counts.most_common(1)[0]
    return script if count >= 0.8 * sum(counts.values()) else None


def identify(text: str) -> Found:
    """``(language, probability)`` of ``text`` (ISO 639-1 codes, as py3langid gives them),
    or None when it holds fewer than :data:`MIN_CHARS` letters or is in no language
    (:data:`NO_LANGUAGE`: random letters are not a language to route or to mismatch)."""
    return identify_many([text])[0]


def identify_many(texts: Sequence[str]) -> list[Found]:
    """:func:`identify` of each text, many at once: what a batch of pairs needs.

    The texts are scored with py3langid's model by :class:`headcheck.text.langid.Scorer`,
    which walks all of them through the model's byte automaton together (one numpy step per
    byte position, instead of a Python step per byte of each text): about half of
    py3langid's own time per text on a batch, with the same languages and probabilities (to
    float rounding: see ``tests/test_languages.py``).
    """
    found: list[Found] = [None] * len(texts)
    todo = [i for i, text in enumerate(texts) if _long_enough(text[:SCRIPT_CHARS])]
    if not todo:
        return found
    scorer = langid_model.scorer()
    if scorer is None:  # a model laid out otherwise: py3langid scores each text itself
        identifier = langid_model.identifier()
        classified = [identifier.classify(texts[i][:SCRIPT_CHARS]) for i in todo]
    else:
        classified = scorer.classify([texts[i][:SCRIPT_CHARS] for i in todo])
    for i, (language, probability) in zip(todo, classified, strict=True):
        if language not in NO_LANGUAGE:
            found[i] = (str(language), float(probability))
    return found


def _long_enough(text: str) -> bool:
    letters = len(_LETTERS.findall(text))
    return letters >= MIN_CHARS or letters + len(UNSPACED_LETTER.findall(text)) >= MIN_CHARS


def language(text: str, *, confident: float = CONFIDENT) -> str | None:
    """The language of ``text`` when it is long enough and the identifier sure of it."""
    return _sure(identify(text), confident)


#: A language is reported in a result (``CheckResult.headline_language``, ``body_language``)
#: from this probability; the decisions need :data:`CONFIDENT`. On the titles of the real
#: pages (``real-pages-dev``), the identifier's guess was right for 53 of 53 at 0.9 or more,
#: 79 of 82 between 0.5 and 0.9, and 39 of 46 under 0.5.
REPORTED = 0.5
#: Characters of a body's lead read to tell its language: enough for a sure answer (498 of
#: 500 FNC-1 bodies at 0.9 or more), at a third of the cost of the whole lead.
BODY_CHARS = 400


def _sure(found: Found, level: float) -> str | None:
    """The language of an identification whose probability reaches ``level``."""
    return found[0] if found is not None and found[1] >= level else None


def reported(found: Found) -> str | None:
    """The language a result reports for an identification (see :data:`REPORTED`)."""
    return _sure(found, REPORTED)


def _same_language(a: str, b: str) -> bool:
    return a == b or any(a in group and b in group for group in _SAME)


def is_language_mismatch(
    headline: str,
    body: str,
    *,
    found: tuple[Found, Found] | None = None,
) -> bool:
    """Headline and body are confidently in different scripts or languages.

    Different scripts decide at once (a Latin site name over an Arabic story). In one script,
    both must be long enough and the identifier sure of both (see :func:`language`).
    ``found`` is what :func:`identify` already found of the headline and of the body's first
    :data:`BODY_CHARS` characters (as :func:`headcheck.text.prepare.prepare` keeps it), so that
    neither is identified twice.
    """
    head_script, body_script = dominant_script(headline), dominant_script(body)
    if head_script and body_script and head_script != body_script:
        return True
    if head_script is None or head_script != body_script:
        return False
    head_language = _sure(identify(headline) if found is None else found[0], CONFIDENT)
    if head_language is None:
        return False
    body_language = _sure(identify(body[:BODY_CHARS]) if found is None else found[1], CONFIDENT)
    return body_language is not None and not _same_language(head_language, body_language)
