"""The Scrapy pipeline, tested with real crawls of a site served on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("scrapy", reason="the scrapy extra is not installed")

from crawl.site import ARTICLES, serve
from headcheck import Detector
from headcheck.result import result_fields

RUNNER = Path(__file__).parent / "crawl" / "run_crawl.py"
WRONG = {title for _, title, _, wrong in ARTICLES if wrong}


def crawl(tmp_path: Path, kind: str = "dict", **settings: str) -> dict[str, Any]:
    """Crawl the test site in a fresh process; return its items and stats."""
    out = tmp_path / f"crawl-{kind}.json"
    with serve() as base:
        args = [sys.executable, str(RUNNER), base, str(out), kind]
        args += [f"{key}={value}" for key, value in settings.items()]
        done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    result["log"] = done.stderr
    return result


def test_tag_mode_writes_results_and_stats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], detector: Detector
) -> None:
    """In tag mode every item passes, carrying its result; wrong titles are flagged, with
    the decision of every front end (the local detector's, same defaults)."""
    result = crawl(tmp_path, HEADCHECK_ACTION="tag")
    items, stats = result["items"], result["stats"]
    with capsys.disabled():
        ours = {k: v for k, v in sorted(stats.items()) if k.startswith("headcheck/")}
        print(f"\n[scrapy tag crawl] {ours}, item_scraped_count={stats.get('item_scraped_count')}")
    assert len(items) == len(ARTICLES)
    flagged = {i["title"] for i in items if i["headcheck"]["is_headline_mismatch"]}
    assert flagged == WRONG
    for item in items:
        assert item["headcheck"] == result_fields(detector.check(item["title"], item["text"]))
    assert stats["headcheck/items"] == len(ARTICLES)
    assert stats["headcheck/checked"] == len(ARTICLES)
    assert stats["headcheck/flagged"] == len(WRONG)
    reasons = Counter(r for i in items for r in detector.check(i["title"], i["text"]).reasons)
    assert reasons["boilerplate_title"] == 2  # "Live Score: ..." and "Home"
    for reason, count in reasons.items():
        assert stats[f"headcheck/flagged/{reason}"] == count
    listed = ", ".join(f"{r} {n}" for r, n in sorted(reasons.items()))
    assert f"headcheck flagged 3 of 8 items ({listed})" in result["log"]


def test_drop_mode_drops_flagged_items_through_scrapy(tmp_path: Path) -> None:
    """In drop mode flagged items are dropped and Scrapy's own stats count them."""
    result = crawl(tmp_path, HEADCHECK_ACTION="drop")
    items, stats = result["items"], result["stats"]
    assert {i["title"] for i in items} == {t for _, t, _, w in ARTICLES if not w}
    assert all("headcheck" not in i for i in items)
    assert stats["headcheck/dropped"] == len(WRONG)
    assert stats["item_dropped_count"] == len(WRONG)
    assert stats["item_dropped_reasons_count/HeadlineMismatch"] == len(WRONG)


@pytest.mark.parametrize("kind", ["item", "dataclass", "attrs"])
def test_declared_item_fields_are_tagged(tmp_path: Path, kind: str) -> None:
    """scrapy.Item, dataclass and attrs items with the result field declared get tagged."""
    items = crawl(tmp_path, kind, HEADCHECK_ACTION="tag")["items"]
    assert len(items) == len(ARTICLES)
    assert {i["title"] for i in items if i["headcheck"]["is_headline_mismatch"]} == WRONG


def test_item_without_the_field_is_counted_not_crashed(tmp_path: Path) -> None:
    """An item class that cannot take the result field passes untagged, counted and logged once."""
    result = crawl(tmp_path, "bare_item", HEADCHECK_ACTION="tag")
    assert len(result["items"]) == len(ARTICLES)
    assert result["stats"]["headcheck/untaggable"] == len(ARTICLES)
    assert result["log"].count("cannot write field 'headcheck'") == 1


def assert_stopped_at_start(result: dict[str, Any], *messages: str) -> None:
    """The crawl did not run: no item scraped, the bootstrap failed (`scrapy crawl` exits 1),
    and the log says why."""
    assert result["bootstrap_failed"] is True
    assert result["items"] == [] and "headcheck/items" not in result["stats"]
    assert "ConfigurationError" in result["log"]
    for message in messages:
        assert message in result["log"]


def test_unknown_action_stops_the_crawl_with_the_valid_values(tmp_path: Path) -> None:
    """A bad HEADCHECK_ACTION stops the crawl at its start naming tag and drop: a quality
    gate that cannot run fails closed, never NotConfigured (a crawl run unchecked)."""
    result = crawl(tmp_path, HEADCHECK_ACTION="delete")
    assert_stopped_at_start(result, "HEADCHECK_ACTION is 'delete'; valid values: tag, drop")


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        (
            "HEADCHECK_BATCH_SIZE",
            "0",
            "HEADCHECK_BATCH_SIZE: batch_size must be a whole number >= 1, got 0",
        ),
        ("HEADCHECK_BACKEND", "tpu", "HEADCHECK_BACKEND: backend must be one of torch, onnx"),
        ("HEADCHECK_THRESHOLD", "high", "HEADCHECK_THRESHOLD: expected a number in [-1, 1]"),
        ("HEADCHECK_CONTEXT", "maybe", "HEADCHECK_CONTEXT: expected True or False, got 'maybe'"),
        ("HEADCHECK_BATCH_WAIT", "-1", "HEADCHECK_BATCH_WAIT: expected a number of seconds"),
    ],
)
def test_an_invalid_setting_stops_the_crawl(
    tmp_path: Path, setting: str, value: str, message: str
) -> None:
    assert_stopped_at_start(crawl(tmp_path, **{setting: value}), message)


