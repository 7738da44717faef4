"""Load: a million-row scan streams in flat memory with the exact row count, and a
100,000-item crawl through the Scrapy pipeline completes without an error. Marked slow; CI
runs them (`make test` runs the whole suite)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from synthetic import articles, write_jsonl

RUNNER = Path(__file__).parent / "scan_runner.py"
CRAWLER = Path(__file__).parent / "crawl" / "run_crawl.py"

pytestmark = pytest.mark.slow


def scan_in_child(source: Path, output: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(RUNNER), str(source), str(output)],
        capture_output=True,
        text=True,
        # A million rows at about 1.2 ms each here (cleaning, language identification of
        # headline and lead, rules, features, writing): about 20 minutes, with room.
        timeout=2_700,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f)


def test_million_row_scan_streams_in_flat_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`scan_file` over 1,000,000 distinct rows writes exactly 1,000,000 rows, and its peak
    memory is that of a 10,000-row run (within 10% + 15 MB).

    The rows are scored with the cheap hashing encoder of tests/synthetic.py, not the model:
    this test is about reading, cleaning, batching, caching and writing a stream; the model
    would take about a day for a million distinct articles on two CPU cores. Everything but
    the embedding (text cleaning, sentence splitting, rules, features, the bounded embedding
    cache, the writer) is the real code path. Each run is its own process, so its peak RSS
    (VmHWM, see tests/peak.py: getrusage would report the pytest process it was forked from)
    is its own.
    """
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    write_jsonl(small, articles(10_000))
    write_jsonl(large, articles(1_000_000))
    small_run = scan_in_child(small, tmp_path / "small.out.jsonl")
    large_run = scan_in_child(large, tmp_path / "large.out.jsonl")
    with capsys.disabled():
        print(f"\n[load] 10k rows: {small_run}\n[load] 1M rows: {large_run}")
    assert large_run["checked"] == 1_000_000
    assert count_lines(tmp_path / "large.out.jsonl") == 1_000_000
    assert small_run["checked"] == count_lines(tmp_path / "small.out.jsonl") == 10_000
    assert large_run["peak_rss_mb"] <= small_run["peak_rss_mb"] * 1.10 + 15


def test_hundred_thousand_item_crawl_completes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A crawl yielding 100,000 items through the pipeline, scored by the real model, checks
    and tags every one with no error. The items cycle through the test site's eight articles,
    so after the first few batches the embedding cache serves the model's part."""
    from crawl.site import ARTICLES, serve

    out = tmp_path / "bulk.json"
    with serve() as base:
        args = [sys.executable, str(CRAWLER), base, str(out), "bulk", "TEST_ITEMS=100000"]
        done = subprocess.run(
            [*args, "LOG_LEVEL=WARNING"], capture_output=True, text=True, timeout=1_200
        )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    stats = report["stats"]
    with capsys.disabled():
        rate = 100_000 / report["seconds"]
        print(
            f"\n[load] crawl of 100,000 items: {report['seconds']} s ({rate:.0f} items/s), "
            f"peak RSS {report['peak_rss_mb']} MB"
        )
    assert stats["item_scraped_count"] == 100_000
    assert report["tagged"] == 100_000
    assert stats["headcheck/items"] == stats["headcheck/checked"] == 100_000
    assert "headcheck/errors" not in stats
    wrong = sum(1 for *_, is_wrong in ARTICLES if is_wrong)
    assert stats["headcheck/flagged"] == 100_000 // len(ARTICLES) * wrong
    assert "log_count/ERROR" not in stats
