"""Damaged and odd input files: each fault gives an error row (with --on-error skip) or a clear
exit-2 message naming the file and line, and no record is lost. test_cli.py covers bad JSON
lines, arrays, invalid UTF-8 in JSONL and unknown formats; this file covers the rest."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import POLITICS, POLITICS_TITLE, SPORTS_TITLE
from headcheck import Detector
from headcheck.cli.main import main


@pytest.fixture(autouse=True)
def shared_model(monkeypatch: pytest.MonkeyPatch, detector: Detector) -> None:
    """The CLI builds its detector as usual, on the session's already loaded model."""
    real = Detector

    def build(**options: Any) -> Detector:
        return real(**options, encoder=detector.encoder)

    monkeypatch.setattr("headcheck.detector.Detector", build)


def scan(source: Path, *extra: str, out: str = "out.jsonl") -> list[dict[str, Any]]:
    """Run `headcheck scan SOURCE -o OUT --on-error skip` (exit 0 expected); return the rows."""
    target = source.parent / out
    assert main(["scan", str(source), "-o", str(target), "--on-error", "skip", "-q", *extra]) == 0
    return [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]


def scan_fails(source: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    """Run a scan that must exit 2; return its message, after checking no output was left."""
    target = source.parent / "failed.jsonl"
    with pytest.raises(SystemExit) as exit_info:
        main(["scan", str(source), "-o", str(target), "-q", *extra])
    assert exit_info.value.code == 2
    assert not target.exists() and not list(source.parent.glob(".failed.jsonl*"))
    return capsys.readouterr().err


GOOD = {"id": 1, "title": POLITICS_TITLE, "text": POLITICS}
WRONG = {"id": 2, "title": SPORTS_TITLE, "text": POLITICS}


def jsonl_bytes(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


# -- compressed files --------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".csv.gz"])
def test_truncated_gzip_exits_2_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    """A .gz cut short stops the run (records past the cut are unknown) with file and line."""
    if suffix == ".csv.gz":
        data = ("id,title,text\n" + f'1,{POLITICS_TITLE},"{POLITICS}"\n' * 400).encode()
    else:
        data = jsonl_bytes([GOOD] * 400)
    whole = gzip.compress(data)
    source = tmp_path / f"in{suffix}"
    source.write_bytes(whole[: len(whole) // 2])
    err = scan_fails(source, capsys, "--on-error", "skip")
    assert f"{source}:" in err and "cannot read past this line" in err
    assert "truncated" in err
    line = int(err.split(f"{source}:")[1].split(":")[0])
    assert 1 < line <= 401


def test_a_file_named_gz_that_is_not_gzip_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Plain text under a .gz name is refused with the file named, not a traceback."""
    source = tmp_path / "in.jsonl.gz"
    source.write_bytes(jsonl_bytes([GOOD]))
    err = scan_fails(source, capsys)
    assert f"{source}:1: cannot read past this line" in err and "Not a gzipped file" in err


# -- JSONL -----------------------------------------------------------------------------------


def test_json_values_that_are_not_objects_become_error_rows(tmp_path: Path) -> None:
    """Numbers, strings, null, booleans and arrays each give an error row, in place."""
    source = tmp_path / "in.jsonl"
    odd = ["42", "3.5", '"a headline"', "null", "true", "[]", '[{"title": "x"}]']
    source.write_text(
        json.dumps(GOOD) + "\n" + "\n".join(odd) + "\n" + json.dumps(WRONG) + "\n",
        encoding="utf-8",
    )
    rows = scan(source)
    assert len(rows) == len(odd) + 2
    assert rows[0]["is_headline_mismatch"] is False
    assert rows[-1]["headline_mismatch_reason"] == "low_similarity"
    found = [r["headline_evidence"].split(": ", 1)[1] for r in rows[1:-1]]
    assert found == [
        "expected a JSON object, found int",
        "expected a JSON object, found float",
        "expected a JSON object, found str",
        "expected a JSON object, found NoneType",
        "expected a JSON object, found bool",
        "expected a JSON object, found list",
        "expected a JSON object, found list",
    ]
    assert all(r["headline_mismatch_reason"] == "unreadable_record" for r in rows[1:-1])


def test_hostile_json_lines_become_error_rows(tmp_path: Path) -> None:
    """Deep nesting and a 5,000-digit number (each fatal to a naive reader) are error rows."""
    source = tmp_path / "in.jsonl"
    lines = [
        json.dumps(GOOD),
        "[" * 100_000 + "]" * 100_000,
        '{"title": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"id": 1' + "0" * 5_000 + ', "title": "x", "text": "y"}',
        json.dumps(WRONG),
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = scan(source)
    assert len(rows) == 5
    assert [r["headline_mismatch_reason"] for r in rows[1:4]] == ["unreadable_record"] * 3
    assert "nested too deeply" in rows[1]["headline_evidence"]
    assert "digits" in rows[3]["headline_evidence"]


def test_byte_order_mark_and_crlf_lines_are_read(tmp_path: Path) -> None:
    """A UTF-8 BOM before the first record and Windows line ends do not cost a record."""
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\xef\xbb\xbf" + jsonl_bytes([GOOD, WRONG]).replace(b"\n", b"\r\n"))
    rows = scan(source)
    assert [r["id"] for r in rows] == [1, 2]
    assert rows[0]["headline_similarity"] is not None


def test_duplicate_ids_are_all_kept_and_scored(tmp_path: Path) -> None:
    """Duplicate ids are not headcheck's to resolve: each row comes out, in order, scored."""
    rows_in = [GOOD, {**WRONG, "id": 1}, GOOD, {**GOOD, "title": None}]
    source = tmp_path / "in.jsonl"
    source.write_bytes(jsonl_bytes(rows_in))
    rows = scan(source, "--id-field", "id")
    assert [r["id"] for r in rows] == [1, 1, 1, 1]
    assert [r["headline_mismatch_reason"] for r in rows] == [
        None,
        "low_similarity",
        None,
        "missing_title",
    ]


# -- CSV -------------------------------------------------------------------------------------


def test_csv_with_embedded_newlines_quotes_and_commas_is_read_exactly(tmp_path: Path) -> None:
    """Quoted fields holding newlines, commas and doubled quotes come back whole."""
    text = f'{POLITICS}\n\nHe said: "We are close, very close."'
    source = tmp_path / "in.csv"
    quoted = text.replace('"', '""')
    source.write_text(
        "id,title,text\n"
        f'1,"{POLITICS_TITLE}","{quoted}"\n'
        f'2,"Sports, ""late"" header\nsends United through","{quoted}"\n',
        encoding="utf-8",
        newline="",
    )
    rows = scan(source)
    assert [r["id"] for r in rows] == ["1", "2"]
    assert rows[0]["text"] == text
    assert rows[1]["title"] == 'Sports, "late" header\nsends United through'
    assert rows[0]["is_headline_mismatch"] is False


def test_csv_faults_become_error_rows_naming_the_line(tmp_path: Path) -> None:
    """A stray quote, invalid UTF-8, too many fields and a quote never closed are error rows;
    every other row is scored, and the error rows say which line. A quote never closed is the
    error of its own line: the records after it are read, not swallowed into it."""
    source = tmp_path / "in.csv"
    source.write_bytes(
        b"id,title,text\n"
        + f'1,"{POLITICS_TITLE}","{POLITICS}"\n'.encode()
        + b'2,"a "stray" quote",body\n'
        + b"3,caf\xe9 au lait,\xff\xfe body\n"
        + b"4,too,many,fields\n"
        + f'5,"{SPORTS_TITLE}","{POLITICS}"\n'.encode()
        + b'6,"never closed,body\n7,lost,body\n'
    )
    rows = scan(source)
    evidence = [r["headline_evidence"] for r in rows]
    assert [r["headline_mismatch_reason"] for r in rows[:6]] == [
        None,
        "unreadable_record",
        "unreadable_record",
        "unreadable_record",
        "low_similarity",
        "unreadable_record",
    ]
    assert len(rows) == 7 and rows[6]["id"] == "7" and rows[6]["title"] == "lost"
    assert rows[6]["headline_mismatch_reason"] != "unreadable_record"
    assert evidence[1].startswith("line 3: malformed CSV")
    assert evidence[2] == "line 4: invalid UTF-8 in field(s) title, text"
    assert evidence[3] == "line 5: more fields than the header names"
    assert evidence[5].startswith("line 7: malformed CSV: unexpected end of data")
    assert "never closed" in evidence[5]


def test_csv_fault_stops_the_run_by_default_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --on-error skip the first bad CSV row exits 2 naming file and line."""
    source = tmp_path / "in.csv"
    source.write_bytes(b"id,title,text\n1,ok,fine body\n2,caf\xe9,body\n")
    err = scan_fails(source, capsys)
    assert f"{source}:3: invalid UTF-8 in field(s) title" in err
    assert "--on-error skip" in err


def test_csv_with_a_byte_order_mark_keeps_its_first_column(tmp_path: Path) -> None:
    """A BOM (Excel's "CSV UTF-8") does not rename the first column to '\\ufefftitle'."""
    source = tmp_path / "in.csv"
    source.write_bytes(b"\xef\xbb\xbftitle,text\n" + f'"{POLITICS_TITLE}","{POLITICS}"\n'.encode())
    rows = scan(source)
    assert rows[0]["title"] == POLITICS_TITLE and rows[0]["headline_similarity"] is not None


def test_csv_field_larger_than_the_csv_module_default_is_read(tmp_path: Path) -> None:
    """A 1 MB body (the csv module stops at 128 KiB by default) is read and scored."""
    source = tmp_path / "in.csv"
    body = POLITICS + " " + "More of the same report. " * 40_000
    source.write_text(f'title,text\n"{POLITICS_TITLE}","{body}"\n', encoding="utf-8")
    rows = scan(source)
    assert len(rows) == 1 and rows[0]["text"] == body and rows[0]["headline_similarity"] is not None


def test_csv_with_a_header_only_or_empty_gives_no_rows(tmp_path: Path) -> None:
    """An empty CSV and one with a header only give empty output and exit 0."""
    for name, content in (("empty.csv", ""), ("header.csv", "title,text\n")):
        source = tmp_path / name
        source.write_text(content)
        assert scan(source) == []


# -- Parquet ---------------------------------------------------------------------------------


def test_parquet_with_wrong_column_types_flags_each_row(tmp_path: Path) -> None:
    """An int64 title and a list text column give not_text rows, every row kept."""
    source = tmp_path / "in.parquet"
    table = pa.table(
        {
            "id": [1, 2, 3],
            "title": pa.array([10, 20, None], type=pa.int64()),
            "text": pa.array([["a", "b"], [], None], type=pa.list_(pa.string())),
        }
    )
    pq.write_table(table, source)
    rows = scan(source)
    assert [r["headline_mismatch_reason"] for r in rows] == [
        "not_text",
        "not_text",
        "missing_title",
    ]
    assert rows[0]["text"] == ["a", "b"]
    out = tmp_path / "out.parquet"
    assert main(["scan", str(source), "-o", str(out), "-q"]) == 0
    assert pq.read_table(out).column("headline_mismatch_reason").to_pylist() == [
        "not_text",
        "not_text",
        "missing_title",
    ]


def test_parquet_text_column_of_bytes_is_not_text(tmp_path: Path) -> None:
    """A binary body column (undecoded bytes) is flagged not_text, not decoded by guess."""
    source = tmp_path / "in.parquet"
    pq.write_table(
        pa.table({"title": [POLITICS_TITLE], "text": pa.array([POLITICS.encode()], pa.binary())}),
        source,
    )
    assert scan(source)[0]["headline_mismatch_reason"] == "not_text"


def test_truncated_parquet_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Parquet file cut short is refused up front: its footer is gone."""
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"title": [POLITICS_TITLE] * 100, "text": [POLITICS] * 100}), source)
    source.write_bytes(source.read_bytes()[:-100])
    err = scan_fails(source, capsys, "--on-error", "skip")
    assert f"{source}: not a readable Parquet file" in err
