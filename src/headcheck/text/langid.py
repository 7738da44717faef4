"""py3langid's model, read once, and its naive Bayes scoring of many texts at once.

:func:`headcheck.text.language.identify_many` is the one caller: this module holds how the model
is loaded (from the cache folder, where it is kept unpacked) and scored (:class:`Scorer`),
so that the language rules read apart from the arithmetic.
"""

from __future__ import annotations

import contextlib
import functools
import unicodedata
from typing import Any


@functools.lru_cache(maxsize=1)
def identifier() -> Any:
    """py3langid's own identifier, from its own loader: used where its model is not laid out
    as :class:`Scorer` reads it (another py3langid version), and by the tests that hold the
    scorer to it."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


#: The arrays of py3langid's model that its identifier is built from.
_MODEL_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")


def model_arrays() -> dict[str, Any]:
    """The arrays of py3langid's model: from the cache folder, else unpacked from the
    package (and then written to the cache folder, where it can be).

    py3langid ships its model compressed (68 MB unpacked, 0.7 s to unpack here); headcheck
    keeps the unpacked arrays in its cache folder (``langid/``, with a digest checked as they
    are read, as for the other derived files), which reads in 0.2 s. Where that file cannot
    be written (a read-only cache, a full disk, a file-size limit), the model is unpacked in
    memory on each start instead (py3langid's own loader would write a temporary file, and
    fail there before a record is read).
    """
    import lzma
    from importlib.metadata import version

    from py3langid.langid import MODEL_DIR, MODEL_FILE

    from headcheck.embed.cache import (
        arrays_in,
        cache_dir,
        read_verified,
        warn_rebuild,
        write_atomically,
    )

    path = cache_dir() / "langid" / f"py3langid-{version('py3langid')}.npz"
    data, problem = read_verified(path)
    if data is None:
        if problem is not None:
            warn_rebuild(path, problem, "language model")
        with lzma.open(MODEL_DIR / MODEL_FILE) as source:
            data = source.read()
        with contextlib.suppress(OSError):  # then unpacked again next time: slower, as right
            write_atomically(path, data)
    arrays = arrays_in(data)
    return {name: arrays[name] for name in _MODEL_ARRAYS}


class Scorer:
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
        self.next_list = self.next_state.data
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
        # The columns walked together: up to the end of the LOCKSTEP-th longest text.
        width = int(sorted_lengths[self.LOCKSTEP - 1]) if len(chunk) >= self.LOCKSTEP else 0
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
        counted: list[tuple[Any, Any]] = [None] * len(chunk)  # type: ignore[list-item]  # filled below
        for row, k in enumerate(order.tolist()):
            part = slice(bounds[row], bounds[row + 1])
            counted[k] = (unique[part] % size, counts[part])
        return counted


@functools.lru_cache(maxsize=1)
def scorer() -> Scorer | None:
    """The batch scorer over py3langid's model; None when the model is not laid out as
    :class:`Scorer` reads it (another py3langid version): py3langid then scores each text."""
    try:
        return Scorer(model_arrays())
    except (KeyError, OSError, TypeError, ValueError):
        return None
