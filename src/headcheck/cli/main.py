"""The `headcheck` command: a thin shell that parses arguments and calls the library.

Only this package prints or exits. Exit codes: 0 ok, 1 a --max-mismatch-rate or
--max-mismatches gate was exceeded, 2 bad usage or unreadable input.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from headcheck.cli import calibrate, evaluate, report, scan
from headcheck.cli.common import EXIT_OK, EXIT_USAGE, os_error_line, silence_stdout
from headcheck.cli.parser import build_parser


def main(argv: Sequence[str] | None = None) -> int:
    from headcheck.errors import HeadcheckError

    logging.basicConfig(level=logging.WARNING, format="headcheck: %(levelname)s: %(message)s")
    args = build_parser().parse_args(argv)
    commands = {
        "scan": scan.command,
        "calibrate": calibrate.command,
        "evaluate": evaluate.command,
        "report": report.command,
    }
    try:
        return commands[args.command](args)
    except BrokenPipeError:
        silence_stdout()  # the reader of our output went away (e.g. `| head`): not an error
        return EXIT_OK
    except HeadcheckError as exc:
        # A mistake headcheck reports (an input or output, a model, a calibration, an option,
        # a worker that could not load the model) that a command did not catch itself: one
        # line and exit 2, never a traceback.
        print(f"headcheck: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        # A full disk, a read-only folder, a device that fails: exit 2, never the gate's 1.
        silence_stdout()
        print(f"headcheck: error: {os_error_line(exc)}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
