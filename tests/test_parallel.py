"""scan --workers: the same output as one process, in input order, with any backend."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from conftest import EXAMPLES
from headcheck.cli.main import main
from headcheck.run.settings import ScanOptions


def test_two_workers_write_the_same_file_as_one(tmp_path: Path) -> None:
    """Rows come back in input order with identical results (batches of 8: several chunks)."""
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    # Pairs decided one by one come in chunks of a batch (a context block is one chunk).
    base = ["scan", str(EXAMPLES), "--batch-size", "8", "--no-context", "-q"]
    assert main([*base, "-o", str(one), "--workers", "1"]) == 0
    assert main([*base, "-o", str(two), "--workers", "2"]) == 0
    assert one.read_bytes() == two.read_bytes()


def test_an_input_of_one_block_is_checked_in_this_process(tmp_path: Path) -> None:
    """With the context decision a file under one block (20,000 rows) is one chunk: no
    worker would share it, so none is started, and the output is the same."""
    import multiprocessing

    one, auto = tmp_path / "one.jsonl", tmp_path / "auto.jsonl"
    assert main(["scan", str(EXAMPLES), "-o", str(one), "--workers", "1", "-q"]) == 0
    assert main(["scan", str(EXAMPLES), "-o", str(auto), "--workers", "2", "-q"]) == 0
    assert one.read_bytes() == auto.read_bytes()
    assert multiprocessing.active_children() == []


def test_a_scan_stopped_by_a_bad_row_shuts_its_workers_down(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unreadable row stops the run (exit 2) with chunks still in the workers: the pool
    is shut down then, not left behind waiting."""
    import multiprocessing

    source = tmp_path / "in.jsonl"
    lines = EXAMPLES.read_text(encoding="utf-8").splitlines()
    source.write_text("\n".join([*lines, "{not json", *lines]) + "\n", encoding="utf-8")
    argv = ["scan", str(source), "-o", str(tmp_path / "out.jsonl"), "--workers", "2",
            "--batch-size", "4", "--no-context", "-q"]  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert f"in.jsonl:{len(lines) + 1}: invalid JSON" in capsys.readouterr().err
    assert multiprocessing.active_children() == []


def test_onnx_cascade_with_workers_matches_one_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Calibrated for onnx, a 2-worker cascade scan equals the 1-process one and flags the
    cricket headline."""
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    calibration = tmp_path / "onnx.json"
    argv = ["calibrate", str(EXAMPLES), "--label-field", "label", "--backend", "onnx"]
    assert main([*argv, "-o", str(calibration)]) == 0
    assert json.loads(calibration.read_text())["backend"] == "onnx"
    base = ["scan", str(EXAMPLES), "--backend", "onnx", "--calibration", str(calibration)]
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    base += ["--no-context", "--batch-size", "8", "-q"]  # chunks of a batch: several
    assert main([*base, "-o", str(one), "--workers", "1"]) == 0
    assert main([*base, "-o", str(two), "--workers", "2"]) == 0
    assert one.read_bytes() == two.read_bytes()
    flagged = {json.loads(line)["title"] for line in one.read_text().splitlines()
               if json.loads(line)["is_headline_mismatch"]}  # fmt: skip
    assert "Live Score: India vs Australia, 2nd Test, Day 3" in flagged


def test_a_missing_model_with_workers_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The model folder is checked before the workers start and before any output exists."""
    out = tmp_path / "out.jsonl"
    argv = ["scan", str(EXAMPLES), "-o", str(out), "--workers", "2", "--model", "/nonexistent"]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "not a local folder" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("workers", [0, -1, True])
def test_workers_must_be_a_positive_integer(workers: object) -> None:
    """ScanOptions rejects a worker count that is not a positive integer."""
    with pytest.raises(ValueError, match="workers"):
        ScanOptions(workers=workers)  # type: ignore[arg-type]


