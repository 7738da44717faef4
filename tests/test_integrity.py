"""Nothing lost, nothing invented, nothing phoned home: hostile inputs and environments, each
run as a user would meet it, in a real `headcheck` process on real files.

One test (or a few) per case of the adversarial run they come from: the network, planted
cache files, a link at the output's partial file, CSV and JSONL row accounting, Parquet
output that reads back, exit codes for OS errors, a bound on a line, pipes as input, and
calibrations that would never (or always) flag.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from conftest import POLITICS, POLITICS_TITLE, SPORTS_TITLE
from headcheck.embed.cache import CACHE_ENV
from synthetic import articles, write_jsonl

pa = pytest.importorskip("pyarrow", reason="Parquet cases need pyarrow (headcheck[parquet])")
pq = pytest.importorskip("pyarrow.parquet", reason="Parquet cases need pyarrow")

EXE = shutil.which("headcheck", path=str(Path(sys.executable).parent))

BODY = (
    "The Federal Reserve raised interest rates by a quarter point on Wednesday. Officials "
    "said inflation remained too high and that further increases were possible this year."
)


def headcheck(
    *args: str | Path,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    **kwargs: Any,
) -> subprocess.CompletedProcess[str]:
    assert EXE is not None, "the headcheck command is not installed beside this Python"
    return subprocess.run(
        [EXE, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        **kwargs,
    )


def records(n: int = 10) -> list[dict[str, Any]]:
    return [
        {"id": i, "title": f"Fed raises interest rates, report {i}", "text": BODY} for i in range(n)
    ]


def jsonl_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr, done.stderr[-3000:]


# -- 1. no network, native code included -------------------------------------------------------

#: A connect or send to an internet address (a DNS query is one: port 53).
_NETWORK_CALL = re.compile(r"(connect|sendto|sendmsg)\(.*sa_family=AF_INET6?\b")
#: Loopback, which stays on this machine.
_LOOPBACK = re.compile(r'inet_addr\("127\.|inet_pton\(AF_INET6, "::1"|"::ffff:127\.')


def _strace_works() -> str | None:
    """None when strace can trace a child here, else why not."""
    if shutil.which("strace") is None:
        return "strace is not installed"
    done = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=socket", "-o", os.devnull, "true"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return f"strace cannot trace here: {done.stderr.strip()[:200]}"
    return None


def traced(log: Path, *args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run headcheck under strace, logging every socket and connect call of every thread and
    child process (the native code of onnxruntime and torch included)."""
    assert EXE is not None
    command = ["strace", "-f", "-qq", "-e", "trace=socket,connect,sendto,sendmsg"]
    command += ["-e", "signal=none", "-o", str(log), EXE, *map(str, args)]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=900, env={**os.environ, **env}
    )


def network_calls(log: Path) -> list[str]:
    lines = log.read_text(errors="replace").splitlines()
    return [line for line in lines if _NETWORK_CALL.search(line) and not _LOOPBACK.search(line)]


def test_scan_calibrate_report_and_the_export_open_no_network_socket(tmp_path: Path) -> None:
    """With a fresh cache (so the ONNX export and the static distillation run), scan,
    calibrate and report open no internet socket and ask no resolver, in any thread or
    process: telemetry would show here even from native code, which a Python socket patch
    cannot see."""
    why = _strace_works()
    if why is not None:
        pytest.skip(f"needs a syscall tracer: {why}")
    env = {CACHE_ENV: str(tmp_path / "fresh-cache")}
    source = write_jsonl(tmp_path / "in.jsonl", articles(300))
    runs = {
        "scan": ["scan", source, "-o", tmp_path / "out.jsonl", "-q", "--backend", "onnx"],
        "calibrate": ["calibrate", source, "-o", tmp_path / "cal.json", "--backend", "onnx"],
        "report": ["report", source, "-o", tmp_path / "report.md", "--backend", "onnx"],
    }
    for name, args in runs.items():
        log = tmp_path / f"{name}.strace"
        done = traced(log, *args, env=env)
        assert done.returncode == 0, (name, done.stderr[-3000:])
        if name == "scan":
            assert "exporting the model to ONNX" in done.stderr  # the export was traced too
        assert network_calls(log) == [], name
    # The cache folder was created private to the user.
    for folder in (tmp_path / "fresh-cache", tmp_path / "fresh-cache" / "onnx"):
        assert folder.stat().st_mode & 0o077 == 0, oct(folder.stat().st_mode)


