"""The ``onnx`` backend: the packaged model exported to ONNX, quantised to int8, run directly.

sentence-transformers' own ONNX route needs optimum, whose release cannot be installed beside
sentence-transformers 6, so this module does the three steps itself:

1. on first use, export the model's transformer with ``torch.onnx`` and quantise its weights
   to int8 with ONNX Runtime's dynamic quantisation; the file is cached in the user cache
   folder (:func:`headcheck.embed.cache.cache_dir`) under a key of the model folder and versions,
   so later runs (and other processes) load it without torch;
2. tokenise with the model's own ``tokenizer.json`` (the ``tokenizers`` library);
3. run it with ``onnxruntime`` and mean-pool the token vectors, as the model's pooling
   config says, then L2-normalise.

Nothing is downloaded: the export reads the local model folder.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from headcheck.embed.cache import (
    cache_dir,
    cache_key,
    private_folder,
    read_verified,
    warn_rebuild,
    write_atomically,
)
from headcheck.embed.resolve import (
    DEFAULT_MODEL_NAME,
    ModelError,
    available_cpus,
    quiet_loading,
    resolve_model,
)

#: Texts are cut to this many word pieces when the model folder does not say.
DEFAULT_MAX_TOKENS = 256


def _require(module: str) -> None:
    try:
        __import__(module)
    except ImportError as exc:
        raise ModelError(
            f"backend='onnx' needs the '{module}' package ({exc}); install the extra with "
            "`pip install 'headcheck[onnx]'`, or use backend='torch'."
        ) from exc


def _max_tokens(folder: Path) -> int:
    config = folder / "sentence_bert_config.json"
    if config.is_file():
        value = json.loads(config.read_text(encoding="utf-8")).get("max_seq_length")
        if isinstance(value, int) and value > 0:
            return value
    return DEFAULT_MAX_TOKENS


def onnxruntime_offline() -> Any:
    """onnxruntime, with its telemetry switched off: ``ORT_DISABLE_TELEMETRY`` (which only
    works before onnxruntime initialises; :mod:`headcheck` sets it on import) and, for an
    onnxruntime that a program imported before headcheck, its API switch, before any session
    is made. headcheck never sends anything anywhere."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime

    disable = getattr(onnxruntime, "disable_telemetry_events", None)
    if disable is not None:
        disable()
    return onnxruntime


def export_int8(folder: Path, destination: Path) -> None:
    """Export the transformer in ``folder`` to ONNX and write its int8 quantisation."""
    _require("onnx")
    import torch

    onnxruntime_offline()  # quantize_dynamic runs sessions of its own
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    class _Hidden(torch.nn.Module):
        """The transformer with plain positional inputs and its last hidden state as output."""

        def __init__(self) -> None:
            super().__init__()
            with quiet_loading():
                self.inner = AutoModel.from_pretrained(str(folder)).eval()

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    model = _Hidden().eval()
    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = tuple(torch.ones((2, 8), dtype=torch.long) for _ in names)
    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    axes["last_hidden_state"] = {0: "batch", 1: "tokens"}
    private_folder(destination.parent)
    full = destination.with_name(destination.stem + f".fp32.{os.getpid()}.onnx")
    quantised = destination.with_name(destination.stem + f".int8.{os.getpid()}.onnx")
    try:
        # The tracer's warnings concern shapes this model does not vary (checked by the
        # drift test against torch on padded batches); a user cannot act on them.
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                sample,
                str(full),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        # The quantiser logs advice on the root logger ("consider pre-processing") that a user
        # cannot act on: silenced for the call (the export runs once, in one thread).
        previous = logging.root.manager.disable
        logging.disable(logging.WARNING)
        try:
            quantize_dynamic(
                str(full), str(quantised), weight_type=QuantType.QInt8, per_channel=True
            )
        finally:
            logging.disable(previous)
        write_atomically(destination, quantised.read_bytes())
    finally:
        for path in (full, quantised):
            path.unlink(missing_ok=True)


