"""The `headcheck` command line: parser, commands and what they share (see
:mod:`headcheck.cli.main`)."""
