"""`python -m headcheck` runs the command-line tool."""

import sys

from headcheck.cli import main

sys.exit(main())
