"""Spark: add the result columns to a DataFrame, scored on the executors.

Scoring runs in an iterator-of-batches pandas UDF, so each executor's Python worker loads the
model once and reuses it for every batch and task it runs (Spark reuses Python workers by
default). headcheck and its model package must be installed on the executors.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Iterator
from typing import Any

try:
    import pandas as pd
    from pyspark.sql import DataFrame
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("headcheck.spark needs PySpark: pip install 'headcheck[spark]'") from exc

from headcheck.detector import Detector
from headcheck.errors import ConfigurationError
from headcheck.options import Options
from headcheck.result import RESULT_FIELDS, RESULT_TYPES, result_fields

_LOG = logging.getLogger(__name__)
#: Detectors loaded in this process, by their options: one per executor Python worker.
_DETECTORS: dict[str, Any] = {}

_SPARK_TYPES = {"double": T.DoubleType(), "bool": T.BooleanType(), "string": T.StringType()}
#: The result columns, the same as a scanned file's and check_frame's, typed.
RESULT_SCHEMA = T.StructType(
    [T.StructField(name, _SPARK_TYPES[RESULT_TYPES[name]]) for name in RESULT_FIELDS]
)


def _detector(options: str) -> Any:
    """The detector for these options (as JSON), loaded on first use in this process."""
    detector = _DETECTORS.get(options)
    if detector is None:
        detector = _DETECTORS[options] = Detector.from_options(Options(**json.loads(options)))
    return detector


def _score_batches(options: str) -> Any:
    def score(batches: Iterator[tuple[pd.Series, pd.Series]]) -> Iterator[pd.DataFrame]:
        return score_partition(_detector(options), batches)

    # pyspark's overloads name the UDF's types, which this iterator-of-batches form leaves out.
    return F.pandas_udf(score, RESULT_SCHEMA)  # type: ignore[call-overload]


def score_partition(
    detector: Any, batches: Iterator[tuple[pd.Series, pd.Series]]
) -> Iterator[pd.DataFrame]:
    """The result columns of a partition's (titles, texts) batches, a frame per batch.

    The partition's rows, across the Arrow batches Spark hands over, go through one
    ``check_many`` as a file's rows go through ``scan``: in blocks of the context decision's
    20,000 rows, each block one corpus (a block of under 100 distinct bodies is decided pair
    by pair: its results say ``stage="model"``, and a warning says how many there were).
    Results leave in frames the size of the batches that came in, as soon as their block is
    decided.
    """
    sizes: deque[int] = deque()

    def pairs() -> Iterator[tuple[Any, Any]]:
        for titles, texts in batches:
            sizes.append(len(titles))
            yield from zip(titles, texts, strict=True)

    ready: list[dict[str, Any]] = []
    alone = rows = 0
    for result in detector.check_many(pairs()):
        rows += 1
        alone += result.stage == "model"
        ready.append(result_fields(result))
        while sizes and len(ready) >= sizes[0]:
            size = sizes.popleft()
            yield _frame(ready[:size])
            del ready[:size]
    while sizes:  # empty batches, after the last row
        yield _frame(ready[: sizes.popleft()])
    if alone and detector.context is not None:
        _LOG.warning(
            "%d of the %d rows of a partition were read without a corpus (in a block of under "
            "100 distinct bodies): they were decided each on its own; give Spark partitions "
            "of a few thousand rows or more",
            alone,
            rows,
        )


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame({name: [row[name] for row in rows] for name in RESULT_FIELDS})


def add_headcheck_columns(
    frame: DataFrame, *, options: Options | None = None, **given: Any
) -> DataFrame:
    """``frame`` with the result columns added, row for row: those a scanned file and
    ``check_frame`` get (``headline_similarity``, ``headline_mismatch_probability``,
    ``is_headline_mismatch``, ``headline_mismatch_reason``, ``headline_evidence``,
    ``headline_suggestion``).

    The options are headcheck's (:class:`~headcheck.options.Options`), as keywords or
    ``options=``; ``title_field`` and ``text_field`` name the columns. ``model`` and
    ``calibration`` (a file from ``headcheck calibrate``) must be paths that exist on every
    executor; ``model=None`` is the packaged model. Each partition is read as ``scan`` reads
    a file: its rows in blocks of 20,000, each block one corpus when ``context`` is on, so a
    partition of up to 20,000 rows gets the verdicts ``headcheck scan`` gives the same rows.
    A partition (or its last block) of under 100 rows is too small to be a corpus: its rows
    are decided pair by pair. Repartition a large DataFrame into partitions of a few
    thousand rows or more, and keep related articles together if the order matters.
    """
    settings = Options.build("add_headcheck_columns", options, **given)
    if settings.calibration is not None and not isinstance(settings.calibration, str):
        raise ConfigurationError(
            "add_headcheck_columns: calibration must be the path of a calibration file (the "
            "executors load it), not a Calibration object"
        )
    problem = settings.missing_column(list(frame.columns), "the DataFrame")
    if problem is not None:
        raise ConfigurationError(problem)
    # Checked on the driver, before any task: the executors load the model later.
    settings.check("add_headcheck_columns")
    packed = "__headcheck_result"
    scored = frame.withColumn(
        packed,
        _score_batches(json.dumps(settings.to_dict(), sort_keys=True))(
            F.col(settings.title_field), F.col(settings.text_field)
        ),
    )
    return scored.select(
        *[F.col(f"`{c}`") for c in frame.columns],
        *[F.col(f"{packed}.{f}").alias(f) for f in RESULT_FIELDS],
    )
