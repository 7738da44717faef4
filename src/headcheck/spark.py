"""Spark: add the result columns to a DataFrame, scored on the executors.

Scoring runs in an iterator-of-batches pandas UDF, so each executor's Python worker loads the
model once and reuses it for every batch and task it runs (Spark reuses Python workers by
default). headcheck and its model package must be installed on the executors.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

try:
    import pandas as pd
    from pyspark.sql import DataFrame
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("headcheck.spark needs PySpark: pip install 'headcheck[spark]'") from exc

from headcheck.decision import DEFAULT_THRESHOLD, check_threshold
from headcheck.errors import ConfigurationError, check_front_end
from headcheck.io import closest_first
from headcheck.result import (
    EVIDENCE_FIELD,
    MISMATCH_FIELD,
    REASON_FIELD,
    SIMILARITY_FIELD,
    join_reasons,
)

#: Detectors loaded in this process, by their options: one per executor Python worker.
_DETECTORS: dict[tuple[Any, ...], Any] = {}

RESULT_SCHEMA = T.StructType(
    [
        T.StructField(SIMILARITY_FIELD, T.DoubleType()),
        T.StructField(MISMATCH_FIELD, T.BooleanType()),
        T.StructField(REASON_FIELD, T.StringType()),
        T.StructField(EVIDENCE_FIELD, T.StringType()),
    ]
)


def _detector(options: tuple[Any, ...]) -> Any:
    """The detector for these options, loaded on first use in this process."""
    detector = _DETECTORS.get(options)
    if detector is None:
        from headcheck.detector import Detector

        model, threshold, batch_size, calibration = options
        detector = _DETECTORS[options] = Detector(
            model=model, threshold=threshold, batch_size=batch_size, calibration=calibration
        )
    return detector


def _score_batches(options: tuple[Any, ...]) -> Any:
    def score(batches: Iterator[tuple[pd.Series, pd.Series]]) -> Iterator[pd.DataFrame]:
        detector = _detector(options)
        for titles, texts in batches:
            results = list(detector.check_many(zip(titles, texts, strict=True)))
            yield pd.DataFrame(
                {
                    SIMILARITY_FIELD: [r.similarity for r in results],
                    MISMATCH_FIELD: [r.is_mismatch for r in results],
                    REASON_FIELD: [join_reasons(r.reasons) for r in results],
                    EVIDENCE_FIELD: [r.evidence for r in results],
                }
            )

    return F.pandas_udf(score, RESULT_SCHEMA)  # type: ignore[call-overload]


def add_headcheck_columns(
    frame: DataFrame,
    *,
    title_column: str = "title",
    text_column: str = "text",
    model: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    batch_size: int = 64,
    evidence: bool = True,
    calibration: str | None = None,
) -> DataFrame:
    """``frame`` with ``headline_similarity``, ``is_headline_mismatch``,
    ``headline_mismatch_reason`` (and ``headline_evidence``) added, row for row.

    ``model`` and ``calibration`` (a file from ``headcheck calibrate``) must be paths that
    exist on every executor; ``model=None`` is the packaged model.
    """
    for option, column in (("title_column", title_column), ("text_column", text_column)):
        if column not in frame.columns:
            have = closest_first(column, list(frame.columns))
            raise ConfigurationError(
                f"no column {column!r} ({option}) in the DataFrame, which has "
                f"{', '.join(map(repr, have)) or 'no columns'}; name it with {option}="
            )
    # Checked on the driver, before any task: the executors load the model later.
    check_front_end("add_headcheck_columns", model=model, calibration=calibration)
    options = (
        None if model is None else str(model),
        check_threshold(threshold),
        batch_size,
        None if calibration is None else str(calibration),
    )
    packed = "__headcheck_result"
    scored = frame.withColumn(
        packed, _score_batches(options)(F.col(title_column), F.col(text_column))
    )
    fields = [SIMILARITY_FIELD, MISMATCH_FIELD, REASON_FIELD] + (
        [EVIDENCE_FIELD] if evidence else []
    )
    return scored.select(
        *[F.col(f"`{c}`") for c in frame.columns],
        *[F.col(f"{packed}.{f}").alias(f) for f in fields],
    )
