"""Spark: add the result columns to a DataFrame, scored on the executors.

Scoring runs in an iterator-of-batches pandas UDF, so each executor's Python worker loads the
model once and reuses it for every batch and task it runs (Spark reuses Python workers by
default). headcheck and its model package must be installed on the executors.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

try:
    import pandas as pd
    from pyspark.sql import DataFrame
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("headcheck.spark needs PySpark: pip install 'headcheck[spark]'") from exc

from headcheck.errors import ConfigurationError
from headcheck.options import Options
from headcheck.result import RESULT_FIELDS, RESULT_TYPES, result_fields

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
        detector = _DETECTORS[options] = Options(**json.loads(options)).detector()
    return detector


def _score_batches(options: str) -> Any:
    def score(batches: Iterator[tuple[pd.Series, pd.Series]]) -> Iterator[pd.DataFrame]:
        detector = _detector(options)
        for titles, texts in batches:
            rows = [result_fields(r) for r in detector.check_many(zip(titles, texts, strict=True))]
            yield pd.DataFrame({name: [row[name] for row in rows] for name in RESULT_FIELDS})

    return F.pandas_udf(score, RESULT_SCHEMA)  # type: ignore[call-overload]


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
    executor; ``model=None`` is the packaged model. Each batch Spark hands the UDF (up to
    ``spark.sql.execution.arrow.maxRecordsPerBatch`` rows, 10,000 by default) is read as one
    corpus when ``context`` is on.
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
