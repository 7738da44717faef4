"""`scan --resume`: a run killed mid-way continues from its partial output, and the result is
the same file an uninterrupted run writes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from headcheck import Detector
from headcheck.io.formats import InputError, detect_format
from headcheck.run.resume import detector_fingerprint, state_path
from headcheck.run.scan import scan_file
from headcheck.run.settings import ScanOptions, ScanStats
from synthetic import HashEncoder, articles, write_jsonl

RUNNER = Path(__file__).parent / "scan_runner.py"


def headcheck_command() -> str:
    exe = shutil.which("headcheck", path=str(Path(sys.executable).parent))
    assert exe is not None, "the headcheck command is not installed beside this Python"
    return exe


def wait_for_checkpoint(
    process: subprocess.Popen[str], output: Path, rows: int, timeout: float
) -> int:
    """Poll the checkpoint file until it covers at least ``rows`` rows; return that count."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the run ended before it was killed: {process.stderr}"
        try:
            covered = json.loads(Path(state_path(str(output))).read_text())["rows"]
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            covered = 0
        if covered >= rows:
            return int(covered)
        time.sleep(0.05)
    raise AssertionError(f"no checkpoint of {rows} rows within {timeout} s")


def partial_path(out: Path) -> Path:
    """The partial file of ``out`` that its checkpoint names (the name is not predictable)."""
    state = json.loads(Path(state_path(str(out))).read_text())
    return out.parent / state["partial"]


def kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def test_killed_cli_run_resumes_to_identical_output(tmp_path: Path) -> None:
    """SIGKILL a real `headcheck scan` mid-run; `--resume` finishes it byte for byte the same."""
    source = tmp_path / "in.jsonl"
    rows = list(articles(160))
    rows[50] = {"id": 50, "title": "No body here", "text": None}
    with source.open("w", encoding="utf-8") as f:
        for i, row in enumerate(rows):
            f.write(json.dumps(row) + "\n")
            if i == 20:
                f.write("{not json\n")  # an error row before the kill
            if i == 120:
                f.write("[1, 2]\n")  # and one after it
    exe = headcheck_command()
    # --threshold: checkpoints come batch by batch (the shipped decision reads a whole
    # 20,000-row block as a corpus before it writes).
    common = ["scan", str(source), "--batch-size", "16", "--on-error", "skip", "--no-progress",
              "--threshold", "0.25"]  # fmt: skip
    whole = tmp_path / "whole.jsonl"
    done = subprocess.run(
        [exe, *common, "-o", str(whole)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    summary = done.stderr.strip().splitlines()[-1]

    out = tmp_path / "out.jsonl"
    with subprocess.Popen(
        [exe, *common, "-o", str(out)], stderr=subprocess.PIPE, text=True
    ) as process:
        covered = wait_for_checkpoint(process, out, rows=48, timeout=300)
        kill(process)
    partial = Path(partial_path(out))
    assert not out.exists() and partial.exists()
    assert covered < len(rows)
    with partial.open("ab") as f:  # as if the kill came in the middle of a line
        f.write(b'{"id": 999, "title": "torn')

    done = subprocess.run(
        [exe, *common, "-o", str(out), "--resume"], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert "resumed after" in done.stderr
    assert out.read_bytes() == whole.read_bytes()
    assert len(out.read_text().splitlines()) == len(rows) + 2
    # The summary counts the whole file, not only the rows after the resume point.
    resumed_summary = done.stderr.strip().splitlines()[-1]
    assert resumed_summary.split(", skipped")[0] == summary.split(", skipped")[0]
    assert not partial.exists() and not Path(state_path(str(out))).exists()


def test_killed_csv_run_resumes_to_identical_output(tmp_path: Path) -> None:
    """CSV output (its header held back for the first 1,000 rows) resumes after a SIGKILL."""
    source = write_jsonl(tmp_path / "in.jsonl", articles(4_000))
    whole, out = tmp_path / "whole.csv", tmp_path / "out.csv"
    base = [sys.executable, str(RUNNER), str(source), "--batch-size", "32"]
    slow = ["--delay", "0.02"]  # the same batches, only slower, to be killed in time
    subprocess.run([*base, str(whole)], check=True, capture_output=True, timeout=300)
    with subprocess.Popen([*base, str(out), *slow], stderr=subprocess.PIPE, text=True) as process:
        covered = wait_for_checkpoint(process, out, rows=1_500, timeout=120)
        kill(process)
    assert covered < 4_000
    done = subprocess.run(
        [*base, str(out), "--resume"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["resumed"] >= 1_500 and report["checked"] == 4_000
    assert out.read_bytes() == whole.read_bytes()


# -- the rules, checked in-process with the cheap encoder ---------------------------------------


def interrupted_scan(source: Path, output: Path, after: int, **options: Any) -> None:
    """Run a scan that Ctrl-C stops after ``after`` rows (as a kill would, it keeps the
    partial output and its checkpoint)."""

    def progress(checked: int) -> None:
        if checked >= after:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(source, output, progress=progress, **options)


def run(source: Path, output: Path, *, resume: bool = False, **kwargs: Any) -> ScanStats:
    progress = kwargs.pop("progress", None)
    detector = Detector(
        encoder=HashEncoder(),
        batch_size=kwargs.pop("batch_size", 8),
        calibration=kwargs.pop("calibration", None),
        scoring=kwargs.pop("scoring", None),
        context=kwargs.pop("context", True),
    )
    return scan_file(
        str(source),
        str(output),
        detector=detector,
        options=ScanOptions(**kwargs),
        input_format=detect_format(str(source)),
        output_format=detect_format(str(output)),
        progress=progress,
        resume=resume,
    )


@pytest.fixture(autouse=True)
def checkpoint_every_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checkpoint at every batch, so short in-process runs have several."""
    monkeypatch.setattr("headcheck.run.resume.CHECKPOINT_SECONDS", 0.0)


@pytest.mark.parametrize(
    ("suffix", "options", "after"),
    [
        (".jsonl", {}, 130),
        (".jsonl", {"only_flagged": True}, 130),
        # CSV rows are held back until the header is known (1,000 rows): no checkpoint before.
        (".csv", {"id_field": "id"}, 1_200),
    ],
)
def test_interrupted_run_resumes_with_the_same_output_and_counts(
    tmp_path: Path, suffix: str, options: dict[str, Any], after: int
) -> None:
    """Resumed output and summary counts equal an uninterrupted run's, whatever the options."""
    source = write_jsonl(tmp_path / "in.jsonl", articles(1_500))
    whole, out = tmp_path / f"whole{suffix}", tmp_path / f"out{suffix}"
    full = run(source, whole, **options)
    interrupted_scan(source, out, after, **options)
    assert Path(partial_path(out)).exists()
    resumed = run(source, out, resume=True, **options)
    assert out.read_bytes() == whole.read_bytes()
    assert (resumed.checked, resumed.flagged, resumed.skipped, resumed.reasons) == (
        full.checked,
        full.flagged,
        full.skipped,
        full.reasons,
    )
    assert after - 16 <= resumed.resumed < 1_500


def test_csv_interrupted_before_its_header_starts_afresh(tmp_path: Path) -> None:
    """A CSV run stopped before its header was written has no checkpoint: --resume redoes it."""
    source = write_jsonl(tmp_path / "in.jsonl", articles(1_100))
    whole, out = tmp_path / "whole.csv", tmp_path / "out.csv"
    run(source, whole)
    interrupted_scan(source, out, 500)
    assert not Path(state_path(str(out))).exists()
    assert run(source, out, resume=True).resumed == 0
    assert out.read_bytes() == whole.read_bytes()


def test_resume_without_a_partial_file_starts_afresh(tmp_path: Path) -> None:
    """--resume with nothing to resume scans the whole input."""
    source = write_jsonl(tmp_path / "in.jsonl", articles(20))
    stats = run(source, tmp_path / "out.jsonl", resume=True)
    assert stats.resumed == 0 and stats.checked == 20
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 20


def test_resume_refuses_a_changed_input(tmp_path: Path) -> None:
    """A partial output of another input (or a changed one) is refused, saying what changed."""
    source = write_jsonl(tmp_path / "in.jsonl", articles(100))
    out = tmp_path / "out.jsonl"
    interrupted_scan(source, out, 40)
    write_jsonl(source, articles(101))
    with pytest.raises(InputError, match=r"cannot resume: .*input\.size was \d+, now \d+"):
        run(source, out, resume=True)


def test_resume_refuses_other_options(tmp_path: Path) -> None:
    """Resuming with other options (here the title field) is refused, naming the option."""
    source = write_jsonl(tmp_path / "in.jsonl", articles(100))
    out = tmp_path / "out.jsonl"
    interrupted_scan(source, out, 40)
    with pytest.raises(InputError, match=r"options\.title_field was 'title', now 'id'"):
        run(source, out, resume=True, title_field="id")
    with pytest.raises(InputError, match=r"detector\.batch_size was 8, now 4"):
        run(source, out, resume=True, batch_size=4)
    # Another scoring gives other verdicts: the two halves would not be one decision.
    with pytest.raises(InputError, match=r"detector\.scoring was 'full', now 'fast'"):
        run(source, out, resume=True, scoring="fast")


def test_the_checkpoint_fingerprints_every_decision_option() -> None:
    """The shipped decision reads a crawl as a corpus: a resume with --no-context (or
    another calibration, threshold or batch size) would mix two decisions in one file, so
    each is in the run's fingerprint, which a resume must match (see the test above)."""
    base = detector_fingerprint(Detector(encoder=HashEncoder()))
    assert base["context"] is True
    for change, key in (
        ({"context": False}, "context"),
        ({"threshold": 0.3}, "calibration"),
        ({"batch_size": 16}, "batch_size"),
    ):
        other = detector_fingerprint(Detector(encoder=HashEncoder(), **change))
        assert other[key] != base[key], change


def test_resume_refuses_a_shortened_partial_file(tmp_path: Path) -> None:
    """A partial file shorter than its checkpoint (someone edited it) is refused."""
    source = write_jsonl(tmp_path / "in.jsonl", articles(100))
    out = tmp_path / "out.jsonl"
    interrupted_scan(source, out, 40)
    Path(partial_path(out)).write_text("")
    with pytest.raises(InputError, match=r"fewer than the \d+ its checkpoint recorded"):
        run(source, out, resume=True)


def test_a_corrupt_checkpoint_is_refused_with_advice(tmp_path: Path) -> None:
    """An unreadable checkpoint file is named, with what to do."""
    source = write_jsonl(tmp_path / "in.jsonl", articles(50))
    out = tmp_path / "out.jsonl"
    interrupted_scan(source, out, 20)
    Path(state_path(str(out))).write_text('{"rows": "many"')
    with pytest.raises(InputError, match=r"checkpoint .* is unreadable .* rerun without --resume"):
        run(source, out, resume=True)


@pytest.mark.parametrize("output", ["out.parquet", "out.jsonl.gz", "-"])
def test_unresumable_outputs_are_refused_clearly(tmp_path: Path, output: str) -> None:
    """Parquet, gzip and standard output cannot be resumed: --resume says so up front."""
    source = write_jsonl(tmp_path / "in.jsonl", articles(5))
    target = output if output == "-" else str(tmp_path / output)
    with pytest.raises(InputError, match="cannot be resumed"):
        scan_file(
            str(source),
            target,
            detector=Detector(encoder=HashEncoder(), calibration=None),
            options=ScanOptions(),
            input_format="jsonl",
            output_format=detect_format(output) if output != "-" else "jsonl",
            resume=True,
        )


def test_a_second_run_on_the_same_output_is_refused_while_the_first_writes(
    tmp_path: Path,
) -> None:
    """Two runs writing one output would interleave: the second stops, naming the lock."""
    source = write_jsonl(tmp_path / "in.jsonl", articles(3_000))
    out = tmp_path / "out.jsonl"
    base = [sys.executable, str(RUNNER), str(source), str(out)]
    with subprocess.Popen([*base, "--delay", "0.05"], stderr=subprocess.PIPE, text=True) as first:
        wait_for_checkpoint(first, out, rows=64, timeout=60)
        with pytest.raises(InputError, match="another run is writing this output"):
            run(source, out)
        kill(first)


class InterruptedEncoder(HashEncoder):
    """Encodes ``calls`` batches, then gets Ctrl-C."""

    def __init__(self, calls: int) -> None:
        super().__init__()
        self.calls = calls

    def encode(self, texts: list[str]) -> Any:
        self.calls -= 1
        if self.calls < 0:
            raise KeyboardInterrupt
        return super().encode(texts)


def test_ctrl_c_in_the_cli_keeps_the_partial_output_and_says_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C ends the CLI with status 130 and a hint to resume; the partial file stays."""
    from headcheck.cli.common import EXIT_INTERRUPTED
    from headcheck.cli.main import main

    source = write_jsonl(tmp_path / "in.jsonl", articles(100))
    out = tmp_path / "out.jsonl"
    monkeypatch.setattr(
        "headcheck.detector.Detector",
        lambda **_: Detector(encoder=InterruptedEncoder(calls=4), batch_size=8, calibration=None),
    )
    # In this process (workers would build detectors of their own, without the patch).
    status = main(["scan", str(source), "-o", str(out), "-q", "--workers", "1"])
    assert status == EXIT_INTERRUPTED
    assert "interrupted; rerun with --resume to continue" in capsys.readouterr().err
    assert Path(partial_path(out)).exists() and Path(state_path(str(out))).exists()
    assert not out.exists()
