"""`python -m headcheck` runs the command-line tool."""

import sys

from headcheck.cli.main import main

sys.exit(main())