def test_onnxruntime_telemetry_is_off_before_any_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """onnxruntime's own switch is thrown before the first InferenceSession is made."""
    onnxruntime = pytest.importorskip("onnxruntime")
    from headcheck.embed.onnx import OnnxEncoder

    calls: list[str] = []
    real_session = onnxruntime.InferenceSession
    monkeypatch.setattr(onnxruntime, "disable_telemetry_events", lambda: calls.append("off"))

    def session(*args: Any, **kwargs: Any) -> Any:
        calls.append("session")
        return real_session(*args, **kwargs)

    monkeypatch.setattr(onnxruntime, "InferenceSession", session)
    OnnxEncoder()
    assert "session" in calls and calls[0] == "off"


# -- 2. cache files are verified before use -----------------------------------------------------


def constant_model(path: Path) -> None:
    """An ONNX model with the export's inputs whose output is the same vector for every text."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"])
        for name in ("input_ids", "attention_mask", "token_type_ids")
    ]
    output = helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "tokens", 384])
    nodes = [
        helper.make_node("Shape", ["input_ids"], ["shape2"]),
        helper.make_node(
            "Constant", [], ["width"], value=helper.make_tensor("w", TensorProto.INT64, [1], [384])
        ),
        helper.make_node("Concat", ["shape2", "width"], ["shape3"], axis=0),
        helper.make_node(
            "ConstantOfShape",
            ["shape3"],
            ["hidden"],
            value=helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0]),
        ),
    ]
    graph = helper.make_graph(nodes, "constant", inputs, [output])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path.write_bytes(model.SerializeToString())
    assert onnx is not None


def test_a_planted_cache_file_is_rebuilt_with_a_warning_never_used(
    tmp_path: Path, cache_folder: Path
) -> None:
    """A constant-output model planted over the cached ONNX export, and zeros planted over the
    static table, are refused (they do not match the digests recorded when the files were
    written): each is rebuilt with a warning, and the scan is the real model's."""
    cache = tmp_path / "cache"
    shutil.copytree(cache_folder, cache)  # the session's exports, when made already
    env = {CACHE_ENV: str(cache)}
    pairs = [(POLITICS_TITLE, POLITICS), (SPORTS_TITLE, POLITICS)] * 3
    source = tmp_path / "in.jsonl"
    source.write_text(
        "".join(
            json.dumps({"id": i, "title": t, "text": b}) + "\n" for i, (t, b) in enumerate(pairs)
        )
    )
    honest = headcheck("scan", source, "-o", tmp_path / "honest.jsonl", "-q", env=env)
    assert honest.returncode == 0, honest.stderr[-3000:]
    (exported,) = (cache / "onnx").glob("*.int8.onnx")
    (table,) = (cache / "static").glob("*.npy")
    constant_model(exported)
    import numpy as np

    np.save(table, np.zeros((10, 384), dtype=np.float32))
    planted = headcheck("scan", source, "-o", tmp_path / "planted.jsonl", "-q", env=env)
    assert planted.returncode == 0, planted.stderr[-3000:]
    assert f"not using the cached ONNX model {exported}" in planted.stderr
    assert f"not using the cached static embeddings {table}" in planted.stderr
    assert "does not match the digest recorded when it was written" in planted.stderr
    assert (tmp_path / "planted.jsonl").read_bytes() == (tmp_path / "honest.jsonl").read_bytes()
    assert sum(r["is_headline_mismatch"] for r in jsonl_rows(tmp_path / "planted.jsonl")) == 3
    again = headcheck("scan", source, "-o", tmp_path / "again.jsonl", "-q", env=env)
    assert "not using the cached" not in again.stderr  # the rebuilt files are trusted


# -- 3. the partial file is never a planted link -----------------------------------------------


