"""``headcheck scan``: check a file, write one result row per input row."""

from __future__ import annotations

import argparse
import sys

from headcheck.cli.common import (
    EXIT_GATE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    detector_from,
    fail,
    progress_bar,
)


def command(args: argparse.Namespace) -> int:
    from headcheck.embed.resolve import ModelError, resolve_model
    from headcheck.io.formats import InputError, detect_format
    from headcheck.io.writers import can_resume
    from headcheck.run.scan import scan_file
    from headcheck.run.settings import ScanOptions, default_workers

    try:
        input_format = detect_format(args.input, args.format)
        if args.output_format is not None or args.output == "-":
            output_format = args.output_format or (
                "jsonl" if input_format == "parquet" else input_format
            )
        else:
            output_format = detect_format(args.output, option="--output-format")
        detector = detector_from(args)
        options = ScanOptions(
            title_field=args.title_field,
            text_field=args.text_field,
            id_field=args.id_field,
            only_flagged=args.only_flagged,
            on_error=args.on_error,
            workers=args.workers or default_workers(detector.backend, context=not args.no_context),
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
        fail(str(exc))
    progress, close_bar, meter = progress_bar(
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
        fail(str(exc))
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
