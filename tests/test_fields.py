"""A field name that matches nothing stops the run, in every command, naming the fields the
first records have (closest first); a record that lacks a field the others have is still a
row flagged for it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import POLITICS, POLITICS_TITLE
from headcheck.cli.common import EXIT_USAGE
from headcheck.cli.main import main
from headcheck.io.fields import FIELD_CHECK_RECORDS, FieldError, check_fields
from headcheck.io.formats import Row


def run(args: list[str]) -> int:
    """The CLI's exit status (its errors end in SystemExit, as from the shell)."""
    try:
        return main(args)
    except SystemExit as exc:
        return int(exc.code or 0)


def write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def scraped(n: int = 3) -> list[dict[str, object]]:
    return [{"url": f"u{i}", "headline": POLITICS_TITLE, "body": POLITICS} for i in range(n)]


@pytest.mark.parametrize(
    "command",
    [
        ["scan", "-o", "{out}/x.jsonl"],
        ["calibrate", "-o", "{out}/c.json"],
        ["evaluate", "--label-field", "url"],
        ["report", "-o", "{out}/r.md"],
    ],
    ids=["scan", "calibrate", "evaluate", "report"],
)
def test_a_wrong_title_field_stops_every_command_with_the_fields_there_are(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path / "in.jsonl", scraped())
    args = [command[0], str(source), *(a.format(out=tmp_path) for a in command[1:])]
    assert run(args) == EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == (
        f"headcheck: error: {source}: no field 'title' (--title-field) in the first 3 "
        "records, which have 'headline', 'url', 'body'; name the field with --title-field"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]  # nothing written


def test_the_closest_field_comes_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"id": 1, "titel": POLITICS_TITLE, "text": POLITICS, "summary": "x"}]
    source = write(tmp_path / "in.jsonl", rows)
    assert run(["scan", str(source), "-o", str(tmp_path / "o.jsonl"), "--threshold", "0.3"]) == 2
    assert "which have 'titel', 'text', 'id', 'summary'" in capsys.readouterr().err


@pytest.mark.parametrize(("option", "value"), [("--id-field", "uid"), ("--text-field", "content")])
def test_other_field_options_are_checked_too(
    tmp_path: Path, option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path / "in.jsonl", [{"id": 1, "title": POLITICS_TITLE, "text": POLITICS}])
    out = tmp_path / "o.jsonl"
    assert run(["scan", str(source), "-o", str(out), "--threshold", "0.3", option, value]) == 2
    assert f"no field {value!r} ({option}) in the first record" in capsys.readouterr().err
    assert not out.exists()


def test_a_record_lacking_a_field_the_others_have_is_still_a_flagged_row(
    tmp_path: Path,
) -> None:
    rows = [{"id": i, "title": POLITICS_TITLE, "text": POLITICS} for i in range(3)]
    rows.insert(1, {"id": 9, "text": POLITICS})
    source = write(tmp_path / "in.jsonl", rows)
    out = tmp_path / "o.jsonl"
    assert run(["scan", str(source), "-o", str(out), "--threshold", "0.3", "-q"]) == 0
    reasons = [
        json.loads(line)["headline_mismatch_reason"] for line in out.read_text().splitlines()
    ]
    assert reasons == [None, "missing_title", None, None]


def test_the_check_reads_a_bounded_head_and_loses_no_row() -> None:
    """Only the first FIELD_CHECK_RECORDS readable records are looked at (a field that first
    appears later still counts as absent there), unreadable rows do not count, and every row
    comes through in order."""
    rows = [Row(1, None, "bad")] + [Row(i + 2, {"a": i}) for i in range(FIELD_CHECK_RECORDS)]
    late = [Row(10_000, {"title": "x"})]
    with pytest.raises(FieldError, match=f"first {FIELD_CHECK_RECORDS} records, which have 'a'"):
        list(check_fields("f", iter(rows + late), {"--title-field": "title"}))
    ok = [*rows, Row(10_000, {"a": 1})]
    assert list(check_fields("f", iter(ok), {"--title-field": "a", "--id-field": None})) == ok
    assert list(check_fields("f", iter([Row(1, None, "bad")]), {"--title-field": "t"})) == [
        Row(1, None, "bad")
    ]
