"""The `headcheck` command: a thin shell that parses arguments and calls the library.

Only this module prints or exits. Exit codes: 0 ok, 1 a --max-mismatch-rate or
--max-mismatches gate was exceeded, 2 bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

EXIT_OK, EXIT_GATE, EXIT_USAGE = 0, 1, 2


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number between 0 and 1, got {text!r}"
        ) from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def _positive(text: str) -> int:
    value = _count(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a whole number >= 1, got 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    from headcheck import __version__
    from headcheck.decision import DEFAULT_THRESHOLD
    from headcheck.io import FORMATS
    from headcheck.scan import ON_ERROR

    parser = argparse.ArgumentParser(
        prog="headcheck",
        description="Catch scraped articles whose headline does not belong to their body.",
    )
    parser.add_argument("--version", action="version", version=f"headcheck {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    scan = commands.add_parser(
        "scan",
        help="check a JSONL, CSV or Parquet file of articles",
        description="Check every article of INPUT and write it back with the result fields "
        "(headline_similarity, is_headline_mismatch, headline_mismatch_reason, "
        "headline_evidence), one output row per input row, in order.",
    )
    scan.add_argument("input", metavar="INPUT", help="file to check; - reads standard input")
    scan.add_argument(
        "-o", "--output", default="-", help="where to write the results (default: standard output)"
    )
    scan.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="input format (default: from INPUT's extension; jsonl for -)",
    )
    scan.add_argument(
        "--output-format",
        choices=FORMATS,
        default=None,
        help="output format (default: from OUTPUT's extension, else the input's; "
        "jsonl when that is parquet and OUTPUT is standard output)",
    )
    scan.add_argument("--title-field", default="title", help="headline field (default: title)")
    scan.add_argument("--text-field", default="text", help="body field (default: text)")
    scan.add_argument(
        "--id-field",
        default=None,
        help="write only this field and the result fields, to join back on",
    )
    scan.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"flag pairs whose similarity is below this (default: {DEFAULT_THRESHOLD})",
    )
    scan.add_argument("--only-flagged", action="store_true", help="write flagged rows only")
    scan.add_argument(
        "--max-mismatch-rate",
        type=_rate,
        default=None,
        metavar="R",
        help="exit 1 when more than this share of rows is flagged",
    )
    scan.add_argument(
        "--max-mismatches",
        type=_count,
        default=None,
        metavar="N",
        help="exit 1 when more than N rows are flagged",
    )
    scan.add_argument(
        "--on-error",
        choices=ON_ERROR,
        default="fail",
        help="on an unreadable record: stop with exit 2 (fail, the default) or "
        "write an error row and go on (skip)",
    )
    scan.add_argument(
        "--model",
        default=None,
        help="a sentence-transformers model folder (default: the packaged all-MiniLM-L6-v2)",
    )
    scan.add_argument(
        "--allow-download",
        action="store_true",
        help="let --model be a Hugging Face hub name (the only network use)",
    )
    scan.add_argument("--batch-size", type=_positive, default=64, help="pairs scored together")
    scan.add_argument("--device", default=None, help="torch device, e.g. cpu or cuda")
    scan.add_argument("--no-progress", action="store_true", help="no progress bar")
    scan.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    return parser


def _fail(message: str) -> NoReturn:
    print(f"headcheck: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE)


def _progress_bar(enabled: bool) -> tuple[Callable[[int], None] | None, Callable[[], None]]:
    if not enabled:
        return None, lambda: None
    try:
        from tqdm import tqdm
    except ImportError:
        return None, lambda: None
    bar = tqdm(unit=" articles", file=sys.stderr, dynamic_ncols=True)

    def update(checked: int) -> None:
        bar.update(checked - bar.n)

    return update, bar.close


def _scan(args: argparse.Namespace) -> int:
    from headcheck.detector import Detector
    from headcheck.io import InputError, detect_format
    from headcheck.model import ModelError
    from headcheck.scan import ScanOptions, scan_file

    try:
        input_format = detect_format(args.input, args.format)
        if args.output_format is not None or args.output == "-":
            output_format = args.output_format or (
                "jsonl" if input_format == "parquet" else input_format
            )
        else:
            output_format = detect_format(args.output)
        detector = Detector(
            model=args.model,
            threshold=args.threshold,
            batch_size=args.batch_size,
            device=args.device,
            allow_download=args.allow_download,
        )
        options = ScanOptions(
            title_field=args.title_field,
            text_field=args.text_field,
            id_field=args.id_field,
            only_flagged=args.only_flagged,
            on_error=args.on_error,
        )
        # The model loads before the output is opened, so a bad model leaves no empty file.
        detector.encoder  # noqa: B018 - loads it
    except (ValueError, ModelError) as exc:
        _fail(str(exc))
    progress, close_bar = _progress_bar(not args.no_progress and sys.stderr.isatty())
    try:
        stats = scan_file(
            args.input,
            args.output,
            detector=detector,
            options=options,
            input_format=input_format,
            output_format=output_format,
            progress=progress,
        )
    except InputError as exc:
        close_bar()
        _fail(str(exc))
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): not an error of ours.
        sys.stderr.close()
        return EXIT_OK
    close_bar()
    if not args.quiet:
        print(f"headcheck: {stats.summary()}", file=sys.stderr)
    if args.max_mismatches is not None and stats.flagged > args.max_mismatches:
        print(
            f"headcheck: {stats.flagged} flagged, more than --max-mismatches {args.max_mismatches}",
            file=sys.stderr,
        )
        return EXIT_GATE
    if args.max_mismatch_rate is not None and stats.mismatch_rate > args.max_mismatch_rate:
        print(
            f"headcheck: flagged rate {stats.mismatch_rate:.2%} is above --max-mismatch-rate "
            f"{args.max_mismatch_rate:.2%}",
            file=sys.stderr,
        )
        return EXIT_GATE
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="headcheck: %(levelname)s: %(message)s")
    args = build_parser().parse_args(argv)
    if args.command == "scan":
        return _scan(args)
    raise AssertionError(f"unhandled command {args.command}")  # argparse rejects the rest


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
