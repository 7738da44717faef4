"""The models a detector embeds with, loaded on first use, and the vectors it remembers.

The transformer's vectors are computed once per distinct text and the last ``size`` texts'
are kept (scraped files repeat boilerplate bodies and headlines a lot; 20,000 rows of 384
floats is about 30 MB). The static word-piece table (:mod:`headcheck.embed.static`) and the
multilingual tier's model (:mod:`headcheck.embed.multilingual`) are loaded when first asked
for.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from headcheck.embed.model import load_encoder
from headcheck.embed.multilingual import MultilingualEncoder
from headcheck.embed.resolve import MULTILINGUAL, Backend, Encoder, resolve_model


class Embeddings:
    """The encoder of ``model`` on ``backend`` (loaded on first use, unless ``encoder`` is
    given), its static table, the multilingual tier's model, and a first-in first-out cache
    of the last ``size`` texts' vectors."""

    def __init__(
        self,
        *,
        model: str | os.PathLike[str] | None,
        backend: Backend,
        device: str | None,
        allow_download: bool,
        threads: int | None,
        size: int,
        encoder: Encoder | None = None,
    ) -> None:
        self.model = model
        self._loading: dict[str, Any] = {
            "backend": backend,
            "device": device,
            "allow_download": allow_download,
            "threads": threads,
        }
        self.size = size
        self._encoder = encoder
        self._static: Any = None
        self._multilingual: Encoder | None = None
        self.cache: dict[str, np.ndarray] = {}

    @property
    def encoder(self) -> Encoder:
        """The transformer, loaded on first use."""
        if self._encoder is None:
            self._encoder = load_encoder(self.model, **self._loading)
        return self._encoder

    @property
    def loaded(self) -> Encoder | None:
        """The transformer if it is loaded (or was given), else None."""
        return self._encoder

    @property
    def static(self) -> Any:
        """The static embeddings (:class:`~headcheck.embed.static.StaticEmbedder`)."""
        if self._static is None:
            from headcheck.embed.static import StaticEmbedder

            model = None if self.model == MULTILINGUAL else self.model
            self._static = StaticEmbedder(resolve_model(model))
        return self._static

    @property
    def multilingual(self) -> Encoder:
        """The multilingual tier's model: the encoder itself with ``model="multilingual"``."""
        if self.model == MULTILINGUAL:
            return self.encoder
        if self._multilingual is None:
            self._multilingual = MultilingualEncoder(threads=self._loading["threads"])
        return self._multilingual

    def share_models(self, other: Embeddings) -> None:
        """Use ``other``'s loaded models (not its cache): a copy need not load them again."""
        self._encoder = self._encoder or other._encoder
        self._static = self._static or other._static
        self._multilingual = self._multilingual or other._multilingual

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

    def matrix(self, texts: list[str]) -> np.ndarray:
        """The vectors of ``texts`` as rows, in order."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = self.vectors(texts)
        return np.stack([vectors[t] for t in texts])

    def _remember(self, text: str, row: np.ndarray) -> None:
        if self.size == 0:
            return
        if len(self.cache) >= self.size:
            # Oldest first: dicts keep insertion order, so this is a FIFO bound on memory.
            del self.cache[next(iter(self.cache))]
        self.cache[text] = row
