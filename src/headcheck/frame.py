"""pandas helper: add the result columns to any DataFrame."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from headcheck.io import closest_first
from headcheck.result import MISMATCH_FIELD, REASON_FIELD, SIMILARITY_FIELD, join_reasons

if TYPE_CHECKING:
    import pandas as pd

    from headcheck.detector import Detector


def check_frame(
    frame: pd.DataFrame,
    *,
    title_column: str = "title",
    text_column: str = "text",
    detector: Detector | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Return a copy of ``frame`` with three columns added, row for row:

    ``headline_similarity`` (float, NaN when not scored), ``is_headline_mismatch`` (bool) and
    ``headline_mismatch_reason`` (a reason code, or None). ``options`` build a
    :class:`~headcheck.Detector` when none is given.
    """
    for option, column in (("title_column", title_column), ("text_column", text_column)):
        if column not in frame.columns:
            have = closest_first(str(column), [str(c) for c in frame.columns])
            raise KeyError(
                f"no column {column!r} ({option}) in the frame, which has "
                f"{', '.join(map(repr, have)) or 'no columns'}; name it with {option}="
            )
    if detector is None:
        from headcheck.detector import Detector

        detector = Detector(**options)
    elif options:
        raise TypeError(f"pass either detector= or detector options, not both: {sorted(options)}")
    results = list(detector.check_many(zip(frame[title_column], frame[text_column], strict=True)))
    out = frame.copy()
    out[SIMILARITY_FIELD] = [
        float("nan") if r.similarity is None else r.similarity for r in results
    ]
    out[MISMATCH_FIELD] = [r.is_mismatch for r in results]
    out[REASON_FIELD] = [join_reasons(r.reasons) for r in results]
    return out
