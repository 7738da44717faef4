"""``headcheck.spark``: the path users write in their settings and imports. The code
is in :mod:`headcheck.integrations.spark`."""

from headcheck.integrations.spark import add_headcheck_columns, score_partition

__all__ = ["add_headcheck_columns", "score_partition"]
