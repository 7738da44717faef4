"""``headcheck.datatrove``: the path users write in their settings and imports. The code
is in :mod:`headcheck.integrations.datatrove`."""

from headcheck.integrations.datatrove import HeadlineFilter

__all__ = ["HeadlineFilter"]
