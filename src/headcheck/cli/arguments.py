"""Argument types and the argument groups that several commands take."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number between 0 and 1, got {text!r}"
        ) from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}")
    return value


def whole_number(text: str, least: int) -> int:
    """A whole number >= ``least``; one message for every bad value ("0", "-1", "abc")."""
    try:
        value = int(text)
    except ValueError:
        value = least - 1
    if value < least:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {least}, got {text!r}")
    return value


def delimiter(text: str) -> str:
    from headcheck.io.csvfile import check_delimiter

    if text in ("\\t", "tab", "TAB"):
        return "\t"
    try:
        return check_delimiter(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_label_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--positive-label",
        default=None,
        metavar="VALUE",
        help="the --label-field value that marks a mismatch, for labels other than "
        "0/1, true/false, yes/no or genuine/mismatch (every other value is genuine), "
        "e.g. --positive-label unrelated",
    )


def count(text: str) -> int:
    return whole_number(text, 0)


def positive(text: str) -> int:
    return whole_number(text, 1)


def decision_arguments(parser: argparse.ArgumentParser, threshold: float) -> None:
    """How pairs are decided, and where the model runs: for commands that score."""
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="flag pairs whose similarity is below this instead of deciding with headcheck's "
        f"shipped decision (e.g. {threshold})",
    )
    parser.add_argument(
        "--calibration",
        default=None,
        metavar="FILE",
        help="a calibration file from `headcheck calibrate`: decides instead of --threshold",
    )
    parser.add_argument(
        "--allow-download",
        action="store_true",
        help="let --model be a Hugging Face hub name (the only network use)",
    )
    parser.add_argument("--device", default=None, help="torch device, e.g. cpu or cuda")


def corpus_arguments(parser: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    """The input, its fields and the model: the same for every command that reads a corpus."""
    from headcheck.embed.resolve import BACKENDS
    from headcheck.io.formats import MAX_RECORD_BYTES

    parser.add_argument("input", metavar="INPUT", help="JSONL, CSV or Parquet file; - for stdin")
    parser.add_argument(
        "--format",
        choices=formats,
        default=None,
        help="input format (default: from INPUT's extension; jsonl for -)",
    )
    parser.add_argument(
        "--max-record-bytes",
        type=positive,
        default=MAX_RECORD_BYTES,
        metavar="N",
        help="longest record read, a JSONL line or a CSV record with all its fields "
        f"(default: {MAX_RECORD_BYTES:,}, 64 MiB); a longer one is an unreadable record, read "
        "past with bounded memory",
    )
    parser.add_argument(
        "--delimiter",
        type=delimiter,
        default=None,
        metavar="CHAR",
        help="CSV delimiter (default: told from the header line, of , ; tab and |)",
    )
    parser.add_argument("--title-field", default="title", help="headline field (default: title)")
    parser.add_argument("--text-field", default="text", help="body field (default: text)")
    parser.add_argument(
        "--model",
        default=None,
        help="a sentence-transformers model folder, or 'multilingual' (multilingual-e5-small "
        "for every pair; needs headcheck[multilingual]). Default: the packaged "
        "all-MiniLM-L6-v2, with bodies in other languages read by multilingual-e5-small "
        "where headcheck[multilingual] is installed",
    )
    parser.add_argument("--batch-size", type=positive, default=64, help="pairs scored together")
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default=None,
        help="run the model as an int8 ONNX export built locally on first use (the default "
        "where onnxruntime is installed; 1.7x faster on CPUs) or with torch; a calibration "
        "file is used with the backend it was fitted on",
    )
    parser.add_argument(
        "--no-context",
        action="store_true",
        help="do not read the pairs together as a corpus: calibrate keeps no context decision "
        "(it still reads the crawl as one to estimate its share of mismatches), and the other "
        "commands decide each pair on its own evidence (faster; what a calibration without "
        "one, a crawl's pipeline and the cascade do)",
    )
