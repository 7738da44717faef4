"""What the commands share: exit codes, the options and detector their arguments give, the
progress bar, and one-line errors."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

EXIT_OK, EXIT_GATE, EXIT_USAGE = 0, 1, 2
#: Exit status after Ctrl-C, as shells report a process ended by SIGINT.
EXIT_INTERRUPTED = 130


def options_from(args: argparse.Namespace, **overrides: Any) -> Any:
    """The :class:`~headcheck.options.Options` a command's arguments give (the arguments a
    command lacks keep their defaults), with ``overrides``; ConfigurationError when bad."""
    from headcheck.options import Options

    given: dict[str, Any] = {
        "title_field": args.title_field,
        "text_field": args.text_field,
        "model": args.model,
        "batch_size": args.batch_size,
        "backend": args.backend,
        "context": not args.no_context,
    }
    for name in ("device", "allow_download", "threshold", "calibration"):
        if hasattr(args, name):
            given[name] = getattr(args, name)
    if hasattr(args, "no_cascade"):
        given["cascade"] = not args.no_cascade
    return Options(**{**given, **overrides})


def detector_from(args: argparse.Namespace, **overrides: Any) -> Any:
    """The Detector that a command's model and decision arguments describe."""
    from headcheck.detector import Detector

    options = options_from(args, **overrides)
    detector = Detector(**options.detector_options())
    if options.calibration is not None:
        # A calibration file refused by the clear-pair check stops here, before any output
        # is written: CalibrationError, a ValueError.
        detector.check_decision()
    return detector


def fail(message: str) -> NoReturn:
    print(f"headcheck: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE)


def progress_bar(
    enabled: bool, source: str, input_format: str
) -> tuple[Callable[[int], None] | None, Callable[[], None], Any]:
    """(update with the articles checked, close, the ReadMeter to read with): a bar with a
    total and an ETA, in bytes of the input file (JSONL, CSV, .gz: compressed bytes), or in
    rows of a Parquet file; a count without a total on a stream."""
    from headcheck.io.formats import ReadMeter

    if not enabled:
        return None, lambda: None, None
    try:
        from tqdm import tqdm
    except ImportError:
        return None, lambda: None, None
    meter = ReadMeter(source)
    rows = parquet_rows(source) if input_format == "parquet" else None
    if rows is not None or meter.total is None:
        bar = tqdm(total=rows, unit=" articles", file=sys.stderr, dynamic_ncols=True)

        def update(checked: int) -> None:
            bar.update(checked - bar.n)

        return update, bar.close, None
    bar = tqdm(
        total=meter.total,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        file=sys.stderr,
        dynamic_ncols=True,
    )

    def update_bytes(checked: int) -> None:
        bar.update(meter.position - bar.n)
        bar.set_postfix_str(f"{checked:,} articles", refresh=False)

    return update_bytes, bar.close, meter


def parquet_rows(source: str) -> int | None:
    """The rows of a Parquet file (or folder of them), from its footer; None when unknown."""
    from headcheck.io.formats import is_stream, part_files

    if is_stream(source):
        return None
    try:
        import pyarrow.parquet as pq

        files = part_files(source) if os.path.isdir(source) else [source]
        return sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    except Exception:  # no total is only a plainer bar; the reader says what is wrong
        return None


def load_corpus(args: argparse.Namespace, *, max_pairs: int | None = None) -> tuple[Any, ...]:
    from headcheck.calibrate.evaluate import load_pairs
    from headcheck.io.formats import InputError, detect_format

    try:
        fmt = detect_format(args.input, args.format)
        return load_pairs(
            args.input,
            fmt,
            title_field=args.title_field,
            text_field=args.text_field,
            label_field=args.label_field,
            max_pairs=max_pairs,
            seed=getattr(args, "seed", 0),
            max_record_bytes=args.max_record_bytes,
            positive_label=args.positive_label,
            delimiter=args.delimiter,
        )
    except (ValueError, InputError) as exc:
        fail(str(exc))


def os_error_line(exc: OSError) -> str:
    """One line for an OS error that reached the top: what failed, on which file."""
    where = exc.filename if exc.filename is not None else "standard output"
    return f"{where}: {exc.strerror or exc}"


def silence_stdout() -> None:
    """Point standard output at /dev/null: after a failed write to it (a full disk, a closed
    pipe) the interpreter's own flush at exit would fail again with a traceback."""
    with contextlib.suppress(OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