def test_onnx_vectors_do_not_depend_on_their_batch() -> None:
    """A text embedded with the onnx backend gets the same vector alone or among others."""
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    from headcheck import Detector

    encoder = Detector(backend="onnx").encoder
    text = "Diplomats meet in Geneva for ceasefire talks"
    alone = encoder.encode([text])[0]
    crowded = encoder.encode(["A much longer sentence " * 20, text, "Short."])[1]
    assert np.array_equal(alone, crowded)


def test_onnx_texts_run_side_by_side_keep_their_order_and_vectors() -> None:
    """With several threads the onnx encoder runs texts side by side; each text still gets
    the vector it gets alone on one thread, in its place, whatever the order of the input."""
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    from headcheck.embed.onnx import OnnxEncoder

    texts = [f"Item {i}: " + "council votes on the harbour plan " * (1 + i % 7) for i in range(40)]
    one = OnnxEncoder(threads=1)
    three = OnnxEncoder(threads=3)
    assert (one.threads, three.threads) == (1, 3)
    expected = one.encode(texts)
    assert np.array_equal(three.encode(texts), expected)
    order = np.random.default_rng(0).permutation(len(texts))
    assert np.array_equal(three.encode([texts[i] for i in order]), expected[order])


def _encode_in_child(encoder: object, texts: list[str], queue: object) -> None:
    queue.put(encoder.encode(texts))  # type: ignore[attr-defined]


def test_an_onnx_encoder_used_before_a_fork_still_encodes_in_the_child() -> None:
    """A process forked from one whose encoder has run texts side by side gets none of the
    pool's threads; the encoder must make its own there instead of waiting for ever. (The
    pool's threads are kept busy across the fork, so that the child's copy of the pool can
    start no thread of its own: without a pool of its own the child always waits.)"""
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    import multiprocessing
    import queue as queues

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("this platform cannot fork")
    from headcheck.embed.onnx import OnnxEncoder

    encoder = OnnxEncoder(threads=2)
    texts = ["Council approves the harbour plan", "The vote ended a decade of dispute."]
    expected = encoder.encode(texts)  # the pool exists now, its threads in this process
    gate = threading.Event()
    busy = [encoder._runner.submit(gate.wait) for _ in range(2)]  # type: ignore[union-attr]
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_encode_in_child, args=(encoder, texts, results))
    child.start()
    try:
        got = results.get(timeout=60)
    except queues.Empty:
        pytest.fail("the forked child's encode never returned")
    finally:
        gate.set()
        child.kill()
        child.join()
    assert all(b.result(timeout=10) for b in busy)
    assert np.array_equal(got, expected)


def test_a_model_that_fails_to_load_in_a_worker_is_one_error_without_traceback(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A model folder that resolves but does not load: the workers' failure reaches the
    caller as one ModelError saying why, and no worker prints a traceback."""
    from headcheck.embed.resolve import ModelError
    from headcheck.run.parallel import check_chunks

    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    (broken / "modules.json").write_text("[]")
    chunks = [[("a headline", "a body of text")]] * 3
    with pytest.raises(ModelError, match="a worker process could not load the model: ") as caught:
        list(check_chunks(iter(chunks), {"model": str(broken), "calibration": None}, workers=2))
    assert str(broken) in str(caught.value)
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ([], 1),  # onnx and the corpus decision: this process, the encoder on every CPU
        (["--no-context"], None),  # most of a check is Python: a process per CPU
        (["--backend", "torch"], None),  # torch runs a worker's texts on one thread
        (["--workers", "3"], 3),
    ],
)
def test_the_default_workers_follow_the_backend_and_the_decision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: list[str], expected: int | None
) -> None:
    """scan without --workers: one process where the onnx encoder runs texts side by side
    for the corpus decision (measured faster, and half the memory, on 60,000 rows), else a
    worker process per CPU."""
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    import headcheck.run.scan as run_scan
    from headcheck.embed.resolve import available_cpus

    seen: list[int] = []
    real = run_scan.scan_file

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(kwargs["options"].workers)  # type: ignore[attr-defined]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(run_scan, "scan_file", spy)
    out = tmp_path / "out.jsonl"
    assert main(["scan", str(EXAMPLES), "-o", str(out), "-q", *options]) == 0
    assert seen == [available_cpus() if expected is None else expected]
