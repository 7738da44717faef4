"""Inputs as users have them: folders of part files, JSON arrays, CSV delimiters, labels that
are not 0/1; and the mistakes around them (an output over the input, an empty input, a bad
option value) stopped or said plainly."""

from __future__ import annotations

import csv
import gzip
import json
import os
from pathlib import Path

import pytest

from conftest import EXAMPLES, POLITICS, POLITICS_TITLE, SPORTS_TITLE
from headcheck.cli.common import EXIT_OK, EXIT_USAGE
from headcheck.cli.main import main
from headcheck.cli.parser import build_parser
from headcheck.io.csvfile import detect_delimiter
from headcheck.io.formats import ReadMeter
from headcheck.io.readers import read_rows

ROWS = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines()]


def run(args: list[str]) -> int:
    try:
        return main(args)
    except SystemExit as exc:
        return int(exc.code or 0)


def ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


def scan_ids(tmp_path: Path, source: Path | str, *options: str) -> list[str]:
    out = tmp_path / "out.jsonl"
    assert run(["scan", str(source), "-o", str(out), "--id-field", "id", *options]) == EXIT_OK
    return ids(out)


def test_a_folder_of_part_files_is_read_in_name_order(tmp_path: Path) -> None:
    """Parts as Spark or a Scrapy feed writes them: numbers in name order (2 before 10),
    _SUCCESS, .crc and hidden files skipped, .gz parts read through."""
    parts = tmp_path / "parts"
    parts.mkdir()
    for n, start in ((1, 0), (2, 3), (10, 6)):
        text = "".join(json.dumps(r) + "\n" for r in ROWS[start : start + 3])
        name = parts / f"items-{n}.jsonl"
        if n == 10:
            (parts / "items-10.jsonl.gz").write_bytes(gzip.compress(text.encode()))
        else:
            name.write_text(text)
    (parts / "_SUCCESS").write_text("")
    (parts / ".items-1.jsonl.crc").write_text("junk")
    (parts / ".hidden.jsonl").write_text("not json\n")
    assert scan_ids(tmp_path, parts) == [r["id"] for r in ROWS[:9]]


def test_an_unreadable_row_in_a_part_names_the_part(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parts = tmp_path / "parts"
    parts.mkdir()
    (parts / "part-00000.jsonl").write_text(json.dumps(ROWS[0]) + "\n")
    (parts / "part-00001.jsonl").write_text(json.dumps(ROWS[1]) + "\n{broken\n")
    assert run(["scan", str(parts), "-o", str(tmp_path / "o.jsonl")]) == EXIT_USAGE
    assert f"{parts / 'part-00001.jsonl'}:2: invalid JSON" in capsys.readouterr().err
    out = tmp_path / "skip.jsonl"
    assert run(["scan", str(parts), "-o", str(out), "--on-error", "skip", "-q"]) == EXIT_OK
    last = json.loads(out.read_text().splitlines()[-1])
    assert last["headline_evidence"].startswith("part-00001.jsonl line 2: invalid JSON")


def test_a_folder_of_mixed_or_unknown_parts_says_how_to_name_the_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parts = tmp_path / "parts"
    parts.mkdir()
    (parts / "a.jsonl").write_text(json.dumps(ROWS[0]) + "\n")
    (parts / "b.csv").write_text("title,text\nx,y\n")
    assert run(["scan", str(parts), "-o", str(tmp_path / "o.jsonl")]) == EXIT_USAGE
    assert "cannot tell the format of the part files" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "_SUCCESS").write_text("")
    assert run(["scan", str(empty), "-o", str(tmp_path / "o.jsonl")]) == EXIT_USAGE
    assert "is a folder with no part files in it" in capsys.readouterr().err


def test_a_json_array_file_is_read_as_records(tmp_path: Path) -> None:
    """A file that is one JSON array (pretty-printed, as json.dump writes it) gives its
    elements in order; an element that is not an object is an error row on its line."""
    source = tmp_path / "articles.json"
    source.write_text(json.dumps(ROWS[:6], indent=2))
    assert scan_ids(tmp_path, source) == [r["id"] for r in ROWS[:6]]
    mixed = tmp_path / "mixed.json"
    mixed.write_text('[\n  {"title": "a", "text": "b"},\n  [1, 2],\n  {"title": "c"}\n]\n')
    rows = list(read_rows(str(mixed), "jsonl"))
    assert [(r.line, r.error) for r in rows] == [
        (2, None),
        (3, "expected a JSON object, found list"),
        (4, None),
    ]


def test_a_json_array_read_in_blocks_keeps_long_elements_whole(tmp_path: Path) -> None:
    """Elements that straddle the reader's 1 MiB blocks are read whole, in order."""
    body = "word " * 300_000  # 1.5 MB an element
    source = tmp_path / "big.json"
    source.write_text(json.dumps([{"id": i, "title": "t", "text": body} for i in range(3)]))
    rows = list(read_rows(str(source), "jsonl"))
    assert [r.record["id"] for r in rows if r.record] == [0, 1, 2]
    assert all(r.record and r.record["text"] == body for r in rows)


