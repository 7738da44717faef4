"""The `headcheck scan` command: formats, stdio, exit codes and bad input."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import EXAMPLES, POLITICS, POLITICS_TITLE, SPORTS_TITLE
from headcheck.cli.main import main

ROWS = [
    {"id": 1, "title": POLITICS_TITLE, "text": POLITICS},
    {"id": 2, "title": SPORTS_TITLE, "text": POLITICS},
    {"id": 3, "title": "Storm hits coast", "text": None},
    {"id": 4, "title": POLITICS_TITLE, "text": POLITICS},
]


def write_jsonl(
    path: Path, rows: list[dict[str, object]], extra_lines: dict[int, str] | None = None
) -> Path:
    lines = [json.dumps(r) for r in rows]
    for index, line in sorted((extra_lines or {}).items()):
        lines.insert(index, line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_scan_writes_one_row_per_input_row_in_order(tmp_path: Path) -> None:
    """Every input row comes out once, in order, with the result fields added."""
    source = write_jsonl(tmp_path / "in.jsonl", ROWS)
    assert main(["scan", str(source), "-o", str(tmp_path / "out.jsonl"), "-q"]) == 0
    out = read_jsonl(tmp_path / "out.jsonl")
    assert [r["id"] for r in out] == [1, 2, 3, 4]
    assert [r["headline_mismatch_reason"] for r in out] == [
        None,
        "low_similarity",
        "missing_text",
        None,
    ]
    assert out[0]["title"] == POLITICS_TITLE and "headline_evidence" in out[0]


def test_formats_round_trip_with_the_same_row_count(tmp_path: Path) -> None:
    """JSONL -> CSV -> Parquet -> JSONL keeps every row and the verdicts."""
    source = write_jsonl(tmp_path / "in.jsonl", ROWS)
    assert main(["scan", str(source), "-o", str(tmp_path / "a.csv"), "-q"]) == 0
    assert main(["scan", str(tmp_path / "a.csv"), "-o", str(tmp_path / "b.parquet"), "-q"]) == 0
    assert main(["scan", str(tmp_path / "b.parquet"), "-o", str(tmp_path / "c.jsonl"), "-q"]) == 0
    assert len(pd.read_csv(tmp_path / "a.csv")) == len(ROWS)
    assert len(pd.read_parquet(tmp_path / "b.parquet")) == len(ROWS)
    final = read_jsonl(tmp_path / "c.jsonl")
    assert len(final) == len(ROWS)
    # CSV cannot tell a null from an empty string, so row 3's missing body comes back empty.
    assert [r["headline_mismatch_reason"] for r in final] == [
        None,
        "low_similarity",
        "empty_text",
        None,
    ]


def test_gzipped_jsonl_is_read_and_written(tmp_path: Path) -> None:
    """A .jsonl.gz input and output work like plain JSONL."""
    import gzip

    source = tmp_path / "in.jsonl.gz"
    source.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in ROWS).encode()))
    assert main(["scan", str(source), "-o", str(tmp_path / "out.jsonl.gz"), "-q"]) == 0
    lines = gzip.decompress((tmp_path / "out.jsonl.gz").read_bytes()).decode().splitlines()
    assert len(lines) == len(ROWS)


def test_stdin_to_stdout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-` reads standard input and the default output is standard output."""
    data = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["scan", "-", "-q"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in out] == [1, 2, 3, 4]