def test_an_item_class_without_the_title_field_stops_the_crawl(tmp_path: Path) -> None:
    """A declared item class that lacks HEADCHECK_TITLE_FIELD closes the crawl at the first
    item, naming the fields it declares; no item passes unchecked."""
    result = crawl(tmp_path, "item", HEADCHECK_TITLE_FIELD="headline")
    assert result["items"] == []
    error = result["stats"]["headcheck/field_error"]
    assert "item class ArticleItem has no field 'headline' (HEADCHECK_TITLE_FIELD)" in error
    declared = error.split("it declares ")[1]
    assert sorted(declared.split(", ")) == ["'headcheck'", "'text'", "'title'", "'url'"]
    assert result["stats"]["finish_reason"] == "headcheck_missing_field"
    assert "headcheck stops this crawl" in result["log"]


def test_dict_items_without_the_title_field_are_reported(tmp_path: Path) -> None:
    """Dict items: when none of the crawl's items (fewer than the check's window) has the
    field, the crawl ends with an error naming the fields they have, closest first."""
    result = crawl(tmp_path, HEADCHECK_TITLE_FIELD="headline", HEADCHECK_ACTION="tag")
    error = result["stats"]["headcheck/field_error"]
    assert error.startswith(
        f"no field 'headline' (HEADCHECK_TITLE_FIELD) in the first {len(ARTICLES)} items"
    )
    named = error.split("which have ")[1].split(";")[0]
    assert sorted(named.split(", ")) == ["'text'", "'title'", "'url'"]
    assert all(
        i["headcheck"]["headline_mismatch_reason"] == "missing_title" for i in result["items"]
    )


def test_disabled_the_crawl_runs_without_the_check(tmp_path: Path) -> None:
    """HEADCHECK_ENABLED = False is the one way to crawl without it."""
    result = crawl(tmp_path, HEADCHECK_ENABLED="False", HEADCHECK_ACTION="delete")
    assert result["bootstrap_failed"] is False
    assert len(result["items"]) == len(ARTICLES)
    assert "headcheck/items" not in result["stats"]


def test_calibration_file_drives_the_decision(tmp_path: Path) -> None:
    """With HEADCHECK_CALIBRATION, items carry the calibrated mismatch probability."""
    from conftest import EXAMPLES
    from headcheck.cli.main import main

    calibration = tmp_path / "calibration.json"
    assert main(["calibrate", str(EXAMPLES), "--label-field", "label", "-o", str(calibration)]) == 0
    result = crawl(tmp_path, HEADCHECK_ACTION="tag", HEADCHECK_CALIBRATION=str(calibration))
    items = result["items"]
    assert len(items) == len(ARTICLES)
    assert all(i["headcheck"]["headline_mismatch_probability"] is not None for i in items)
    flagged = {i["title"] for i in items if i["headcheck"]["is_headline_mismatch"]}
    assert WRONG.issubset(flagged)


def test_bad_calibration_file_stops_the_crawl_with_the_reason(tmp_path: Path) -> None:
    """A calibration file that fails validation stops the crawl, naming the problem."""
    bad = tmp_path / "calibration.json"
    bad.write_text("[1, 2, 3]")
    result = crawl(tmp_path, HEADCHECK_ACTION="tag", HEADCHECK_CALIBRATION=str(bad))
    assert_stopped_at_start(result, "HEADCHECK_CALIBRATION:", "not a headcheck calibration file")


def test_model_that_fails_to_load_stops_the_crawl_with_the_reason(tmp_path: Path) -> None:
    """A model folder that looks right but does not load stops the crawl at its start and
    says why, rather than running it unchecked."""
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    (broken / "modules.json").write_text("[]")
    result = crawl(tmp_path, HEADCHECK_ACTION="tag", HEADCHECK_MODEL=str(broken))
    assert_stopped_at_start(
        result, "headcheck cannot check this crawl: could not load the model from", str(broken)
    )


def test_scoring_error_on_one_item_is_counted_logged_and_the_crawl_goes_on(
    tmp_path: Path,
) -> None:
    """When scoring fails for one item, only that item passes unchecked; it is counted in
    headcheck/errors and logged once with its traceback, and every other item is tagged."""
    result = crawl(
        tmp_path, HEADCHECK_ACTION="tag", HEADCHECK_BATCH_SIZE="8", TEST_FAIL_ON="orchid"
    )
    items, stats = result["items"], result["stats"]
    assert len(items) == len(ARTICLES)
    unchecked = [i["title"] for i in items if "headcheck" not in i]
    assert unchecked == ["Train drivers announce two-day strike over pay"]  # the orchid story
    assert stats["headcheck/errors"] == 1
    assert stats["headcheck/checked"] == len(ARTICLES) - 1
    assert result["log"].count("headcheck could not score an item (RuntimeError") == 1
    assert "Traceback" in result["log"]
    assert stats["item_scraped_count"] == len(ARTICLES)