@pytest.mark.parametrize("output", ["out.jsonl", "out.csv", "out.parquet", "out.jsonl.gz"])
def test_a_link_planted_at_the_old_partial_name_is_not_followed(
    tmp_path: Path, output: str
) -> None:
    """`ln -s victim .out.jsonl.partial` (the fixed name of old versions), or links at the
    process-id names old versions gave Parquet and .gz partial files, no longer redirect the
    output: the partial file is a new one with a name that cannot be guessed, and the victim
    is untouched."""
    source = tmp_path / "in.jsonl"
    write_jsonl(source, iter(records(5)))
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    out = tmp_path / output
    # The fixed name, and the process-id names of the next few hundred processes (the one
    # old versions used for Parquet and .gz output).
    last = (
        int(Path("/proc/loadavg").read_text().split()[-1])
        if Path("/proc/loadavg").exists()
        else os.getpid()
    )
    names = [f".{output}.partial"] + [
        f".{output}.{pid}.partial" for pid in range(last + 1, last + 400)
    ]
    for name in names:
        (tmp_path / name).symlink_to(victim)
    done = headcheck("scan", source, "-o", out, "-q", "--threshold", "0.3")
    assert done.returncode == 0, done.stderr[-3000:]
    assert victim.read_text() == "precious\n"
    assert out.is_file() and not out.is_symlink()
    left = sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".partial"))
    assert all((tmp_path / name).is_symlink() for name in left)  # only the planted links


def test_a_link_planted_at_the_lock_file_stops_the_run_untouched(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    write_jsonl(source, iter(records(5)))
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (tmp_path / ".out.jsonl.lock").symlink_to(victim)
    done = headcheck("scan", source, "-o", tmp_path / "out.jsonl", "-q", "--threshold", "0.3")
    assert done.returncode == 2
    assert "lock file" in done.stderr and "is a symbolic link" in done.stderr
    no_traceback(done)
    assert victim.read_text() == "precious\n" and not (tmp_path / "out.jsonl").exists()


# -- 4. CSV: one row per record, never more -----------------------------------------------------


def test_a_seventy_megabyte_quoted_field_is_one_error_row_not_a_stream_of_rows(
    tmp_path: Path,
) -> None:
    """A quoted 70 MB field full of newlines (over the 64 MiB record limit) is one error row;
    the other nine records are scored, so ten rows come out of ten."""
    source = tmp_path / "big.csv"
    with source.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "title", "text"])
        for i in range(10):
            text = ("a line of the body\n" * 3_700_000)[:70_000_000] if i == 4 else BODY
            writer.writerow([i, f"Fed raises interest rates, report {i}", text])
    out = tmp_path / "out.jsonl"
    done = headcheck("scan", source, "-o", out, "-q", "--on-error", "skip", "--threshold", "0.3")
    assert done.returncode == 0, done.stderr[-3000:]
    rows = jsonl_rows(out)
    assert len(rows) == 10
    errors = [r for r in rows if r["headline_mismatch_reason"] == "unreadable_record"]
    assert len(errors) == 1
    assert errors[0]["headline_evidence"] == (
        "line 6: a record longer than 67,108,864 bytes (the --max-record-bytes limit); not read"
    )
    assert [r["id"] for r in rows if "id" in r] == [str(i) for i in range(10) if i != 4]