def test_installed_command_pipes_stdin_to_stdout() -> None:
    """The installed `headcheck` command works in a shell pipe, summary on stderr."""
    exe = shutil.which("headcheck", path=str(Path(sys.executable).parent))
    assert exe is not None, "the headcheck command is not installed beside this Python"
    data = "".join(json.dumps(r) + "\n" for r in ROWS)
    done = subprocess.run(
        [exe, "scan", "-"], input=data, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == len(ROWS)
    assert "checked 4, flagged 2" in done.stderr


def test_summary_line_counts_reasons(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The summary names checked, flagged, skipped by reason and speed."""
    source = write_jsonl(tmp_path / "in.jsonl", ROWS)
    main(["scan", str(source), "-o", str(tmp_path / "out.jsonl")])
    err = capsys.readouterr().err
    assert "checked 4, flagged 2 (50.0%) [low_similarity 1, missing_text 1], skipped 1" in err
    assert "articles/s" in err


def test_summary_says_how_many_rows_were_read_without_a_corpus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file too small to be a corpus is decided row by row, and the summary says so;
    with --no-context, which asks for that, it does not."""
    source = write_jsonl(tmp_path / "in.jsonl", ROWS)
    main(["scan", str(source), "-o", str(tmp_path / "out.jsonl")])
    assert ", 3 read without a corpus (under 100 bodies)," in capsys.readouterr().err
    main(["scan", str(source), "-o", str(tmp_path / "out.jsonl"), "--no-context"])
    assert "without a corpus" not in capsys.readouterr().err


def test_only_flagged_writes_flagged_rows(tmp_path: Path) -> None:
    """--only-flagged keeps the flagged rows, in order."""
    source = write_jsonl(tmp_path / "in.jsonl", ROWS)
    main(["scan", str(source), "-o", str(tmp_path / "out.jsonl"), "--only-flagged", "-q"])
    assert [r["id"] for r in read_jsonl(tmp_path / "out.jsonl")] == [2, 3]


def test_id_field_writes_id_and_results_only(tmp_path: Path) -> None:
    """--id-field gives a compact file to join back on."""
    source = write_jsonl(tmp_path / "in.jsonl", ROWS)
    main(["scan", str(source), "-o", str(tmp_path / "out.jsonl"), "--id-field", "id", "-q"])
    first = read_jsonl(tmp_path / "out.jsonl")[0]
    assert set(first) == {
        "id",
        "headline_mismatch_probability",
        "headline_similarity",
        "is_headline_mismatch",
        "headline_mismatch_reason",
        "headline_evidence",
        "headline_suggestion",
        "headline_suggestion_id",
    }


def test_custom_field_names(tmp_path: Path) -> None:
    """--title-field and --text-field pick other fields."""
    rows = [{"headline": r["title"], "body": r["text"]} for r in ROWS]
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    main(
        [
            "scan",
            str(source),
            "-o",
            str(tmp_path / "out.jsonl"),
            "--title-field",
            "headline",
            "--text-field",
            "body",
            "-q",
        ]
    )
    reasons = [r["headline_mismatch_reason"] for r in read_jsonl(tmp_path / "out.jsonl")]
    assert reasons == [None, "low_similarity", "missing_text", None]


def test_gate_exit_codes(tmp_path: Path) -> None:
    """Exit 1 when a mismatch gate is exceeded, 0 when it is not."""
    source = str(write_jsonl(tmp_path / "in.jsonl", ROWS))
    out = str(tmp_path / "out.jsonl")
    assert main(["scan", source, "-o", out, "-q", "--max-mismatches", "2"]) == 0
    assert main(["scan", source, "-o", out, "-q", "--max-mismatches", "1"]) == 1
    assert main(["scan", source, "-o", out, "-q", "--max-mismatch-rate", "0.5"]) == 0
    assert main(["scan", source, "-o", out, "-q", "--max-mismatch-rate", "0.4"]) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["scan", "does-not-exist.jsonl"],
        ["scan", "input.txt"],
        ["scan", "x.jsonl", "--max-mismatch-rate", "1.5"],
        ["scan", "x.jsonl", "--threshold", "3"],
        ["scan", "x.jsonl", "--format", "xml"],
        ["frobnicate"],
    ],
)
def test_bad_usage_exits_2(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Bad arguments and unreadable input exit 2 with a message."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.jsonl").write_text(json.dumps(ROWS[0]) + "\n")
    (tmp_path / "input.txt").write_text("hello\n")
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip()


def test_malformed_line_stops_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """By default a bad JSON line exits 2, naming the file and line, and leaves no output file."""
    source = write_jsonl(tmp_path / "in.jsonl", ROWS, {2: '{"id": 99, "title": broken'})
    with pytest.raises(SystemExit) as exit_info:
        main(["scan", str(source), "-o", str(tmp_path / "out.jsonl"), "-q"])
    assert exit_info.value.code == 2
    assert f"{source}:3: invalid JSON" in capsys.readouterr().err
    assert not (tmp_path / "out.jsonl").exists()
    assert list(tmp_path.glob(".out.jsonl.*")) == []


def test_malformed_lines_become_error_rows_with_skip(tmp_path: Path) -> None:
    """With --on-error skip, bad lines become error rows: no record is lost."""
    source = write_jsonl(tmp_path / "in.jsonl", ROWS, {1: "not json", 3: "[1, 2]"})
    assert (
        main(["scan", str(source), "-o", str(tmp_path / "out.jsonl"), "--on-error", "skip", "-q"])
        == 0
    )
    out = read_jsonl(tmp_path / "out.jsonl")
    assert len(out) == len(ROWS) + 2
    assert out[1]["headline_mismatch_reason"] == "unreadable_record"
    assert out[1]["headline_evidence"].startswith("line 2: invalid JSON")
    assert out[3]["headline_evidence"] == "line 4: expected a JSON object, found list"
    assert [r.get("id") for r in out] == [1, None, 2, None, 3, 4]


def test_invalid_utf8_line_is_an_error_row(tmp_path: Path) -> None:
    """A line of bad bytes is reported by line, and the others still score."""
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        json.dumps(ROWS[0]).encode() + b"\n\xff\xfe bad\n" + json.dumps(ROWS[1]).encode() + b"\n"
    )
    main(["scan", str(source), "-o", str(tmp_path / "out.jsonl"), "--on-error", "skip", "-q"])
    reasons = [r["headline_mismatch_reason"] for r in read_jsonl(tmp_path / "out.jsonl")]
    assert reasons == [None, "unreadable_record", "low_similarity"]


