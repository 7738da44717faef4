"""Turn a raw headline and body into the text units that are embedded.

This is the only place that cleans text and cuts a body into its lead and sentences;
everything that embeds text goes through :func:`prepare`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from headcheck.text.boilerplate import is_boilerplate_text, split_boilerplate
from headcheck.text.language import BODY_CHARS, UNSPACED_LETTER, Found, identify_many

#: Characters of the body kept for the lead, about 128 word pieces of English news. On FNC-1
#: pairs a 128-piece lead scores as well as the model's full 256 (ROC-AUC 0.9937 vs 0.9933 on
#: a 500-body sample) at less than half the cost.
LEAD_CHARS = 640
#: Sentences of the body compared one by one with the headline (the start of the story). More
#: than the first few adds cost and no accuracy on news (same sample: 3-5 sentences are best).
MAX_SENTENCES = 5
#: Sentences read from the start of a body to find its boilerplate.
SCANNED_SENTENCES = 60
#: A sentence is cut to this many characters before it is embedded.
SENTENCE_CHARS = 400
#: Fragments shorter than this many words are joined to the sentence that follows them.
MIN_SENTENCE_WORDS = 4
#: Paragraphs of a body kept for the corpus evidence.
MAX_PARAGRAPHS = 12
#: Only this much of a body is cleaned at all: a 10 MB body costs no more than a long article.
MAX_BODY_CHARS = 10_000

_TAG = re.compile(
    r"<\s*(script|style)\b[^>]*>.*?<\s*/\s*\1\s*>|<!--.*?-->|</?[A-Za-z][^<>]{0,500}>",
    re.DOTALL | re.IGNORECASE,
)
_BLOCK_TAG = re.compile(r"<\s*(br|/p|/div|/h[1-6]|/li)\b[^>]*>", re.IGNORECASE)
_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")
#: Where a sentence may end in scripts that put a space after it: a stop, perhaps a closing
#: quote or bracket, then space. It ends there when what follows is not a small letter (see
#: :func:`_pieces`), so "Mr. smith" stays whole and a Cyrillic, Greek or Arabic sentence is cut.
_SPACED_END = re.compile(r"[.!?…][\"'”’)\]»]?\s+")
#: Stops that end a sentence without a space after them: Chinese and Japanese 。！？ (also
#: the half-width ｡), Devanagari । ॥, Arabic ؟ and the Urdu ۔, with closing quotes or brackets.
_UNSPACED_END = re.compile(r"[。｡！？।॥؟۔]+[\"'”’)\]」』）】»]*\s*")
#: Opening quotes and brackets that may stand before a sentence's first letter.
_OPENING = "\"'“‘([«„‚「『（【¿¡"
#: A fragment in such a script shorter than this many characters is joined to the next one.
MIN_SENTENCE_CHARS = 12
_WORD = re.compile(r"\w+")
_TRAILING = re.compile(r"[\W_]*")


def normalise(text: str, *, limit: int | None = None) -> str:
    """Clean scraped text: HTML tags and entities, control characters and runs of spaces.

    Paragraph breaks survive as single newlines; everything else collapses to one space.
    """
    if limit is not None:
        text = text[:limit]
    if "<" in text:
        text = _BLOCK_TAG.sub("\n", text)
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    text = unicodedata.normalize("NFKC", text)
    if limit is not None:
        # NFKC can lengthen text ("¨" becomes a space and a combining mark, "ﬃ" three letters).
        text = text[:limit]
    # Drop control and format characters (and lone surrogates) but keep newlines and tabs.
    # Fast path: a line that str.isprintable() passes holds none of them (it also fails on
    # separators other than the space, which NFKC has already turned into spaces).
    lines = text.replace("\t", " ").split("\n")
    if not all(line.isprintable() for line in lines):
        text = "\n".join(line if line.isprintable() else _printable(line) for line in lines)
    text = _SPACES.sub(" ", text)
    text = _NEWLINES.sub("\n", text)
    return text.strip()


def _printable(line: str) -> str:
    return "".join(
        ch for ch in line if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )


def strip_repeated_headline(headline: str, body: str) -> str:
    """Remove the headline when the body starts with it, as many scrapers leave it there.

    Case, punctuation and spacing are ignored when matching; a body that is only the
    headline becomes empty.
    """
    words = [w.lower() for w in _WORD.findall(headline)]
    if not words:
        return body
    # The body's first len(words) word tokens must be the headline's (tokens are maximal runs
    # of word characters, so only non-word characters lie before and between them). No
    # pattern is compiled per headline: that cost more than the rest of preparing a pair.
    end = 0
    tokens = _WORD.finditer(body)
    for word in words:
        token = next(tokens, None)
        if token is None or token.group().lower() != word:
            return body
        end = token.end()
    return body[_TRAILING.match(body, end).end() :].lstrip()  # type: ignore[union-attr]  # matches ''


def split_sentences(body: str, *, limit: int = MAX_SENTENCES) -> list[str]:
    """Split a cleaned body into at most ``limit`` sentences, paragraph breaks included.

    Short fragments (a dateline, "Photo: AP") are joined to the sentence that follows.
    """
    sentences: list[str] = []
    pending = ""
    for paragraph in body.split("\n"):
        for piece in _pieces(paragraph):
            piece = f"{pending} {piece}".strip() if pending else piece.strip()
            if not piece:
                continue
            if _is_fragment(piece):
                pending = piece
                continue
            pending = ""
            sentences.append(piece)
            if len(sentences) >= limit:
                return sentences
    if pending:
        # Kept on its own, not joined to the last sentence: a closing "Accept all cookies."
        # or "Read more" must stay recognisable as boilerplate.
        sentences.append(pending)
    return sentences[:limit]


def _pieces(paragraph: str) -> list[str]:
    """A paragraph cut at its sentence ends, in any script (see _SPACED_END, _UNSPACED_END)."""
    pieces: list[str] = []
    start = 0
    for end in _SPACED_END.finditer(paragraph):
        following = paragraph[end.end() : end.end() + 2].lstrip(_OPENING)[:1]
        if following and not following.islower() and (following.isalpha() or following.isdigit()):
            pieces.append(paragraph[start : end.end()])
            start = end.end()
    pieces.append(paragraph[start:])
    if not any(_UNSPACED_END.search(piece) for piece in pieces):
        return pieces
    return [part for piece in pieces for part in _split_unspaced(piece)]


def _split_unspaced(piece: str) -> list[str]:
    parts, start = [], 0
    for end in _UNSPACED_END.finditer(piece):
        parts.append(piece[start : end.end()])
        start = end.end()
    parts.append(piece[start:])
    return parts


def _is_fragment(piece: str) -> bool:
    """Too short to stand as a sentence: under MIN_SENTENCE_WORDS words, or, in a script
    written without spaces, under MIN_SENTENCE_CHARS characters."""
    if len(piece.split()) >= MIN_SENTENCE_WORDS:
        return False
    if UNSPACED_LETTER.search(piece):
        return len(piece) < MIN_SENTENCE_CHARS
    return True


def lead(body: str) -> str:
    """The start of the body, as much as the model reads, cut at a word boundary."""
    flat = body.replace("\n", " ")
    if len(flat) <= LEAD_CHARS:
        return flat
    cut = flat.rfind(" ", 0, LEAD_CHARS)
    return flat[: cut if cut > LEAD_CHARS // 2 else LEAD_CHARS]


@dataclass(frozen=True, slots=True)
class Prepared:
    """The text units of one pair that are embedded, and what cleaning found on the way."""

    headline: str
    lead: str
    sentences: tuple[str, ...]
    #: The body was a cookie wall, paywall, error or bot-check page (see
    #: headcheck.text.boilerplate).
    boilerplate_text: bool = False
    #: The cleaned body without its boilerplate (its first SCANNED_SENTENCES sentences), for
    #: the lexical features.
    text: str = ""
    #: Sentences of the article text (its first SCANNED_SENTENCES), before the cut to
    #: MAX_SENTENCES.
    sentence_count: int = 0
    #: The cleaned body's first MAX_PARAGRAPHS paragraphs, each on one line: what the corpus
    #: evidence matches against other bodies' openings (an index page's teasers).
    paragraphs: tuple[str, ...] = ()
    #: What the language identifier found of the headline and of the lead's first
    #: BODY_CHARS characters (see headcheck.text.language.identify): read by the language-mismatch
    #: rule and the multilingual tier's routing, and reported in the result.
    headline_language: Found = None
    body_language: Found = None


def prepare(headline: str, body: str, *, languages: bool = True) -> Prepared:
    """Clean a headline and body and cut the body into its lead and first sentences.

    Boilerplate sentences (cookie notices, share buttons, sign-up prompts) are left out of
    the lead and sentences, so furniture around an article does not dilute its score; a body
    that is nothing but such text is scored on it and marked ``boilerplate_text``. The
    languages of headline and lead are identified unless ``languages`` is false (cleaning
    only: they are then None). :func:`prepare_many` does the same for many pairs, faster.
    """
    return prepare_many([(headline, body)], languages=languages)[0]


def prepare_many(pairs: Sequence[tuple[str, str]], *, languages: bool = True) -> list[Prepared]:
    """:func:`prepare` of each pair; the languages of all headlines and leads are identified
    together (:func:`headcheck.text.language.identify_many`: about half the cost a pair)."""
    units = [_clean(headline, body) for headline, body in pairs]
    if not languages:
        return units
    found = identify_many([text for u in units for text in (u.headline, u.lead[:BODY_CHARS])])
    return [
        replace(u, headline_language=found[2 * k], body_language=found[2 * k + 1])
        for k, u in enumerate(units)
    ]


def _clean(headline: str, body: str) -> Prepared:
    """A pair's units, its languages not yet identified."""
    clean_headline = normalise(headline, limit=2_000).replace("\n", " ")
    clean_body = strip_repeated_headline(clean_headline, normalise(body, limit=MAX_BODY_CHARS))
    split = split_boilerplate(split_sentences(clean_body, limit=SCANNED_SENTENCES))
    kept = split.article or split.removed
    text = " ".join(kept)
    return Prepared(
        headline=clean_headline,
        lead=lead(text),
        sentences=tuple(s[:SENTENCE_CHARS] for s in kept[:MAX_SENTENCES]),
        boilerplate_text=is_boilerplate_text(split),
        text=text,
        sentence_count=len(kept),
        paragraphs=tuple(p for p in clean_body.split("\n") if p.strip())[:MAX_PARAGRAPHS],
    )