class OnnxEncoder:
    """Embeds with the int8 ONNX export of a sentence-transformers model (mean pooling)."""

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        allow_download: bool = False,
        threads: int | None = None,
    ) -> None:
        _require("onnxruntime")
        _require("tokenizers")
        from tokenizers import Tokenizer

        onnxruntime = onnxruntime_offline()

        self.source = resolve_model(model, allow_download=allow_download)
        folder = Path(self.source)
        if not folder.is_dir():
            raise ModelError(
                f"backend='onnx' exports a local model folder, got the hub name {self.source!r}; "
                "save the model with SentenceTransformer.save() and pass its folder."
            )
        self.name = (DEFAULT_MODEL_NAME if model is None else str(model)) + " (onnx int8)"
        self.path = cache_dir() / "onnx" / f"{cache_key(folder)}.int8.onnx"
        exported, problem = read_verified(self.path)
        if problem is not None:
            warn_rebuild(self.path, problem, "ONNX model")
        if exported is None:
            # First use only: said on stderr, since it takes a while and writes to the cache.
            print(
                f"headcheck: exporting the model to ONNX, once, about a minute ({self.path})",
                file=sys.stderr,
                flush=True,
            )
            try:
                export_int8(folder, self.path)
            except ModelError:
                raise
            except Exception as exc:
                raise ModelError(
                    f"could not load the model from {folder} to export it to ONNX: "
                    f"{type(exc).__name__}: {exc}. Check the folder, or that torch and onnx "
                    "are installed (or use backend='torch')."
                ) from exc
            exported, problem = read_verified(self.path)
            if exported is None:
                raise ModelError(f"the ONNX export {self.path} cannot be read back: {problem}")
        # Texts run side by side, each alone on one thread, in a pool of ``threads`` threads
        # sharing the session (its runs are thread-safe and release the GIL): on inputs of one
        # text, ONNX Runtime's own threads spend much of their time handing work over (two
        # of them embedded 76 pairs a second where two texts at a time on one thread each
        # embedded 99, with the same vectors).
        self.threads = threads or available_cpus()
        self._runner: ThreadPoolExecutor | None = None
        self._runner_pid = 0
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        # From the bytes that were checked against their digest, not the path again.
        self._session = onnxruntime.InferenceSession(
            exported, options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=_max_tokens(folder))
        self._tokenizer.no_padding()
        self.dimension = int(self._session.get_outputs()[0].shape[-1] or 0) or self._probe()

    def _probe(self) -> int:
        return int(self._pool(self._tokenizer.encode_batch(["a"])).shape[1])

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised embeddings in the order of ``texts``, each independent of the others."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(texts)
        rows = np.zeros((len(texts), self.dimension), dtype=np.float32)
        # One text per run: dynamic int8 quantisation scales activations by the whole input,
        # so in a batch a text's vector would depend on its neighbours and their padding (by
        # up to 0.01 in cosine), and with it a scan's output on its batching, workers and
        # cache. Alone, each text gets the same vector every time, at no padding cost (about
        # 200 texts/s on one thread, within 8% of the best batching), whichever thread runs it.
        if self.threads > 1 and len(encodings) > 1:
            vectors = self._runner_here().map(self._alone, encodings)
        else:
            vectors = map(self._alone, encodings)
        for i, vector in enumerate(vectors):
            rows[i] = vector
        return rows

    def _alone(self, encoding: Any) -> np.ndarray:
        return self._pool([encoding])[0]

    def _runner_here(self) -> ThreadPoolExecutor:
        """The thread pool of this process: a process forked after the pool was made has
        none of its threads (work handed to it would wait for ever), so it makes its own."""
        if self._runner is None or self._runner_pid != os.getpid():
            self._runner = ThreadPoolExecutor(self.threads, thread_name_prefix="headcheck")
            self._runner_pid = os.getpid()
        return self._runner

    def _pool(self, encodings: list) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            n = len(encoding.ids)
            ids[row, :n] = encoding.ids
            mask[row, :n] = 1
            types[row, :n] = encoding.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        (hidden,) = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
