"""Spark: the UDF on a real local Spark session gives the local result row for row."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

import pytest

pytest.importorskip("pyspark", reason="the spark extra is not installed")
if shutil.which("java") is None:
    pytest.skip(
        "Spark needs Java: no `java` on PATH (.ci/run installs a JRE)", allow_module_level=True
    )

from pyspark.sql import SparkSession

from conftest import EXAMPLES
from headcheck import Detector
from headcheck.integrations.spark import add_headcheck_columns
from headcheck.result import RESULT_FIELDS, result_fields


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("headcheck-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "16")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_spark_result_equals_local_result_row_for_row(
    spark: SparkSession, detector: Detector, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every example row scored on Spark matches the local detector's result."""
    rows = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines()]
    records = sorted((r["id"], r["title"], r["text"]) for r in rows)  # Spark's order below
    frame = spark.createDataFrame(records, "id string, title string, text string").repartition(2)
    started = time.perf_counter()
    scored = add_headcheck_columns(frame).orderBy("id").collect()
    seconds = time.perf_counter() - started
    # The same options and defaults as the local detector: the shipped decision.
    local = detector.check_many((title, text) for _, title, text in records)
    assert len(scored) == len(records)
    for row, (record, result) in zip(scored, zip(records, local, strict=True), strict=True):
        assert row["id"] == record[0]
        expected = result_fields(result)
        assert list(row.asDict())[3:] == list(RESULT_FIELDS)
        for name in RESULT_FIELDS:
            if isinstance(expected[name], float):
                assert row[name] == pytest.approx(expected[name], abs=1e-4), name
            else:
                assert row[name] == expected[name], name
    assert any(row["is_headline_mismatch"] for row in scored)
    assert any(not row["is_headline_mismatch"] for row in scored)
    with capsys.disabled():
        print(f"\n[spark] {len(scored)} rows scored on local[2] in {seconds:.1f} s")


def test_a_partition_is_read_as_scan_reads_a_file(
    spark: SparkSession, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """20,100 rows in one partition, handed over in Arrow batches of 16, get row for row the
    verdicts `headcheck scan` writes for the same rows: a block of 20,000 read as one corpus,
    then a block of 100. The rows are 2,010 distinct made-up articles (every seventh under
    another one's title), each ten times, so that the model embeds 4,020 texts and the rest
    comes from its cache: this is about the blocks, not the model."""
    from synthetic import articles, write_jsonl

    base = list(articles(2_010))
    rows = [{**base[i % len(base)], "id": i} for i in range(20_100)]
    source = write_jsonl(tmp_path / "rows.jsonl", iter(rows))
    scanned = tmp_path / "scanned.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "headcheck", "scan", str(source), "-o", str(scanned), "-q"],
        capture_output=True,
        text=True,
        timeout=1_800,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    local = [json.loads(line) for line in scanned.read_text(encoding="utf-8").splitlines()]
    frame = spark.createDataFrame(
        [(r["id"], r["title"], r["text"]) for r in rows], "id long, title string, text string"
    ).coalesce(1)
    assert frame.rdd.getNumPartitions() == 1
    started = time.perf_counter()
    scored = add_headcheck_columns(frame).orderBy("id").collect()
    seconds = time.perf_counter() - started
    assert len(scored) == len(local) == len(rows)
    for row, expected in zip(scored, local, strict=True):
        assert row["id"] == expected["id"]
        for name in RESULT_FIELDS:
            if isinstance(expected[name], float):
                assert row[name] == pytest.approx(expected[name], abs=1e-4), (row["id"], name)
            else:
                assert row[name] == expected[name], (row["id"], name)
    flagged = sum(row["is_headline_mismatch"] for row in scored)
    assert 0 < flagged < len(scored) // 2
    with capsys.disabled():
        print(f"\n[spark] {len(scored)} rows, one partition: {seconds:.1f} s, {flagged} flagged")


def test_a_partition_returns_a_frame_per_batch_and_warns_when_read_without_a_corpus(
    detector: Detector, caplog: pytest.LogCaptureFixture
) -> None:
    """The UDF's body gives one frame per batch, of that batch's size (empty batches
    included), in order; a partition too small to be a corpus is decided row by row and a
    warning says so."""
    import pandas as pd

    from headcheck.integrations.spark import score_partition

    rows = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines()]
    titles = pd.Series([r["title"] for r in rows])
    texts = pd.Series([r["text"] for r in rows])
    cuts = [0, 5, 5, 30, len(rows)]  # batches of 5, 0, 25 and 9 rows
    batches = [(titles[a:b], texts[a:b]) for a, b in pairwise(cuts)]
    with caplog.at_level("WARNING", logger="headcheck.spark"):
        frames = list(score_partition(detector, iter(batches)))
    assert [len(f) for f in frames] == [5, 0, 25, 9]
    joined = pd.concat(frames, ignore_index=True)
    local = [result_fields(r) for r in detector.check_many(zip(titles, texts, strict=True))]
    assert joined["is_headline_mismatch"].tolist() == [r["is_headline_mismatch"] for r in local]
    assert joined["headline_mismatch_reason"].fillna("").tolist() == [
        r["headline_mismatch_reason"] or "" for r in local
    ]
    assert "rows of a partition were read without a corpus" in caplog.text


def test_missing_column_is_named(spark: SparkSession) -> None:
    """A wrong column name is reported with the columns that exist."""
    frame = spark.createDataFrame([("a", "b")], "headline string, body string")
    expected = r"no column 'title' \(title_field\) in the DataFrame, which has 'headline', 'body'"
    with pytest.raises(ValueError, match=expected):
        add_headcheck_columns(frame)


def test_an_unusable_calibration_raises_on_the_driver(spark: SparkSession, tmp_path: Path) -> None:
    """Checked when the column is added, before any task runs (a ConfigurationError)."""
    from headcheck.errors import ConfigurationError

    bad = tmp_path / "calibration.json"
    bad.write_text("{}")
    frame = spark.createDataFrame([("a", "b")], "title string, text string")
    with pytest.raises(ConfigurationError, match="add_headcheck_columns: "):
        add_headcheck_columns(frame, calibration=str(bad))
