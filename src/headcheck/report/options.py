"""What a report is asked to show, and the format it is written in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from headcheck.io.formats import MAX_RECORD_BYTES

ReportFormat = Literal["html", "markdown"]
REPORT_FORMATS: tuple[str, ...] = get_args(ReportFormat)
_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}


def report_format(destination: str, given: str | None = None) -> ReportFormat:
    """The report format named by ``given``, else by the destination's extension (HTML for
    standard output)."""
    if given is not None:
        if given not in REPORT_FORMATS:
            raise ValueError(
                f"unknown report format {given!r}; valid formats: {', '.join(REPORT_FORMATS)}"
            )
        return given  # type: ignore[return-value]  # checked against REPORT_FORMATS
    if destination == "-":
        return "html"
    suffix = Path(destination).suffix.lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]  # type: ignore[return-value]  # values are ReportFormats
    raise ValueError(
        f"cannot tell the report format of {destination!r} from its extension; name it with "
        f"--output-format ({', '.join(REPORT_FORMATS)}) or use .html or .md"
    )


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """What the report reads from each record and how much it shows."""

    title_field: str = "title"
    text_field: str = "text"
    #: Field holding a 0/1-like label (1 = mismatch): adds ROC, precision-recall and calibration.
    label_field: str | None = None
    #: The label value that marks a mismatch, for labels that are not 0/1-like.
    positive_label: str | None = None
    #: CSV delimiter (None: detected from the header line).
    delimiter: str | None = None
    #: Field to break the flagged rate down by, e.g. the site or domain.
    group_field: str | None = None
    #: Most confident flags shown, and borderline pairs shown.
    examples: int = 10
    #: Pairs re-paired for the shuffled-headline histogram (a fixed-seed sample).
    max_pairs: int = 20_000
    seed: int = 0
    #: Groups listed (the largest first); the rest are summed in one row.
    max_groups: int = 30
    #: Longest input record read (a JSONL line, a CSV record); a longer one is unreadable.
    max_record_bytes: int = MAX_RECORD_BYTES

    def __post_init__(self) -> None:
        limits = (
            ("examples", 0),
            ("max_pairs", 2),
            ("max_groups", 1),
            ("seed", 0),
            ("max_record_bytes", 1),
        )
        for name, low in limits:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be a whole number >= {low}, got {value!r}")
