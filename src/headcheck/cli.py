"""The `headcheck` command: a thin shell that parses arguments and calls the library.

Only this module prints or exits. Exit codes: 0 ok, 1 a --max-mismatch-rate or
--max-mismatches gate was exceeded, 2 bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

EXIT_OK, EXIT_GATE, EXIT_USAGE = 0, 1, 2
#: Exit status after Ctrl-C, as shells report a process ended by SIGINT.
EXIT_INTERRUPTED = 130


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


def _whole(text: str, least: int) -> int:
    """A whole number >= ``least``; one message for every bad value ("0", "-1", "abc")."""
    try:
        value = int(text)
    except ValueError:
        value = least - 1
    if value < least:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {least}, got {text!r}")
    return value


def _delimiter(text: str) -> str:
    from headcheck.io.csvfile import check_delimiter

    if text in ("\\t", "tab", "TAB"):
        return "\t"
    try:
        return check_delimiter(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_label_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--positive-label",
        default=None,
        metavar="VALUE",
        help="the --label-field value that marks a mismatch, for labels other than "
        "0/1, true/false, yes/no or genuine/mismatch (every other value is genuine), "
        "e.g. --positive-label unrelated",
    )


def _count(text: str) -> int:
    return _whole(text, 0)


def _positive(text: str) -> int:
    return _whole(text, 1)


def build_parser() -> argparse.ArgumentParser:
    from headcheck.decide.threshold import DEFAULT_THRESHOLD
    from headcheck.io.formats import FORMATS
    from headcheck.run.scan import ON_ERROR
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
    _corpus_arguments(scan, FORMATS)
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
        type=_positive,
        default=None,
        help="processes checking in parallel, one CPU thread each (default: the CPUs this "
        "process may use; an input of one block, 20,000 rows, is checked in this process)",
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
    _corpus_arguments(calibrate, FORMATS)
    calibrate.add_argument("-o", "--output", required=True, help="calibration file to write")
    calibrate.add_argument(
        "--label-field",
        default=None,
        help="fit on labels in this field (1/true/mismatch = mismatch)",
    )
    _positive_label_argument(calibrate)
    calibrate.add_argument(
        "--target-fpr",
        type=_rate,
        default=0.01,
        help="false-flag rate to allow on genuine pairs, with --label-field (default 0.01)",
    )
    calibrate.add_argument(
        "--max-pairs",
        type=_positive,
        default=20_000,
        help="fit on a fixed-seed sample of this many records (default 20000)",
    )
    calibrate.add_argument("--seed", type=_count, default=0, help="seed of the --max-pairs sample")

    evaluate = commands.add_parser(
        "evaluate",
        help="measure the detector on labelled pairs",
        description="Score INPUT and compare with its labels: ROC-AUC, average precision, "
        "accuracy and F1 at the decision, recall at 0.1%%, 1%% and 5%% false flags, "
        "false flags by headline length, and counts by reason.",
    )
    _corpus_arguments(evaluate, FORMATS)
    evaluate.add_argument(
        "--label-field", required=True, help="field holding the label (1/true/mismatch = mismatch)"
    )
    _positive_label_argument(evaluate)
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
    from headcheck.report.build import REPORT_FORMATS

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
    _corpus_arguments(report, formats)
    report.add_argument(
        "-o", "--output", default="-", help="report file to write (default: standard output)"
    )
    report.add_argument(
        "--output-format",
        choices=REPORT_FORMATS,
        default=None,
        help="html or markdown (default: markdown for a .md OUTPUT, else html)",
    )
    _decision_arguments(report, threshold)
    report.add_argument(
        "--label-field",
        default=None,
        help="field holding labels (1/true/mismatch = mismatch): adds ROC, precision-recall "
        "and calibration curves",
    )
    _positive_label_argument(report)
    report.add_argument(
        "--group-field", default=None, help="break the flagged rate down by this field, e.g. domain"
    )
    report.add_argument(
        "--examples",
        type=_count,
        default=10,
        metavar="N",
        help="most confident and borderline flags shown (default 10 each)",
    )
    report.add_argument(
        "--max-pairs",
        type=_positive,
        default=20_000,
        help="re-pair a fixed-seed sample of this many pairs for the histogram (default 20000)",
    )
    report.add_argument("--seed", type=_count, default=0, help="seed of the --max-pairs sample")
    report.add_argument(
        "--plot-dir",
        default=None,
        metavar="DIR",
        help="also write every plot as a PNG file here (Markdown then links them)",
    )
    report.add_argument("--no-progress", action="store_true", help="no progress bar")
    report.add_argument("-q", "--quiet", action="store_true", help="no summary line")


def _decision_arguments(parser: argparse.ArgumentParser, threshold: float) -> None:
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


def _corpus_arguments(parser: argparse.ArgumentParser, formats: Sequence[str]) -> None:
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
        type=_positive,
        default=MAX_RECORD_BYTES,
        metavar="N",
        help="longest record read, a JSONL line or a CSV record with all its fields "
        f"(default: {MAX_RECORD_BYTES:,}, 64 MiB); a longer one is an unreadable record, read "
        "past with bounded memory",
    )
    parser.add_argument(
        "--delimiter",
        type=_delimiter,
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
    parser.add_argument("--batch-size", type=_positive, default=64, help="pairs scored together")
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


def _available_cpus() -> int:
    """The CPUs this process may run on (its affinity, where the platform tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _options(args: argparse.Namespace, **overrides: Any) -> Any:
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


def _detector(args: argparse.Namespace, **overrides: Any) -> Any:
    """The Detector that a command's model and decision arguments describe."""
    from headcheck.detector import Detector

    options = _options(args, **overrides)
    detector = Detector.from_options(options)
    if options.calibration is not None:
        # A calibration file refused by the clear-pair check stops here, before any output
        # is written: CalibrationError, a ValueError.
        detector.check_decision()
    return detector


def _fail(message: str) -> NoReturn:
    print(f"headcheck: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE)


def _progress_bar(
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
    rows = _parquet_rows(source) if input_format == "parquet" else None
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


def _parquet_rows(source: str) -> int | None:
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


def _scan(args: argparse.Namespace) -> int:
    from headcheck.embed.resolve import ModelError, resolve_model
    from headcheck.io.formats import InputError, detect_format
    from headcheck.io.writers import can_resume
    from headcheck.run.scan import ScanOptions, scan_file

    try:
        input_format = detect_format(args.input, args.format)
        if args.output_format is not None or args.output == "-":
            output_format = args.output_format or (
                "jsonl" if input_format == "parquet" else input_format
            )
        else:
            output_format = detect_format(args.output, option="--output-format")
        detector = _detector(args)
        options = ScanOptions(
            title_field=args.title_field,
            text_field=args.text_field,
            id_field=args.id_field,
            only_flagged=args.only_flagged,
            on_error=args.on_error,
            workers=args.workers or _available_cpus(),
            max_record_bytes=args.max_record_bytes,
            delimiter=args.delimiter,
        )
        # The model loads before the output is opened, so a bad model leaves no empty file
        # (with workers, each loads its own: here only its files are checked).
        if options.workers == 1:
            detector.encoder  # noqa: B018 - loads it
        else:
            resolve_model(args.model, allow_download=args.allow_download)
    except (ValueError, ModelError) as exc:  # CalibrationError is a ValueError
        _fail(str(exc))
    progress, close_bar, meter = _progress_bar(
        not args.no_progress and sys.stderr.isatty(), args.input, input_format
    )
    try:
        stats = scan_file(
            args.input,
            args.output,
            detector=detector,
            options=options,
            input_format=input_format,
            output_format=output_format,
            progress=progress,
            resume=args.resume,
            meter=meter,
        )
    except InputError as exc:
        close_bar()
        _fail(str(exc))
    except KeyboardInterrupt:
        close_bar()
        hint = "; rerun with --resume to continue" if can_resume(args.output, output_format) else ""
        print(f"headcheck: interrupted{hint}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): not an error of ours.
        sys.stderr.close()
        return EXIT_OK
    close_bar()
    if stats.checked == 0:
        where = "standard input" if args.input == "-" else args.input
        print(
            f"headcheck: warning: {where} holds no records (an empty file, or only blank "
            "lines?); nothing was checked",
            file=sys.stderr,
        )
    if not args.quiet:
        if stats.resumed:
            print(f"headcheck: resumed after {stats.resumed} rows", file=sys.stderr)
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


def _load_corpus(args: argparse.Namespace, *, max_pairs: int | None = None) -> tuple[Any, ...]:
    from headcheck.calibrate.corpus import load_pairs
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
        _fail(str(exc))


def _calibrate(args: argparse.Namespace) -> int:
    from headcheck.calibrate.calibration import CalibrationError
    from headcheck.calibrate.corpus import calibrate
    from headcheck.embed.resolve import ModelError
    from headcheck.io.formats import InputError, check_not_input

    try:
        check_not_input(args.input, args.output)
    except InputError as exc:
        _fail(str(exc))
    pairs, labels, _ = _load_corpus(args, max_pairs=args.max_pairs)
    if not pairs:
        print(f"headcheck: warning: {args.input} holds no records", file=sys.stderr)
    try:
        detector = _detector(args)
        calibration = calibrate(
            pairs,
            detector=detector,
            labels=labels,
            target=args.target_fpr,
            seed=args.seed,
            context=not args.no_context,
        )
        calibration.save(args.output)
    except (ModelError, CalibrationError, ValueError, OSError) as exc:
        _fail(str(exc))
    if calibration.mode == "default":
        from headcheck.calibrate.corpus import MIN_CALIBRATION_PAIRS

        print(
            f"headcheck: fewer than {MIN_CALIBRATION_PAIRS} usable pairs (with distinct "
            f"bodies) in {args.input}: too few to adapt to; wrote headcheck's shipped decision "
            f"unchanged to {args.output}",
            file=sys.stderr,
        )
        return EXIT_OK
    print(
        f"headcheck: calibrated on {calibration.corpus_size} pairs ({calibration.mode}); "
        f"thresholds {calibration.short_threshold:.3f} (headlines of 5 words or fewer) and "
        f"{calibration.long_threshold:.3f}; "
        + (
            f"flags {calibration.estimated_mismatch_rate:.1%} of it; "
            if calibration.mode == "self"
            else f"labelled mismatches {calibration.estimated_mismatch_rate:.1%}; "
        )
        + (
            "no context decision; "
            if calibration.context is None
            else f"context decision thresholds {calibration.context.short_threshold:.3f} and "
            f"{calibration.context.long_threshold:.3f}; "
        )
        + f"wrote {args.output}",
        file=sys.stderr,
    )
    return EXIT_OK


def _evaluate(args: argparse.Namespace) -> int:
    import json

    from headcheck.calibrate.corpus import evaluate
    from headcheck.embed.resolve import ModelError

    pairs, labels, headlines = _load_corpus(args)
    try:
        detector = _detector(args)
        report = evaluate(list(detector.check_many(pairs)), labels, headlines)
    except (ModelError, ValueError) as exc:
        _fail(str(exc))
    if args.json:
        print(json.dumps(report, indent=2))
        return EXIT_OK
    for key, value in report.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for inner, item in value.items():
                print(f"  {inner}: {item}")
        else:
            print(f"{key}: {value}")
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from headcheck.embed.resolve import ModelError
    from headcheck.io.formats import InputError, detect_format
    from headcheck.report.build import ReportOptions, report_format
    from headcheck.report.write import write_report

    try:
        input_format = detect_format(args.input, args.format)
        output_format = report_format(args.output, args.output_format)
        options = ReportOptions(
            title_field=args.title_field,
            text_field=args.text_field,
            label_field=args.label_field,
            group_field=args.group_field,
            examples=args.examples,
            max_pairs=args.max_pairs,
            seed=args.seed,
            max_record_bytes=args.max_record_bytes,
            positive_label=args.positive_label,
            delimiter=args.delimiter,
        )
        # The report shows the model's own similarities, so a calibration's cheap first stage
        # (which predicts them) is left out: cascade=False.
        detector = _detector(args, cascade=False)
    except (ValueError, ModelError) as exc:  # CalibrationError is a ValueError
        _fail(str(exc))
    progress, close_bar, meter = _progress_bar(
        not args.no_progress and sys.stderr.isatty(), args.input, input_format
    )
    try:
        report = write_report(
            args.input,
            args.output,
            detector=detector,
            options=options,
            input_format=input_format,
            output_format=output_format,
            plot_dir=args.plot_dir,
            progress=progress,
            meter=meter,
        )
    except (InputError, ModelError, ImportError, ValueError, OSError) as exc:
        close_bar()
        _fail(str(exc))
    close_bar()
    if not args.quiet:
        summary = report.summary
        where = "standard output" if args.output == "-" else args.output
        print(
            f"headcheck: report on {summary.articles} articles, flagged {summary.flagged} "
            f"({summary.flagged_rate:.1%}), written to {where}",
            file=sys.stderr,
        )
    return EXIT_OK


def _os_error(exc: OSError) -> str:
    """One line for an OS error that reached the top: what failed, on which file."""
    where = exc.filename if exc.filename is not None else "standard output"
    return f"{where}: {exc.strerror or exc}"


def _silence_stdout() -> None:
    """Point standard output at /dev/null: after a failed write to it (a full disk, a closed
    pipe) the interpreter's own flush at exit would fail again with a traceback."""
    with contextlib.suppress(OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


def main(argv: Sequence[str] | None = None) -> int:
    from headcheck.errors import HeadcheckError

    logging.basicConfig(level=logging.WARNING, format="headcheck: %(levelname)s: %(message)s")
    args = build_parser().parse_args(argv)
    commands = {"scan": _scan, "calibrate": _calibrate, "evaluate": _evaluate, "report": _report}
    try:
        return commands[args.command](args)
    except BrokenPipeError:
        _silence_stdout()  # the reader of our output went away (e.g. `| head`): not an error
        return EXIT_OK
    except HeadcheckError as exc:
        # A mistake headcheck reports (an input or output, a model, a calibration, an option,
        # a worker that could not load the model) that a command did not catch itself: one
        # line and exit 2, never a traceback.
        print(f"headcheck: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        # A full disk, a read-only folder, a device that fails: exit 2, never the gate's 1.
        _silence_stdout()
        print(f"headcheck: error: {_os_error(exc)}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
