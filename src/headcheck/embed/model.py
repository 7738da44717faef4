"""Load the encoder for a model and a backend (torch, onnx, or the multilingual tier)."""

from __future__ import annotations

import os

from headcheck.embed.multilingual import MultilingualEncoder
from headcheck.embed.resolve import MULTILINGUAL, Backend, Encoder, default_backend
from headcheck.embed.transformer import SentenceTransformerEncoder


def load_encoder(
    model: str | os.PathLike[str] | None,
    *,
    backend: Backend | None = None,
    device: str | None = None,
    allow_download: bool = False,
    threads: int | None = None,
) -> Encoder:
    """The encoder for ``backend``; ``threads`` caps the CPU threads it uses (None: all).
    The multilingual tier (``model="multilingual"``) runs on its own engine, whatever the
    backend."""
    if model == MULTILINGUAL:
        return MultilingualEncoder(threads=threads)
    if (backend or default_backend()) == "onnx":
        from headcheck.embed.onnx import OnnxEncoder  # onnxruntime loads only when asked for

        return OnnxEncoder(model, allow_download=allow_download, threads=threads)
    if threads:
        import torch

        torch.set_num_threads(threads)
    return SentenceTransformerEncoder(model, device=device, allow_download=allow_download)
