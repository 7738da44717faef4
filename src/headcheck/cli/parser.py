"""The command line's grammar: ``headcheck scan | calibrate | evaluate | report``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from headcheck.cli.arguments import (
    corpus_arguments,
    count,
    decision_arguments,
    positive,
    positive_label_argument,
    rate,
)


def build_parser() -> argparse.ArgumentParser:
    from headcheck.decide.threshold import DEFAULT_THRESHOLD
    from headcheck.io.formats import FORMATS
    from headcheck.run.settings import ON_ERROR
    from headcheck.version import __version__

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
    corpus_arguments(scan, FORMATS)
    scan.add_argument(
        "-o", "--output", default="-", help="where to write the results (default: standard output)"
    )
    scan.add_argument(
        "--output-format",
        choices=FORMATS,
        default=None,
        help="output format (default: from OUTPUT's extension, else the input's; "
        "jsonl when that is parquet and OUTPUT is standard output)",
    )
    scan.add_argument(
        "--id-field",
        default=None,
        help="write only this field and the result fields, to join back on",
    )
    scan.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="flag pairs whose similarity is below this instead of deciding with headcheck's "
        f"shipped decision (e.g. {DEFAULT_THRESHOLD})",
    )
    scan.add_argument("--only-flagged", action="store_true", help="write flagged rows only")
    scan.add_argument(
        "--max-mismatch-rate",
        type=rate,
        default=None,
        metavar="R",
        help="exit 1 when more than this share of rows is flagged",
    )
    scan.add_argument(
        "--max-mismatches",
        type=count,
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
        "--allow-download",
        action="store_true",
        help="let --model be a Hugging Face hub name (the only network use)",
    )
    scan.add_argument("--device", default=None, help="torch device, e.g. cpu or cuda")
    scan.add_argument(
        "--calibration",
        default=None,
        metavar="FILE",
        help="a calibration file from `headcheck calibrate`: decides instead of "
        "--threshold, and adds headline_mismatch_probability",
    )
    scan.add_argument(
        "--no-cascade",
        action="store_true",
        help="score every pair with the model, even where the calibration's cheap stage "
        "would decide it",
    )
    scan.add_argument(
        "--workers",
        type=positive,
        default=None,
        help="processes checking in parallel, one CPU thread each (default: with the onnx "
        "backend and the corpus decision, this process alone, its transformer running texts "
        "side by side on every CPU; otherwise the CPUs this process may use; an input of one "
        "block, 20,000 rows, is checked in this process)",
    )
    scan.add_argument(
        "--resume",
        action="store_true",
        help="continue a run that was killed or interrupted, from the partial output it "
        "left (plain JSONL or CSV OUTPUT, same INPUT and options); starts afresh when "
        "there is none",
    )
    scan.add_argument("--no-progress", action="store_true", help="no progress bar")
    scan.add_argument("-q", "--quiet", action="store_true", help="no summary line")

    calibrate = commands.add_parser(
        "calibrate",
        help="adapt headcheck's shipped decision to a corpus (labels optional)",
        description="Read INPUT as scan does and adapt headcheck's shipped decision to it: "
        "without labels, fit the cheap stage on its pairs and record the share it flags; with "
        "--label-field, choose thresholds that flag --target-fpr of its genuine pairs. A "
        "corpus of fewer than 200 usable pairs keeps the shipped decision. Writes JSON.",
    )
    corpus_arguments(calibrate, FORMATS)
    calibrate.add_argument("-o", "--output", required=True, help="calibration file to write")
    calibrate.add_argument(
        "--label-field",
        default=None,
        help="fit on labels in this field (1/true/mismatch = mismatch)",
    )
    positive_label_argument(calibrate)
    calibrate.add_argument(
        "--target-fpr",
        type=rate,
        default=0.01,
        help="false-flag rate to allow on genuine pairs, with --label-field (default 0.01)",
    )
    calibrate.add_argument(
        "--max-pairs",
        type=positive,
        default=20_000,
        help="fit on a fixed-seed sample of this many records (default 20000)",
    )
    calibrate.add_argument("--seed", type=count, default=0, help="seed of the --max-pairs sample")

    evaluate = commands.add_parser(
        "evaluate",
        help="measure the detector on labelled pairs",
        description="Score INPUT and compare with its labels: ROC-AUC, average precision, "
        "accuracy and F1 at the decision, recall at 0.1%%, 1%% and 5%% false flags, "
        "false flags by headline length, and counts by reason.",
    )
    corpus_arguments(evaluate, FORMATS)
    evaluate.add_argument(
        "--label-field", required=True, help="field holding the label (1/true/mismatch = mismatch)"
    )
    positive_label_argument(evaluate)
    evaluate.add_argument(
        "--calibration",
        default=None,
        metavar="FILE",
        help="evaluate the calibrated decision of this file",
    )
    evaluate.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="evaluate a plain similarity threshold instead of the shipped decision "
        f"(e.g. {DEFAULT_THRESHOLD})",
    )
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    _report_parser(commands, FORMATS, DEFAULT_THRESHOLD)
    return parser


def _report_parser(commands: Any, formats: Sequence[str], threshold: float) -> None:
    from headcheck.report.options import REPORT_FORMATS

    report = commands.add_parser(
        "report",
        help="write an HTML or Markdown report on a file: distribution, flags, reasons",
        description="Report on INPUT, a file from `headcheck scan` (its decisions are kept) "
        "or a raw file (scored now): totals, the similarity histogram against re-paired "
        "headlines, flagged rates by reason, group and headline length, the most confident "
        "and the borderline flags, and with --label-field ROC, precision-recall and "
        "calibration curves. HTML is one self-contained file; Markdown (for a CI job "
        "summary) has tables only, unless --plot-dir writes the plots beside it.",
    )
    corpus_arguments(report, formats)
    report.add_argument(
        "-o", "--output", default="-", help="report file to write (default: standard output)"
    )
    report.add_argument(
        "--output-format",
        choices=REPORT_FORMATS,
        default=None,
        help="html or markdown (default: markdown for a .md OUTPUT, else html)",
    )
    decision_arguments(report, threshold)
    report.add_argument(
        "--label-field",
        default=None,
        help="field holding labels (1/true/mismatch = mismatch): adds ROC, precision-recall "
        "and calibration curves",
    )
    positive_label_argument(report)
    report.add_argument(
        "--group-field", default=None, help="break the flagged rate down by this field, e.g. domain"
    )
    report.add_argument(
        "--examples",
        type=count,
        default=10,
        metavar="N",
        help="most confident and borderline flags shown (default 10 each)",
    )
    report.add_argument(
        "--max-pairs",
        type=positive,
        default=20_000,
        help="re-pair a fixed-seed sample of this many pairs for the histogram (default 20000)",
    )
    report.add_argument("--seed", type=count, default=0, help="seed of the --max-pairs sample")
    report.add_argument(
        "--plot-dir",
        default=None,
        metavar="DIR",
        help="also write every plot as a PNG file here (Markdown then links them)",
    )
    report.add_argument("--no-progress", action="store_true", help="no progress bar")
    report.add_argument("-q", "--quiet", action="store_true", help="no summary line")
