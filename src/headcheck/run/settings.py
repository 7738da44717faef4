"""What a scan is asked to do (:class:`ScanOptions`), and what it did (:class:`ScanStats`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal, get_args

from headcheck.embed.resolve import available_cpus
from headcheck.io.formats import (
    MAX_RECORD_BYTES,
)

OnError = Literal["fail", "skip"]
ON_ERROR: tuple[str, ...] = get_args(OnError)


def default_workers(backend: str, *, context: bool) -> int:
    """The worker processes of a scan given no ``--workers``. With the onnx backend and the
    corpus decision, one: this process, whose encoder runs the texts side by side on every
    CPU (60,000 distinct rows: 66 rows/s at a peak of 1.1 GB, against 59 rows/s and 2.4 GB
    for a one-thread worker process per CPU, each holding its own model and 20,000-row block,
    while the reader keeps their chunks in flight). Otherwise a one-thread process per CPU:
    torch runs a worker's texts on one thread, and without the corpus decision most of a
    check is Python (cleaning, rules, the cascade's cheap stage), which processes share out."""
    return 1 if backend == "onnx" and context else available_cpus()


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """How records map to pairs and what is written back."""

    title_field: str = "title"
    text_field: str = "text"
    #: When set, output rows hold only this field and the result fields (to join back on).
    id_field: str | None = None
    only_flagged: bool = False
    on_error: OnError = "fail"
    #: Processes that check in parallel (1: in this process).
    workers: int = 1
    #: Longest input record read (a JSONL line, a CSV record); a longer one is an error row.
    max_record_bytes: int = MAX_RECORD_BYTES
    #: CSV delimiter; None: told from the header line.
    delimiter: str | None = None

    def __post_init__(self) -> None:
        if (
            isinstance(self.max_record_bytes, bool)
            or not isinstance(self.max_record_bytes, int)
            or self.max_record_bytes < 1
        ):
            raise ValueError(
                f"max_record_bytes must be a positive integer, got {self.max_record_bytes!r}"
            )
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"workers must be a positive integer, got {self.workers!r}")
        if self.on_error not in ON_ERROR:
            raise ValueError(
                f"on_error must be one of {', '.join(ON_ERROR)}, got {self.on_error!r}"
            )


@dataclass(slots=True)
class ScanStats:
    """Counts kept while a scan runs (mutable on purpose: it is filled as rows go by)."""

    checked: int = 0
    flagged: int = 0
    #: Records that could not be scored (an input reason, or unreadable).
    skipped: int = 0
    #: Flagged records by reason; a record flagged for several reasons counts under each.
    reasons: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    #: Records the cascade's cheap stage decided without the transformer.
    cheap: int = 0
    #: Records a context decision had to decide on their own: read in a block of too few
    #: bodies to be a corpus (a file of under 100 articles, or a last block that small).
    alone: int = 0
    #: Rows taken over from a killed run's partial output (``scan --resume``).
    resumed: int = 0

    def add(
        self, reasons: tuple[str, ...], *, scored: bool, cheap: bool = False, alone: bool = False
    ) -> None:
        self.checked += 1
        self.skipped += not scored
        self.cheap += cheap
        self.alone += alone
        if reasons:
            self.flagged += 1
            self.reasons.update(reasons)

    @property
    def mismatch_rate(self) -> float:
        return self.flagged / self.checked if self.checked else 0.0

    @property
    def per_second(self) -> float:
        return self.checked / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """One line: checked, flagged with its reasons, skipped, rate and speed."""
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(self.reasons.items()))
        return (
            f"checked {self.checked}, flagged {self.flagged} ({self.mismatch_rate:.1%})"
            + (f" [{reasons}]" if reasons else "")
            + f", skipped {self.skipped}"
            + (f", {self.cheap / self.checked:.0%} by the cheap stage" if self.cheap else "")
            + (f", {self.alone} read without a corpus (under 100 bodies)" if self.alone else "")
            + f", {self.per_second:.1f} articles/s in {self.seconds:.1f} s"
        )
