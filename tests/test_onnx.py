"""The onnx backend: an int8 export built locally and cached, close to the torch model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import fnc1
from conftest import EXAMPLES
from headcheck import Detector
from headcheck.embed.cache import CACHE_ENV

pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")


@pytest.fixture(scope="module")
def onnx_detector() -> Detector:
    """A detector on the onnx backend (its export lands in the session's cache folder)."""
    return Detector(backend="onnx")


def example_pairs() -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines()]
    return [
        (r["title"], r["text"])
        for r in rows
        if isinstance(r.get("title"), str) and isinstance(r.get("text"), str)
    ]


def fnc_pairs(limit: int) -> tuple[list[tuple[str, str]], np.ndarray]:
    """A fixed-seed sample of FNC-1 pairs and their labels (1 = unrelated)."""
    import random

    bodies = fnc1.bodies()
    stances = random.Random(11).sample(list(fnc1.stances()), limit)
    pairs = [(r["Headline"], bodies[r["Body ID"]]) for r in stances]
    return pairs, np.array([r["Stance"] == "unrelated" for r in stances], dtype=int)


def test_export_is_cached_in_the_cache_folder(onnx_detector: Detector) -> None:
    """The int8 file is written under HEADCHECK_CACHE once and is small (int8 weights)."""
    onnx_detector.check("A headline", "A body about something.")
    path = onnx_detector.encoder.path  # type: ignore[attr-defined]
    assert path.is_file()
    assert Path(os.environ[CACHE_ENV]) in path.parents
    assert path.stat().st_size < 40 * 2**20  # fp32 weights alone are ~90 MB


def test_cached_export_loads_without_torch(onnx_detector: Detector) -> None:
    """Once built, the onnx backend checks pairs in a process that never imports torch."""
    onnx_detector.check("A headline", "A body about something.")
    code = (
        "import sys; from headcheck import Detector; "
        "r = Detector(backend='onnx').check('Rain in Paris', 'It rained in Paris all day.'); "
        "print(r.similarity > 0.3, 'torch' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    assert done.stdout.split() == ["True", "False"]


def test_int8_moves_cosines_little_on_the_examples(
    detector: Detector, onnx_detector: Detector
) -> None:
    """Headline-body similarities of the shipped examples move by <= 0.02 on average and
    0.08 at worst between torch and int8 onnx."""
    pairs = example_pairs()
    torch_sims = np.array([r.similarity or 0.0 for r in detector.check_many(pairs)])
    onnx_sims = np.array([r.similarity or 0.0 for r in onnx_detector.check_many(pairs)])
    drift = np.abs(torch_sims - onnx_sims)
    assert drift.mean() <= 0.02
    assert drift.max() <= 0.08


@pytest.mark.slow
@fnc1.needs_fnc1
def test_int8_keeps_cosines_and_roc_auc_on_fnc(detector: Detector, onnx_detector: Detector) -> None:
    """On 600 FNC-1 pairs: mean drift <= 0.02, worst <= 0.08, ROC-AUC within 0.002."""
    pairs, labels = fnc_pairs(600)
    torch_sims = np.array([r.similarity or 0.0 for r in detector.check_many(pairs)])
    onnx_sims = np.array([r.similarity or 0.0 for r in onnx_detector.check_many(pairs)])
    drift = np.abs(torch_sims - onnx_sims)
    assert drift.mean() <= 0.02
    assert drift.max() <= 0.08
    auc_torch = roc_auc_score(labels, -torch_sims)
    auc_onnx = roc_auc_score(labels, -onnx_sims)
    assert abs(auc_torch - auc_onnx) <= 0.002


def test_unknown_backend_is_rejected() -> None:
    """A misspelt backend fails at once and names the valid ones."""
    with pytest.raises(ValueError, match="torch, onnx"):
        Detector(backend="onnxx")  # type: ignore[arg-type]


@pytest.mark.parametrize("package", ["onnxruntime", "onnx", "torch", "transformers", "tokenizers"])
def test_a_new_version_of_a_library_that_makes_the_export_makes_a_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, package: str
) -> None:
    """The export's numbers depend on the exporter, the quantiser and the runtime: a cached
    file made with other versions of any of them is not reused."""
    import headcheck.embed.cache as cache

    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    before = cache.cache_key(tmp_path)
    real = cache._version
    monkeypatch.setattr(cache, "_version", lambda p: "0.0.1" if p == package else real(p))
    assert cache.cache_key(tmp_path) != before