def test_a_broken_json_array_stops_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "cut.json"
    source.write_text('[\n  {"title": "a", "text": "b"},\n  {"title": "c", "te')
    assert run(["scan", str(source), "-o", str(tmp_path / "o.jsonl")]) == EXIT_USAGE
    assert f"{source}:3: invalid JSON in the array" in capsys.readouterr().err


@pytest.mark.parametrize("delimiter", [";", "\t", "|", ","])
def test_the_csv_delimiter_is_told_from_the_header(tmp_path: Path, delimiter: str) -> None:
    """Bodies full of commas do not fool it: the header line decides."""
    source = tmp_path / "in.csv"
    with source.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["id", "title", "text"], delimiter=delimiter)
        writer.writeheader()
        for row in ROWS[:5]:
            writer.writerow({k: row[k] for k in ("id", "title", "text")})
    assert scan_ids(tmp_path, source) == [r["id"] for r in ROWS[:5]]


def test_delimiter_detection_ignores_quoted_names() -> None:
    assert detect_delimiter(b'"a;b";"c,d";e\r\n') == ";"
    assert detect_delimiter(b"title") == ","
    assert detect_delimiter(b"id|title|text") == "|"


def test_a_given_delimiter_is_used_and_a_wrong_one_is_hinted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.csv"
    source.write_text(f"id;title;text\n1;{POLITICS_TITLE};{POLITICS}\n", encoding="utf-8")
    assert scan_ids(tmp_path, source, "--delimiter", ";") == ["1"]
    assert run(["scan", str(source), "-o", str(tmp_path / "o.csv"), "--delimiter", ","]) == 2
    err = capsys.readouterr().err
    assert "which have 'id;title;text'" in err and "--delimiter ';'" in err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["scan", str(source), "--delimiter", ";;"])
    assert "the CSV delimiter must be one character" in capsys.readouterr().err
    assert build_parser().parse_args(["scan", "x.csv", "--delimiter", "\\t"]).delimiter == "\t"


def test_evaluate_takes_labels_that_are_not_zero_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """FNC-1's stances: --positive-label names the one that marks a mismatch; without it
    the error says to pass it."""
    rows = [
        {"title": POLITICS_TITLE, "text": POLITICS, "stance": "discuss"},
        {"title": SPORTS_TITLE, "text": POLITICS, "stance": "unrelated"},
        {"title": "Ceasefire talks in Geneva", "text": POLITICS, "stance": "agree"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    args = ["evaluate", str(source), "--label-field", "stance", "--json"]
    assert run(args) == EXIT_USAGE
    assert "--positive-label" in capsys.readouterr().err
    assert run([*args, "--positive-label", "Unrelated"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["pairs"] == 3 and report["mismatches"] == 1


def test_an_output_over_the_input_is_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The input itself, a link to it, or a file inside an input folder; in scan, report
    and calibrate. The input is left as it was."""
    source = tmp_path / "in.jsonl"
    source.write_text(EXAMPLES.read_text(encoding="utf-8"))
    before = source.read_bytes()
    link = tmp_path / "link.jsonl"
    link.symlink_to(source)
    for args in (
        ["scan", str(source), "-o", str(source)],
        ["scan", str(link), "-o", str(source)],
        ["report", str(source), "-o", str(link), "--output-format", "markdown"],
        ["calibrate", str(source), "-o", str(source)],
    ):
        assert run(args) == EXIT_USAGE, args
        assert "is the input itself (or a link to it)" in capsys.readouterr().err
    assert source.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "link.jsonl"]


def test_an_empty_input_is_warned_about(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "empty.jsonl"
    source.write_text("\n\n")
    assert run(["scan", str(source), "-o", str(tmp_path / "o.jsonl")]) == EXIT_OK
    assert "warning: " + str(source) + " holds no records" in capsys.readouterr().err


def test_the_output_format_message_names_the_output_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["scan", str(EXAMPLES), "-o", str(tmp_path / "out.txt")]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "name it with --output-format (jsonl, csv, parquet)" in err


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5"])
def test_every_bad_workers_value_gets_the_same_message(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["scan", "x.jsonl", "--workers", value])
    assert f"argument --workers: expected a whole number >= 1, got {value!r}" in (
        capsys.readouterr().err
    )


def test_the_read_meter_follows_the_bytes_read(tmp_path: Path) -> None:
    """The progress bar's total is the input's size on disk, and its position reaches it."""
    parts = tmp_path / "parts"
    parts.mkdir()
    for n in range(2):
        (parts / f"p{n}.jsonl").write_text(EXAMPLES.read_text(encoding="utf-8"))
    meter = ReadMeter(str(parts))
    assert meter.total == 2 * os.path.getsize(EXAMPLES)
    positions = [meter.position for _ in read_rows(str(parts), "jsonl", meter=meter)]
    assert positions[0] > 0 and positions == sorted(positions)
    assert meter.position == meter.total
    assert ReadMeter("-").total is None
