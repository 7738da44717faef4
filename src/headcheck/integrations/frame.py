"""pandas helper: add the result columns to any DataFrame."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from headcheck.detector import Detector
from headcheck.options import Options
from headcheck.result import RESULT_FIELDS, RESULT_TYPES, result_fields

if TYPE_CHECKING:
    import pandas as pd


def check_frame(
    frame: pd.DataFrame,
    *,
    title_field: str | None = None,
    text_field: str | None = None,
    detector: Detector | None = None,
    options: Options | None = None,
    **given: Any,
) -> pd.DataFrame:
    """Return a copy of ``frame`` with the result columns added, row for row: the columns a
    scanned file gets (``headline_similarity``, ``headline_mismatch_probability``,
    ``is_headline_mismatch``, ``headline_mismatch_reason``, ``headline_evidence``,
    ``headline_suggestion``), the numbers as float columns (NaN when not scored).

    ``title_field`` and ``text_field`` name the columns (unset: those of ``options``,
    "title" and "text" by default). The detector is ``detector``, or
    one built from ``options`` (:class:`~headcheck.options.Options`) and the option keywords
    ``given`` (``model=``, ``calibration=``, ``threshold=``...).
    """
    import pandas as pd

    fields = {"title_field": title_field, "text_field": text_field}
    given.update({name: value for name, value in fields.items() if value is not None})
    settings = Options.build("check_frame", options, **given)
    title_field, text_field = settings.title_field, settings.text_field
    problem = settings.missing_column(list(frame.columns), "the frame")
    if problem is not None:
        raise KeyError(problem)
    if detector is None:
        detector = Detector.from_options(settings)
    elif options is not None or set(given) - set(fields):
        unwanted = sorted(set(given) - set(fields)) or ["options"]
        raise TypeError(f"pass either detector= or detector options, not both: {unwanted}")
    results = list(detector.check_many(zip(frame[title_field], frame[text_field], strict=True)))
    out = frame.copy()
    rows = [result_fields(r) for r in results]
    for name in RESULT_FIELDS:
        values = [row[name] for row in rows]
        if RESULT_TYPES[name] == "double":
            values = [float("nan") if v is None else v for v in values]
            out[name] = pd.Series(values, index=out.index, dtype="float64")
        else:
            out[name] = values
    return out
