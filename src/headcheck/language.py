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

import contextlib
import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any

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
    if text.isascii():  # the common case, without a look-up per character
        return "latin" if len(_ASCII_LETTERS.findall(text)) >= 4 else None
    counts: Counter[str] = Counter()
    for ch in text:
        if ch.isalpha() and (script := _script(ch)) is not None:
            counts[script] += 1
    if sum(counts.values()) < 4:
        return None
    script, count = counts.most_common(1)[0]
    return script if count >= 0.8 * sum(counts.values()) else None


@functools.lru_cache(maxsize=1)
def _identifier() -> Any:
    """py3langid's own identifier, from its own loader: used where its model is not laid out
    as :class:`_Scorer` reads it (another py3langid version), and by the tests that hold the
    scorer to it."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


#: The arrays of py3langid's model that its identifier is built from.
_MODEL_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")


def _model_arrays() -> dict[str, Any]:
    """The arrays of py3langid's model: from the cache folder, else unpacked from the
    package (and then written to the cache folder, where it can be).

    py3langid ships its model compressed (68 MB unpacked, 0.7 s to unpack here); headcheck
    keeps the unpacked arrays in its cache folder (``langid/``, with a digest checked as they
    are read, as for the other derived files), which reads in 0.2 s. Where that file cannot
    be written (a read-only cache, a full disk, a file-size limit), the model is unpacked in
    memory on each start instead (py3langid's own loader would write a temporary file, and
    fail there before a record is read).
    """
    import io
    import lzma
    from importlib.metadata import version

    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    from headcheck.cache import cache_dir, read_verified, warn_rebuild, write_atomically

    path = cache_dir() / "langid" / f"py3langid-{version('py3langid')}.npz"
    data, problem = read_verified(path)
    if data is None:
        if problem is not None:
            warn_rebuild(path, problem, "language model")
        with lzma.open(MODEL_DIR / MODEL_FILE) as source:
            data = source.read()
        with contextlib.suppress(OSError):  # then unpacked again next time: slower, as right
            write_atomically(path, data)
    with np.load(io.BytesIO(data), allow_pickle=False) as unpacked:
        return {name: np.asarray(unpacked[name]) for name in _MODEL_ARRAYS}


def identify(text: str) -> Found:
    """``(language, probability)`` of ``text`` (ISO 639-1 codes, as py3langid gives them),
    or None when it holds fewer than :data:`MIN_CHARS` letters or is in no language
    (:data:`NO_LANGUAGE`: random letters are not a language to route or to mismatch)."""
    return identify_many([text])[0]


def identify_many(texts: Sequence[str]) -> list[Found]:
    """:func:`identify` of each text, many at once: what a batch of pairs needs.

    The texts are scored with py3langid's model by :class:`_Scorer`, which walks all of them
    through the model's byte automaton together (one numpy step per byte position, instead of
    a Python step per byte of each text): about a third of py3langid's own time per text on a
    batch, with the same languages and probabilities (to float rounding: see
    ``tests/test_languages.py``).
    """
    found: list[Found] = [None] * len(texts)
    todo = [i for i, text in enumerate(texts) if _long_enough(text[:SCRIPT_CHARS])]
    if not todo:
        return found
    scorer = _scorer()
    if scorer is None:
        identifier = _identifier()
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


class _Scorer:
    """py3langid's naive Bayes scoring, for many texts at once.

    The model is a byte automaton whose states may each emit one n-gram feature, a table of
    the features' log-probabilities per language (``ptc``) and the languages' priors
    (``pc``). A text's score for each language is ``log1p(count) @ ptc[features] + pc`` over
    the features its bytes visit, divided by the square root of its length in bytes and
    normalised to probabilities (py3langid's ``norm_probs``); labels that appear twice in the
    model (script variants) are summed into their first column. That is py3langid's
    arithmetic, written here for a batch: the automaton is walked by all the texts together
    (:data:`LOCKSTEP` or more of them; fewer are walked one by one, which costs less), and
    each text's features are counted and scored in the same order whichever walk found them.
    """

    #: Texts read together at the least: below it a numpy step costs more than a Python step
    #: per text (about 3 us against 0.1 us a byte here).
    LOCKSTEP = 32
    #: Texts walked together at most: bounds the states kept (texts x longest text).
    CHUNK = 512

    def __init__(self, arrays: dict[str, Any]) -> None:
        import numpy as np

        self.next_state = np.asarray(arrays["nextmove"])
        self.row_base = np.asarray(arrays["nextmove_row"], dtype=np.int64) << 8
        self.feature = np.asarray(arrays["out_feat"], dtype=np.int64)
        self.ptc = np.asarray(arrays["ptc"])
        self.pc = np.asarray(arrays["pc"], dtype=np.float32)
        self.classes = [str(label) for label in arrays["classes"].tolist()]
        first: dict[str, int] = {}
        self.aliases = [  # (first column, duplicate column) of a label that appears twice
            (first[label], k)
            for k, label in enumerate(self.classes)
            if first.setdefault(label, k) != k
        ]
        # For the walk one text at a time: Python lists and a memoryview index fastest.
        self.base_list = self.row_base.tolist()
        self.feature_list = self.feature.tolist()
        self.next_list = memoryview(self.next_state)
        if (
            self.next_state.ndim != 1
            or int(self.row_base.max()) + 256 > self.next_state.size
            or int(self.next_state.max()) >= self.feature.size
            or self.ptc.shape != (int(self.feature.max()) + 1, len(self.classes))
        ):
            raise ValueError("py3langid's model is not laid out as headcheck reads it")

    @staticmethod
    def encode(text: str) -> bytes:
        """A text as the model reads it: in small letters when it is all capitals, composed
        (NFC), as UTF-8 (lone surrogates kept, as py3langid keeps them)."""
        if text.isupper():
            text = text.lower()
        return unicodedata.normalize("NFC", text).encode("utf-8", "surrogatepass")

    def classify(self, texts: list[str]) -> list[tuple[str, float]]:
        import numpy as np

        encoded = [self.encode(text) for text in texts]
        scores = np.zeros((len(encoded), len(self.classes)), dtype=np.float32)
        for start in range(0, len(encoded), self.CHUNK):
            chunk = encoded[start : start + self.CHUNK]
            for row, (features, counts) in enumerate(self._count(chunk)):
                if len(features):
                    scores[start + row] = (
                        np.log1p(counts.astype(np.float32)) @ self.ptc[features] + self.pc
                    )
        lengths = np.array([len(data) or 1 for data in encoded], dtype=np.float64)
        scores *= (1.0 / np.sqrt(lengths)).astype(np.float32)[:, None]
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        scores /= scores.sum(axis=1, keepdims=True)
        for first, duplicate in self.aliases:
            scores[:, first] += scores[:, duplicate]
            scores[:, duplicate] = 0.0
        best = scores.argmax(axis=1)
        return [(self.classes[k], float(scores[row, k])) for row, k in enumerate(best.tolist())]

    def _count(self, chunk: list[bytes]) -> list[tuple[Any, Any]]:
        """The features each text's bytes visit, and how often, in feature order.

        The texts, longest first, step through the automaton together, one numpy step per
        byte position, while at least :data:`LOCKSTEP` of them are still being read; the
        longest few then finish one by one, a Python step per byte (cheaper than a numpy step
        for a handful of texts). Either way each text visits the same states.
        """
        import numpy as np

        lengths = np.array([len(data) for data in chunk], dtype=np.int64)
        order = np.argsort(-lengths, kind="stable")  # longest first: the active rows shrink
        sorted_lengths = lengths[order]
        width = int(sorted_lengths[min(self.LOCKSTEP, len(chunk)) - 1])  # walked together
        if len(chunk) < self.LOCKSTEP:
            width = 0
        data = np.zeros((len(chunk), width), dtype=np.int64)
        for row, k in enumerate(order.tolist()):
            piece = chunk[k][:width]
            data[row, : len(piece)] = np.frombuffer(piece, dtype=np.uint8)
        states = np.zeros((len(chunk), width), dtype=np.int64)
        state = np.zeros(len(chunk), dtype=np.int64)
        active = len(chunk)
        for column in range(width):
            while sorted_lengths[active - 1] <= column:
                active -= 1
            state[:active] = self.next_state[self.row_base[state[:active]] + data[:active, column]]
            states[:active, column] = state[:active]
        features = self.feature[states]
        features[np.arange(width)[None, :] >= sorted_lengths[:, None]] = -1
        rows, _ = np.nonzero(features >= 0)
        size = self.ptc.shape[0]
        keys = [rows * size + features[features >= 0]]
        # What is left past the columns walked together: the longest texts' tails.
        base, step, emits = self.base_list, self.next_list, self.feature_list
        for row in np.flatnonzero(sorted_lengths > width).tolist():
            at, visited = int(state[row]), []
            for byte in chunk[int(order[row])][width:]:
                at = step[base[at] + byte]
                if emits[at] >= 0:
                    visited.append(row * size + emits[at])
            keys.append(np.array(visited, dtype=np.int64))
        unique, counts = np.unique(np.concatenate(keys), return_counts=True)
        bounds = np.searchsorted(unique // size, np.arange(len(chunk) + 1))
        counted: list[tuple[Any, Any]] = [None] * len(chunk)  # type: ignore[list-item]
        for row, k in enumerate(order.tolist()):
            part = slice(bounds[row], bounds[row + 1])
            counted[k] = (unique[part] % size, counts[part])
        return counted


@functools.lru_cache(maxsize=1)
def _scorer() -> _Scorer | None:
    """The batch scorer over py3langid's model; None when the model is not laid out as
    :class:`_Scorer` reads it (another py3langid version): py3langid then scores each text."""
    try:
        return _Scorer(_model_arrays())
    except (KeyError, OSError, TypeError, ValueError):
        return None


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
    :data:`BODY_CHARS` characters (as :func:`headcheck.text.prepare` keeps it), so that
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
