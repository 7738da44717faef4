"""``headcheck report``: the corpus report of a file, as HTML or Markdown."""

from __future__ import annotations

import argparse
import sys

from headcheck.cli.common import EXIT_OK, detector_from, fail, progress_bar


def command(args: argparse.Namespace) -> int:
    from headcheck.embed.resolve import ModelError
    from headcheck.io.formats import InputError, detect_format
    from headcheck.report.options import ReportOptions, report_format
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
        detector = detector_from(args, cascade=False)
    except (ValueError, ModelError) as exc:  # CalibrationError is a ValueError
        fail(str(exc))
    progress, close_bar, meter = progress_bar(
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
        fail(str(exc))
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
