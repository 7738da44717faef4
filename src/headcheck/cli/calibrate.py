"""``headcheck calibrate``: adapt the decision to a corpus and write it as a file."""

from __future__ import annotations

import argparse
import sys

from headcheck.cli.common import EXIT_OK, detector_from, fail, load_corpus


def command(args: argparse.Namespace) -> int:
    from headcheck.calibrate.corpus import Calibrator
    from headcheck.embed.resolve import ModelError
    from headcheck.errors import CalibrationError
    from headcheck.io.formats import InputError, check_not_input

    try:
        check_not_input(args.input, args.output)
    except InputError as exc:
        fail(str(exc))
    pairs, labels, _ = load_corpus(args, max_pairs=args.max_pairs)
    if not pairs:
        print(f"headcheck: warning: {args.input} holds no records", file=sys.stderr)
    try:
        detector = detector_from(args)
        # --seed is kept for scripts of earlier versions: nothing in calibrating is random.
        calibrator = Calibrator(detector, target=args.target_fpr, context=not args.no_context)
        calibration = calibrator.fit(pairs, labels).calibration_
        calibration.save(args.output)
    except (ModelError, CalibrationError, ValueError, OSError) as exc:
        fail(str(exc))
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
