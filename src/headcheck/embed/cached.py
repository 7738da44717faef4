"""The vectors a detector computes, loaded and remembered in one place.

The transformer's vectors are computed once per distinct text and the last ``size`` texts'
are kept (scraped files repeat boilerplate bodies and headlines a lot; 20,000 rows of 384
floats is about 30 MB). The static word-piece table (:mod:`headcheck.embed.static`) and the
models themselves are loaded on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from headcheck.embed.resolve import Encoder


class Embeddings:
    """An encoder, loaded by ``load`` on first use (or given), a static table loaded by
    ``load_static``, and a first-in first-out cache of the last ``size`` texts' vectors."""

    def __init__(
        self,
        load: Callable[[], Encoder],
        load_static: Callable[[], Any],
        *,
        size: int,
        encoder: Encoder | None = None,
    ) -> None:
        self._load = load
        self._load_static = load_static
        self.size = size
        self._encoder = encoder
        self._static: Any = None
        self.cache: dict[str, np.ndarray] = {}

    @property
    def encoder(self) -> Encoder:
        """The transformer, loaded on first use."""
        if self._encoder is None:
            self._encoder = self._load()
        return self._encoder

    @property
    def loaded(self) -> Encoder | None:
        """The transformer if it is loaded (or was given), else None."""
        return self._encoder

    @property
    def static(self) -> Any:
        """The static embeddings (:class:`~headcheck.embed.static.StaticEmbedder`)."""
        if self._static is None:
            self._static = self._load_static()
        return self._static

    def share_models(self, other: Embeddings) -> None:
        """Use ``other``'s loaded models (not its cache): a copy need not load them again."""
        self._encoder = self._encoder or other._encoder
        self._static = self._static or other._static

    def vectors(self, texts: list[str]) -> dict[str, np.ndarray]:
        """The transformer's vectors of the distinct ``texts``, each computed once and reused
        from the cache."""
        vectors: dict[str, np.ndarray] = {}
        todo: list[str] = []
        for text in dict.fromkeys(texts):
            cached = self.cache.get(text)
            if cached is None:
                todo.append(text)
            else:
                vectors[text] = cached
        if todo:
            for text, row in zip(todo, self.encoder.encode(todo), strict=True):
                vectors[text] = row
                self._remember(text, row)
        return vectors

    def _remember(self, text: str, row: np.ndarray) -> None:
        if self.size == 0:
            return
        if len(self.cache) >= self.size:
            # Oldest first: dicts keep insertion order, so this is a FIFO bound on memory.
            del self.cache[next(iter(self.cache))]
        self.cache[text] = row
