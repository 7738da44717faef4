"""headcheck's errors: one base class, so a caller can catch every mistake headcheck reports
(each message says what to do) apart from its own bugs."""

from __future__ import annotations

import os


class HeadcheckError(Exception):
    """Base of the errors headcheck raises for bad input, options, models and files."""


class ConfigurationError(HeadcheckError, ValueError):
    """A setting of a front end (Scrapy, datatrove, Spark) that cannot be used: raised when
    the front end starts, so it never runs with the check silently off."""


def check_front_end(
    where: str,
    model: str | os.PathLike[str] | None = None,
    calibration: str | os.PathLike[str] | None = None,
) -> None:
    """Raise ConfigurationError (naming ``where``) unless ``model`` can be found and
    ``calibration``, when given, is a valid file: what a front end that loads the model
    later, on its workers, checks when it is built."""
    from headcheck.calibration import Calibration, CalibrationError
    from headcheck.model import ModelError, resolve_model

    try:
        resolve_model(None if model is None else os.fspath(model))
        if calibration is not None:
            Calibration.load(calibration)
    except (ModelError, CalibrationError) as exc:
        raise ConfigurationError(f"{where}: {exc}") from exc
