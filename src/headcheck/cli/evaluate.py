"""``headcheck evaluate``: score the decision on a labelled file."""

from __future__ import annotations

import argparse

from headcheck.cli.common import EXIT_OK, detector_from, fail, load_corpus


def command(args: argparse.Namespace) -> int:
    import json

    from headcheck.calibrate.evaluate import evaluate
    from headcheck.embed.resolve import ModelError

    pairs, labels, headlines = load_corpus(args)
    try:
        detector = detector_from(args)
        report = evaluate(list(detector.check_many(pairs)), labels, headlines)
    except (ModelError, ValueError) as exc:
        fail(str(exc))
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
