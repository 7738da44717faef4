"""headcheck's errors: one base class, so a caller can catch every mistake headcheck reports
(each message says what to do) apart from its own bugs."""

from __future__ import annotations


class HeadcheckError(Exception):
    """Base of the errors headcheck raises for bad input, options, models and files."""


class ConfigurationError(HeadcheckError, ValueError):
    """A setting of a front end (Scrapy, datatrove, Spark) that cannot be used: raised when
    the front end starts, so it never runs with the check silently off."""


def check_front_end(
    where: str, model: object = None, calibration: object = None, backend: object = None
) -> None:
    """Raise ConfigurationError (naming ``where``) unless ``model`` can be found and
    ``calibration``, when given, is a valid file that fits the backend: what a front end that
    loads the model later, on its workers, checks when it is built."""
    import os

    from headcheck.calibration import Calibration, CalibrationError
    from headcheck.model import ModelError, check_backend, resolve_model

    try:
        resolve_model(None if model is None else os.fspath(model))  # type: ignore[arg-type]
        if calibration is not None:
            loaded = Calibration.load(os.fspath(calibration))  # type: ignore[arg-type]
            chosen = check_backend(backend if backend is not None else loaded.backend)  # type: ignore[arg-type]
            if loaded.backend != chosen:
                raise CalibrationError(
                    f"the calibration was fitted with backend={loaded.backend!r}, not {chosen!r}"
                )
        elif backend is not None:
            check_backend(backend)  # type: ignore[arg-type]
    except (ModelError, CalibrationError, ValueError) as exc:
        raise ConfigurationError(f"{where}: {exc}") from exc