def test_example_file_flags_the_cricket_headline(tmp_path: Path) -> None:
    """The shipped examples: the cricket headline over the diplomats story is flagged."""
    out = tmp_path / "out.jsonl"
    assert main(["scan", str(EXAMPLES), "-o", str(out), "-q"]) == 0
    rows = read_jsonl(out)
    assert len(rows) == len(EXAMPLES.read_text(encoding="utf-8").splitlines())
    cricket = [r for r in rows if str(r["title"]).startswith("Live Score")]
    assert cricket and all(r["is_headline_mismatch"] for r in cricket)
    diplomats = [r for r in rows if str(r["title"]).startswith("Diplomats agree")]
    assert diplomats and not diplomats[0]["is_headline_mismatch"]
    reasons = {r["title"]: r["headline_mismatch_reason"] or "" for r in rows}
    assert reasons["Heatwave warning issued as temperatures set to pass 38C"].startswith(
        "boilerplate_text"
    )  # a cookie wall as the body
    assert reasons["Ceasefire holds as aid convoys reach the city"].startswith("boilerplate_text")
    assert reasons["Home"].startswith("boilerplate_title")
    assert reasons["Markets rally as inflation cools faster than expected"] == "truncated_text"


def test_calibrate_then_scan_with_the_calibration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The 39 examples are too few to adapt to: calibrate says so and writes the shipped
    decision, which then drives scan and adds the probability."""
    from headcheck.calibrate.calibration import Calibration, default_calibration
    from headcheck.embed.resolve import default_backend

    calibration = tmp_path / "calibration.json"
    argv = ["calibrate", str(EXAMPLES), "--label-field", "label", "-o", str(calibration)]
    assert main(argv) == 0
    assert "fewer than 200 usable pairs" in capsys.readouterr().err
    assert Calibration.load(calibration) == default_calibration(default_backend())
    out = tmp_path / "out.jsonl"
    argv = ["scan", str(EXAMPLES), "-o", str(out), "--calibration", str(calibration), "-q"]
    assert main(argv) == 0
    rows = read_jsonl(out)
    scored = [r for r in rows if r["headline_similarity"] is not None]
    assert all(0.0 <= r["headline_mismatch_probability"] <= 1.0 for r in scored)
    flagged = {r["title"] for r in rows if r["is_headline_mismatch"]}
    assert "Live Score: India vs Australia, 2nd Test, Day 3" in flagged
    assert "Diplomats agree to resume border talks after week of tension" not in flagged


def test_scan_rejects_a_bad_calibration_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A calibration file that is not one exits 2, naming the file."""
    bad = tmp_path / "calibration.json"
    bad.write_text('{"format": "something else"}')
    with pytest.raises(SystemExit) as exit_info:
        main(["scan", str(EXAMPLES), "--calibration", str(bad), "-q"])
    assert exit_info.value.code == 2
    assert f"{bad}: not a headcheck calibration file" in capsys.readouterr().err


def test_evaluate_reports_metrics_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    """evaluate prints ROC-AUC, recall at false-flag rates, length buckets and reasons."""
    assert main(["evaluate", str(EXAMPLES), "--label-field", "label", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["pairs"] == 39 and report["mismatches"] == 12
    assert report["roc_auc"] > 0.95
    assert set(report["recall_at_false_flags"]) == {"0.1%", "1.0%", "5.0%"}
    assert report["reasons"]["boilerplate_title"] >= 5
    assert "6-10" in report["false_flag_rate_by_headline_words"]


def test_evaluate_rejects_a_bad_label(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A label that is not 0/1-like exits 2 naming the file, line and field."""
    source = write_jsonl(tmp_path / "in.jsonl", [{**ROWS[0], "label": "maybe"}])
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", str(source), "--label-field", "label"])
    assert exit_info.value.code == 2
    assert f"{source}:1: field 'label'" in capsys.readouterr().err


def test_a_model_without_a_fast_tokenizer_is_one_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The cascade's static table needs the model's tokenizer.json: a model without one is a
    ModelError that says what to do, not a ValueError traceback."""
    from headcheck.embed.resolve import ModelError
    from headcheck.embed.static import StaticEmbedder

    folder = tmp_path / "model"
    folder.mkdir()
    with pytest.raises(ModelError, match=r"no tokenizer\.json .*--no-cascade"):
        StaticEmbedder(folder)


def test_an_error_headcheck_reports_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any HeadcheckError that a command does not catch itself ends in one line, exit 2."""
    import headcheck.cli.scan
    from headcheck.cli.common import EXIT_USAGE
    from headcheck.cli.main import main
    from headcheck.errors import HeadcheckError

    def fails(args: object) -> int:
        raise HeadcheckError("something the user can fix")

    monkeypatch.setattr(headcheck.cli.scan, "command", fails)
    assert main(["scan", str(tmp_path / "x.jsonl")]) == EXIT_USAGE
    assert capsys.readouterr().err == "headcheck: error: something the user can fix\n"
