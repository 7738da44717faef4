"""The options every front end takes: one frozen dataclass with the same names, defaults and
checks in the Python API, the CLI, the Scrapy settings, datatrove and Spark.

========================  ==========  ======================  ==================================
option                    default     CLI                     Scrapy setting
========================  ==========  ======================  ==================================
``title_field``           "title"     ``--title-field``       ``HEADCHECK_TITLE_FIELD``
``text_field``            "text"      ``--text-field``        ``HEADCHECK_TEXT_FIELD``
``model``                 None        ``--model``             ``HEADCHECK_MODEL``
``backend``               None        ``--backend``           ``HEADCHECK_BACKEND``
``calibration``           None        ``--calibration``       ``HEADCHECK_CALIBRATION``
``threshold``             None        ``--threshold``         ``HEADCHECK_THRESHOLD``
``batch_size``            64          ``--batch-size``        ``HEADCHECK_BATCH_SIZE``
``device``                None        ``--device``            ``HEADCHECK_DEVICE``
``allow_download``        False       ``--allow-download``    ``HEADCHECK_ALLOW_DOWNLOAD``
``cascade``               True        ``--no-cascade``        ``HEADCHECK_CASCADE``
``context``               True        ``--no-context``        ``HEADCHECK_CONTEXT``
========================  ==========  ======================  ==================================

``model`` None is the packaged all-MiniLM-L6-v2; ``backend`` None is the calibration's, else
onnx where onnxruntime is installed, else torch; ``calibration`` None is headcheck's shipped
decision, and ``threshold`` (a similarity in [-1, 1]) decides instead of it. datatrove's
``HeadlineFilter``, pandas' ``check_frame`` and Spark's ``add_headcheck_columns`` take the
same keywords (or ``options=Options(...)``).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from headcheck.embed.resolve import BACKENDS
from headcheck.errors import ConfigurationError

if TYPE_CHECKING:
    from headcheck.calibrate.calibration import Calibration

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Options:
    """What to check and how to decide; see the module's table. A bad value raises
    :class:`~headcheck.errors.ConfigurationError` (a ``ValueError``) naming the option."""

    title_field: str = "title"
    text_field: str = "text"
    model: str | None = None
    backend: str | None = None
    calibration: str | Calibration | None = None
    threshold: float | None = None
    batch_size: int = 64
    device: str | None = None
    allow_download: bool = False
    cascade: bool = True
    context: bool = True

    def __post_init__(self) -> None:
        for name in ("title_field", "text_field"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ConfigurationError(f"{name} must be a field name, got {value!r}")
        for name in ("model", "device"):
            value = getattr(self, name)
            if isinstance(value, os.PathLike):
                object.__setattr__(self, name, os.fspath(value))
            elif value is not None and (not isinstance(value, str) or not value):
                raise ConfigurationError(
                    f"{name} must be a non-empty string or None, got {value!r}"
                )
        if self.backend is not None and self.backend not in BACKENDS:
            raise ConfigurationError(
                f"backend must be one of {', '.join(BACKENDS)} (or None: the calibration's, "
                f"else onnx where it is installed), got {self.backend!r}"
            )
        if isinstance(self.calibration, os.PathLike):
            object.__setattr__(self, "calibration", os.fspath(self.calibration))
        if isinstance(self.calibration, str) and not self.calibration:
            raise ConfigurationError("calibration must be a file path or None, got ''")
        if self.threshold is not None:
            value = self.threshold
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or math.isnan(value)
                or not -1.0 <= value <= 1.0
            ):
                raise ConfigurationError(
                    f"threshold must be a number in [-1, 1] (or None: the shipped decision), "
                    f"got {value!r}"
                )
            object.__setattr__(self, "threshold", float(value))
        if self.threshold is not None and self.calibration is not None:
            raise ConfigurationError(
                "give a calibration or a threshold, not both: each makes the decision"
            )
        value = self.batch_size
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigurationError(f"batch_size must be a whole number >= 1, got {value!r}")
        for name in ("allow_download", "cascade", "context"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigurationError(
                    f"{name} must be True or False, got {getattr(self, name)!r}"
                )

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def build(cls, where: str, options: Options | None = None, **given: Any) -> Options:
        """``options`` with ``given`` keywords applied (a front end's own keywords); an
        unknown keyword raises ConfigurationError naming ``where`` and the valid ones."""
        unknown = sorted(set(given) - set(cls.names()))
        if unknown:
            raise ConfigurationError(
                f"{where}: unknown option(s) {', '.join(unknown)}; headcheck's options are "
                f"{', '.join(cls.names())}"
            )
        try:
            return replace(options or cls(), **given)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{where}: {exc}") from exc

    @classmethod
    def from_settings(cls, get: Any, prefix: str = "HEADCHECK_") -> Options:
        """Options from settings named ``prefix`` + the option in capitals, read with ``get``
        (``get(name)`` gives the raw value or None when unset), as Scrapy's settings hold
        them: strings given on the command line are converted; a bad one raises
        ConfigurationError naming the setting."""
        given: dict[str, Any] = {}
        for spec in fields(cls):
            setting = f"{prefix}{spec.name.upper()}"
            raw = get(setting)
            if raw is None:
                continue
            try:
                given[spec.name] = _convert(spec.name, spec.default, raw)
            except ValueError as exc:
                raise ConfigurationError(f"{setting}: {exc}") from None
        try:
            return cls(**given)
        except ConfigurationError as exc:
            name = str(exc).split(" ", 1)[0]
            setting = f"{prefix}{name.upper()}" if name in cls.names() else "HEADCHECK_ settings"
            raise ConfigurationError(f"{setting}: {exc}") from None

    def missing_column(self, columns: list[Any], where: str) -> str | None:
        """What to tell the user when the title or text field is not among a frame's
        ``columns`` (``where``: "the frame", "the DataFrame"), closest names first; None when
        both are there."""
        from headcheck.io.fields import closest_first

        for option in ("title_field", "text_field"):
            column = getattr(self, option)
            if column not in columns:
                have = closest_first(str(column), [str(c) for c in columns])
                return (
                    f"no column {column!r} ({option}) in {where}, which has "
                    f"{', '.join(map(repr, have)) or 'no columns'}; name it with {option}="
                )
        return None

    def detector_options(self) -> dict[str, Any]:
        """The keyword arguments of :class:`~headcheck.Detector` these options give (see
        :meth:`~headcheck.Detector.from_options`)."""
        options = {
            name: getattr(self, name)
            for name in (
                "model",
                "backend",
                "batch_size",
                "device",
                "allow_download",
                "cascade",
                "context",
            )
        }
        # Unset, threshold and calibration leave the Detector's default, the shipped decision.
        if self.threshold is not None:
            options["threshold"] = self.threshold
        if self.calibration is not None:
            options["calibration"] = self.calibration
        return options

    def check(self, where: str) -> None:
        """Fail closed, before any work: raise ConfigurationError (naming ``where``) unless the
        model can be found, the calibration file is valid and fits the backend. What a front
        end that loads the model later, on its workers, runs when it is built."""
        from headcheck.calibrate.calibration import Calibration
        from headcheck.embed.resolve import ModelError, check_backend, resolve_model
        from headcheck.errors import CalibrationError

        try:
            resolve_model(self.model, allow_download=self.allow_download)
            if self.calibration is None:
                return
            calibration = (
                self.calibration
                if isinstance(self.calibration, Calibration)
                else Calibration.load(self.calibration)
            )
        except (ModelError, CalibrationError) as exc:
            raise ConfigurationError(f"{where}: {exc}") from exc
        backend = check_backend(self.backend or calibration.backend)
        if calibration.backend != backend:
            raise ConfigurationError(
                f"{where}: the calibration was fitted with backend={calibration.backend!r}, "
                f"not {backend!r}; calibrate again with that backend, or leave backend unset"
            )

    def to_dict(self) -> dict[str, Any]:
        """The options as plain values (a calibration object as its JSON's digest)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        if self.calibration is not None and not isinstance(self.calibration, str):
            values["calibration"] = f"sha256:{self.calibration.digest()}"
        return values


def _convert(name: str, default: Any, raw: Any) -> Any:
    """A setting's raw value as the option's type (strings as a command line gives them)."""
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw)
        if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
            return raw.strip().lower() in _TRUE
        raise ValueError(f"expected True or False, got {raw!r}")
    if name == "batch_size":
        if isinstance(raw, str):
            try:
                return int(raw.strip())
            except ValueError:
                raise ValueError(f"expected a whole number >= 1, got {raw!r}") from None
        return raw
    if name == "threshold":
        if isinstance(raw, str):
            if not raw.strip():
                return None
            try:
                return float(raw)
            except ValueError:
                raise ValueError(f"expected a number in [-1, 1], got {raw!r}") from None
        return raw
    if isinstance(raw, str) and not raw.strip():
        return None if default is None else raw  # an empty string setting means unset
    return raw
