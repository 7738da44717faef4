"""headcheck's errors: one base class, so a caller can catch every mistake headcheck reports
(each message says what to do) apart from its own bugs."""

from __future__ import annotations


class HeadcheckError(Exception):
    """Base of the errors headcheck raises for bad input, options, models and files."""


class ConfigurationError(HeadcheckError, ValueError):
    """A setting of a front end (Scrapy, datatrove, Spark) that cannot be used: raised when
    the front end starts, so it never runs with the check silently off."""


class CalibrationError(HeadcheckError, ValueError):
    """A calibration file that is malformed, of another model, or cannot be fitted."""