def test_the_record_limit_is_an_option(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "id,title,text\n"
        + "".join(f'{i},"T {i}","{BODY if i != 2 else BODY * 20}"\n' for i in range(5))
    )
    out = tmp_path / "out.jsonl"
    done = headcheck(
        "scan", source, "-o", out, "-q", "--on-error", "skip", "--max-record-bytes", "1000",
        "--threshold", "0.3",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    reasons = [r["headline_mismatch_reason"] for r in jsonl_rows(out)]
    assert len(reasons) == 5 and reasons.count("unreadable_record") == 1
    assert reasons[2] == "unreadable_record"


@pytest.mark.parametrize("quoted", [False, True])
def test_a_quote_never_closed_never_invents_rows(tmp_path: Path, quoted: bool) -> None:
    """`3,"never closed` is one error row, and no row holds body text in its id column.

    The records after it are read as records when the quote stays open to the end of the
    file (ten rows from ten). When a later quote closes it (the next record's quoted title),
    the csv rules make the two lines one record: one error row naming both lines, nine rows
    from ten, none invented (the old reader gave 13 rows from 10)."""
    source = tmp_path / "in.csv"
    title = '"Fed raises rates, report {}"' if quoted else "Fed raises rates report {}"
    lines = ["id,title,text"] + [
        f'{i},"never closed' if i == 3 else f"{i},{title.format(i)},{BODY.replace(',', '')}"
        for i in range(10)
    ]
    source.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    done = headcheck("scan", source, "-o", out, "-q", "--on-error", "skip", "--threshold", "0.3")
    assert done.returncode == 0, done.stderr[-3000:]
    rows = jsonl_rows(out)
    kept = [i for i in range(10) if i != 3 and not (quoted and i == 4)]
    assert [r["id"] for r in rows if "id" in r] == [str(i) for i in kept]
    assert len(rows) == len(kept) + 1 <= 10
    (error,) = [r for r in rows if r["headline_mismatch_reason"] == "unreadable_record"]
    if quoted:
        assert error["headline_evidence"].startswith("line 5: malformed CSV")
        assert "lines 5-6, read as one by its quotes" in error["headline_evidence"]
    else:
        assert error["headline_evidence"].startswith(
            "line 5: malformed CSV: unexpected end of data (a quoted field that starts here "
            "is never closed)"
        )
    assert all(r["text"] == BODY.replace(",", "") for r in rows if "text" in r)


# -- 5. line endings -----------------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["\r", "\n", "\r\n"])
def test_jsonl_with_any_line_ending_gives_one_row_per_record(tmp_path: Path, ending: str) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes("".join(json.dumps(r) + ending for r in records(10)).encode())
    out = tmp_path / "out.jsonl"
    done = headcheck("scan", source, "-o", out, "-q", "--threshold", "0.3")
    assert done.returncode == 0, done.stderr[-3000:]
    rows = jsonl_rows(out)
    assert [r["id"] for r in rows] == list(range(10))
    assert all(r["headline_mismatch_reason"] != "unreadable_record" for r in rows)


def test_csv_with_lone_cr_endings_keeps_a_cr_inside_a_quoted_field(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(
        b"id,title,text\r" + b"".join(f'{i},"Title\r\n{i}","{BODY}"\r'.encode() for i in range(4))
    )
    out = tmp_path / "out.jsonl"
    done = headcheck("scan", source, "-o", out, "-q", "--threshold", "0.3")
    assert done.returncode == 0, done.stderr[-3000:]
    rows = jsonl_rows(out)
    assert [r["title"] for r in rows] == [f"Title\r\n{i}" for i in range(4)]


# -- 6. Parquet output always reads back --------------------------------------------------------


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def test_parquet_output_of_awkward_records_reads_back(tmp_path: Path) -> None:
    """An integer title (a not_text row), a mixed-type id and nesting 200, 500 and 900 deep
    are written (the awkward columns as JSON strings), and the file reads back in pyarrow
    and in `headcheck scan`; the result columns keep their types."""
    rows = records(6)
    rows[1]["title"] = 42
    rows[2]["id"] = "two"
    rows[3]["deep"] = nested(200)
    rows[4]["deeper"] = nested(500)
    rows[5]["deepest"] = nested(900)
    rows[0]["nested"] = {"a": {"b": [1, 2]}}
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.parquet"
    done = headcheck("scan", source, "-o", out, "-q", "--threshold", "0.3")
    assert done.returncode == 0, done.stderr[-3000:]
    table = pq.read_table(out)
    assert table.num_rows == 6
    types = {f.name: str(f.type) for f in table.schema}
    assert types["headline_similarity"] == "double"
    assert types["headline_mismatch_probability"] == "double"  # null in every row
    assert types["is_headline_mismatch"] == "bool"
    assert types["title"] == types["id"] == types["deep"] == "string"
    assert types["nested"].startswith("struct")
    back = table.to_pylist()
    assert back[1]["title"] == "42" and back[1]["headline_mismatch_reason"] == "not_text"
    assert [r["id"] for r in back] == ["0", "1", "two", "3", "4", "5"]
    assert json.loads(back[3]["deep"]) == nested(200)
    assert back[0]["nested"] == {"a": {"b": [1, 2]}}
    again = headcheck("scan", out, "-o", tmp_path / "again.jsonl", "-q", "--threshold", "0.3")
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(jsonl_rows(tmp_path / "again.jsonl")) == 6


def test_a_map_column_is_written_as_json(tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    pq.write_table(
        pa.table(
            {
                "title": ["Fed raises rates", "Fed holds rates"],
                "text": [BODY, BODY],
                "tags": pa.array([[("k", 1)], [("j", 2)]], type=pa.map_(pa.string(), pa.int64())),
            }
        ),
        source,
    )
    out = tmp_path / "out.parquet"
    done = headcheck("scan", source, "-o", out, "-q", "--threshold", "0.3")
    assert done.returncode == 0, done.stderr[-3000:]
    back = pq.read_table(out).to_pylist()
    assert [json.loads(r["tags"]) for r in back] == [[["k", 1]], [["j", 2]]]


def test_a_later_value_that_does_not_fit_its_column_is_a_clear_error(tmp_path: Path) -> None:
    """Parquet has one type a column: an id that is a number in the first row group and a
    list later stops the run with exit 2, naming the field, and leaves no file."""
    from headcheck.io.parquet import ParquetWriter

    out = tmp_path / "out.parquet"
    writer = ParquetWriter(str(out), rows_per_group=2)
    writer.write({"id": 1})
    writer.write({"id": 2})
    writer.write({"id": [3]})
    from headcheck.io.formats import InputError

    with pytest.raises(InputError, match="field 'id' holds int64 values in the first row group"):
        writer.close()
    assert not out.exists() and not list(tmp_path.iterdir())


# -- 7. exit codes: 1 is the mismatch gate alone ----------------------------------------------


@pytest.mark.parametrize(
    ("command", "name"), [("scan", "x.jsonl"), ("calibrate", "c.json"), ("report", "r.md")]
)
def test_output_in_a_missing_folder_exits_2_with_one_line(
    tmp_path: Path, command: str, name: str
) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", iter(records(3)))
    target = tmp_path / "missing" / name
    done = headcheck(command, source, "-o", target)
    assert done.returncode == 2
    no_traceback(done)
    assert done.stderr.strip().splitlines()[-1:] == [
        f"headcheck: error: {target}: cannot write: the folder {tmp_path / 'missing'} does "
        "not exist"
    ]


def test_a_read_only_folder_exits_2(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("runs as root, whom a read-only folder does not stop")
    source = write_jsonl(tmp_path / "in.jsonl", iter(records(3)))
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        done = headcheck("scan", source, "-o", folder / "x.jsonl", "-q")
    finally:
        folder.chmod(0o755)
    assert done.returncode == 2
    assert "cannot write: no permission to write in" in done.stderr
    no_traceback(done)


def _namespaces_work() -> str | None:
    """None when this user may make a user and mount namespace (to mount a small or a
    read-only file system without root), else why not."""
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    done = subprocess.run(
        [
            "unshare",
            "-rm",
            "sh",
            "-c",
            "mount -t tmpfs tmpfs /mnt 2>&1 || mount -t tmpfs tmpfs /tmp",
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return f"no user and mount namespaces here: {(done.stderr or done.stdout).strip()[:200]}"
    return None


@pytest.mark.parametrize(
    ("mount", "message"),
    [
        ("mount -t tmpfs -o size=100k tmpfs {d}", "No space left on device"),
        ("mount --bind {d} {d} && mount -o remount,ro,bind {d}", "Read-only file system"),
    ],
    ids=["full-disk", "read-only"],
)
def test_a_full_disk_or_a_read_only_folder_exits_2_leaving_nothing(
    tmp_path: Path, mount: str, message: str, warm_cache: None
) -> None:
    """A real full file system (a 100 KB tmpfs) and a read-only one, mounted in a private
    namespace: exit 2 with one line, and nothing left behind on the full one."""
    why = _namespaces_work()
    if why is not None:
        pytest.skip(why)
    source = write_jsonl(tmp_path / "in.jsonl", iter(records(300)))
    folder = tmp_path / "target"
    folder.mkdir()
    script = (
        f"{mount.format(d=folder)} && "
        f'"{EXE}" scan "{source}" -o "{folder}/out.jsonl" -q --threshold 0.3; '
        f'status=$?; ls -A "{folder}"; exit $status'
    )
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 2, done.stderr[-3000:]
    no_traceback(done)
    # The output or its checkpoint, whichever write meets the full disk first (a checkpoint
    # is written on a timer, so on a loaded machine it can come first).
    assert done.stderr.strip().splitlines()[-1:] in (
        [f"headcheck: error: {folder}/{name}: cannot write: {message}"]
        for name in ("out.jsonl", ".out.jsonl.resume.json")
    )
    assert done.stdout == ""  # ls: nothing left in the folder


def _file_size_limit(limit: int) -> Any:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails (EFBIG) instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One scan, so that the ONNX export and static table are built before a test limits
    what the process may write."""
    folder = tmp_path_factory.mktemp("warm")
    source = write_jsonl(folder / "in.jsonl", iter(records(2)))
    done = headcheck("scan", source, "-o", folder / "out.jsonl", "-q")
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.parametrize("output", ["out.jsonl", "out.csv", "out.parquet", "out.jsonl.gz"])
def test_a_write_that_fails_exits_2_and_leaves_no_partial_file(
    tmp_path: Path, output: str, warm_cache: None
) -> None:
    """A disk that takes no more (here a file-size limit: the same failed write) exits 2 with
    one line, and no partial file stays behind."""
    import random

    rng = random.Random(0)
    words = ["".join(rng.choice("abcdefghij") for _ in range(7)) for _ in range(3000)]
    source = tmp_path / "in.jsonl"
    write_jsonl(
        source,
        iter(
            {"id": i, "title": f"Report {i}", "text": " ".join(rng.choices(words, k=300))}
            for i in range(300)
        ),
    )
    folder = tmp_path / "outputs"
    folder.mkdir()
    done = headcheck(
        "scan", source, "-o", folder / output, "-q", "--threshold", "0.3",
        preexec_fn=_file_size_limit(200_000),
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-3000:]
    no_traceback(done)
    assert done.stderr.strip().splitlines()[-1:] == [
        f"headcheck: error: {folder / output}: cannot write: File too large"
    ]
    assert list(folder.iterdir()) == []


def test_a_full_standard_output_exits_2_without_a_traceback(tmp_path: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    source = write_jsonl(tmp_path / "in.jsonl", iter(records(3)))
    assert EXE is not None
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [EXE, "scan", str(source), "-q", "--threshold", "0.3"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=600,
        )
    assert done.returncode == 2
    no_traceback(done)
    assert done.stderr.strip().splitlines()[-1:] == [
        "headcheck: error: standard output: cannot write: No space left on device"
    ]


# -- 8. a bound on a line ------------------------------------------------------------------------


def peak_rss_mb(args: Sequence[str | Path]) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run the CLI in a fresh process and return its own peak resident memory, in MB."""
    launcher = (
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from peak import own_peak_rss_mb\n"
        "from headcheck.cli.main import main\n"
        "status = main(sys.argv[1:])\n"
        "print(f'PEAK {own_peak_rss_mb() * 1024:.0f}', file=sys.stderr)\n"
        "sys.exit(status)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", launcher, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    match = re.search(r"PEAK (\d+)", done.stderr)
    assert match, done.stderr[-3000:]
    return int(match.group(1)) / 1024, done


def zeros_gz(path: Path, megabytes: int) -> Path:
    block = b"\0" * (1 << 20)
    with gzip.open(path, "wb", compresslevel=1) as f:
        for _ in range(megabytes):
            f.write(block)
    return path


def test_an_endless_line_is_one_error_row_in_bounded_memory(tmp_path: Path) -> None:
    """A gzip of zeros with no line end at all (here 64 MB and 512 MB of them) is one error
    row, and eight times the zeros costs no more memory: the line is read past in blocks."""
    peaks = []
    for megabytes in (64, 512):
        source = zeros_gz(tmp_path / f"zeros{megabytes}.jsonl.gz", megabytes)
        out = tmp_path / f"out{megabytes}.jsonl"
        peak, done = peak_rss_mb(
            ["scan", source, "-o", out, "-q", "--on-error", "skip", "--max-record-bytes", "1000000"]
        )
        assert done.returncode == 0, done.stderr[-3000:]
        (row,) = jsonl_rows(out)
        assert row["headline_mismatch_reason"] == "unreadable_record"
        assert "a line longer than 1,000,000 bytes" in row["headline_evidence"]
        peaks.append(peak)
    assert peaks[1] - peaks[0] < 64, peaks


# -- 9. pipes as input, absurd calibrations, NaN ---------------------------------------------


def test_dev_stdin_a_fifo_and_process_substitution_are_read(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", iter(records(4)))
    expected = headcheck("scan", source, "-q", "--threshold", "0.3")
    assert expected.returncode == 0, expected.stderr
    with source.open() as stdin:
        from_stdin = headcheck("scan", "/dev/stdin", "-q", "--threshold", "0.3", stdin=stdin)
    assert (from_stdin.returncode, from_stdin.stdout) == (0, expected.stdout), from_stdin.stderr

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    feeder = threading.Thread(target=lambda: fifo.write_bytes(source.read_bytes()))
    feeder.start()
    from_fifo = headcheck("scan", fifo, "-q", "--threshold", "0.3")
    feeder.join(timeout=60)
    assert (from_fifo.returncode, from_fifo.stdout) == (0, expected.stdout), from_fifo.stderr

    bash = shutil.which("bash")
    if bash is not None:
        substituted = subprocess.run(
            [bash, "-c", f'"{EXE}" scan <(cat "{source}") -q --threshold 0.3'],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert substituted.returncode == 0, substituted.stderr
        assert substituted.stdout == expected.stdout


def test_resume_from_a_pipe_is_refused_saying_why(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", iter(records(4)))
    done = headcheck(
        "scan", "/dev/stdin", "-o", tmp_path / "out.jsonl", "--resume", input=source.read_text()
    )
    assert done.returncode == 2
    assert "a pipe" in done.stderr and "cannot be resumed" in done.stderr
    no_traceback(done)


NEVER = "cannot tell 56 clearly mismatched pairs from 8 clearly matched ones (ROC-AUC 0.50"


@pytest.mark.parametrize(
    ("change", "context", "says"),
    [
        ({"intercept": -1e6}, False, NEVER),
        ({"intercept": -1e6}, True, NEVER),
        ({"intercept": 1e6}, False, "flags all 8 clearly matched pairs"),
        ({"long_threshold": 1.0}, False, "has thresholds ({short}, 1.0)"),
    ],
    ids=["never", "never-with-context", "always", "threshold-1"],
)
def test_a_calibration_that_never_or_always_flags_is_refused(
    tmp_path: Path, change: dict[str, float], context: bool, says: str
) -> None:
    """In range for the schema, absurd in use: refused before any output is written."""
    from headcheck.calibrate.calibration import default_calibration

    shipped = default_calibration("onnx")
    says = says.format(short=shipped.short_threshold)
    data = json.loads(shipped.to_json())
    data.update(change)
    if not context:
        data["context"] = None  # the per-pair decision alone
    calibration = tmp_path / "absurd.json"
    calibration.write_text(json.dumps(data))
    source = write_jsonl(tmp_path / "in.jsonl", iter(records(4)))
    out = tmp_path / "out.jsonl"
    done = headcheck("scan", source, "-o", out, "--calibration", calibration)
    assert done.returncode == 2
    assert f"the calibration {calibration} is refused: its decision {says}" in done.stderr
    no_traceback(done)
    assert not out.exists()


def test_the_shipped_decisions_pass_the_clear_pair_check() -> None:
    """Both shipped decisions flag some clear mismatches and not every clear match."""
    from headcheck import Detector
    from headcheck.calibrate.calibration import default_calibration
    from headcheck.embed.resolve import BACKENDS

    for backend in BACKENDS:
        Detector(calibration=default_calibration(backend), backend=backend).check_decision()


def test_nan_in_jsonl_is_written_back_as_json(tmp_path: Path) -> None:
    """Python's JSON reader takes NaN; what is written is JSON, so NaN becomes null."""
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"id": 1, "title": "Fed raises rates", "text": BODY})[:-1]
        + ', "score": NaN, "x": [Infinity]}\n'
    )
    out = tmp_path / "out.jsonl"
    done = headcheck("scan", source, "-o", out, "-q", "--threshold", "0.3")
    assert done.returncode == 0, done.stderr[-3000:]

    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    (row,) = [json.loads(line, parse_constant=refuse) for line in out.read_text().splitlines()]
    assert row["score"] is None and row["x"] == [None]
