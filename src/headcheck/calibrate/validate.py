"""What a calibration file must hold: its JSON Schema (shipped beside this module) and the
checks of a decision's numbers that the loader runs on every file."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from headcheck.errors import CalibrationError

SCHEMA_FILE = "calibration.schema.json"


def number_field(
    data: dict[str, Any],
    key: str,
    low: float,
    high: float,
    fail: Callable[[str], Exception],
    prefix: str = "",
) -> float:
    value = data.get(key)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise fail(f"{prefix}{key} must be a number in [{low}, {high}], got {value!r}")
    return float(value)


def checked_decision(
    data: dict[str, Any], width: int, fail: Callable[[str], Exception], prefix: str = ""
) -> dict[str, Any]:
    """The fields of a logistic decision in ``data``, checked: vectors of ``width`` finite
    numbers (scales above 0), thresholds and the mismatch rate in [0, 1]."""

    def numbers(key: str, positive: bool = False) -> tuple[float, ...]:
        value = data.get(key)
        ok = (
            isinstance(value, list)
            and len(value) == width
            and all(
                isinstance(v, (int, float))
                and not isinstance(v, bool)
                and math.isfinite(v)
                and (v > 0 or not positive)
                for v in value
            )
        )
        if not ok or not isinstance(value, list):
            raise fail(
                f"{prefix}{key} must be {width} finite numbers" + (" above 0" if positive else "")
            )
        return tuple(float(v) for v in value)

    return {
        "mean": numbers("mean"),
        "scale": numbers("scale", positive=True),
        "coef": numbers("coef"),
        "intercept": number_field(data, "intercept", -1e6, 1e6, fail, prefix),
        "short_threshold": number_field(data, "short_threshold", 0.0, 1.0, fail, prefix),
        "long_threshold": number_field(data, "long_threshold", 0.0, 1.0, fail, prefix),
        "estimated_mismatch_rate": number_field(
            data, "estimated_mismatch_rate", 0.0, 1.0, fail, prefix
        ),
    }


def no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a calibration file may hold")


def schema() -> dict[str, Any]:
    """The JSON Schema of calibration files (shipped as calibration.schema.json)."""
    from importlib.resources import files

    return json.loads(
        files("headcheck.calibrate").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    )


def check_schema(data: Any, source: str) -> None:
    """Raise CalibrationError naming the first place where ``data`` breaks the schema."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is None:
        return
    where = "/".join(str(part) for part in error.absolute_path) or "the top level"
    message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    raise CalibrationError(
        f"{source}: not a valid calibration file: at {where}: {message}; recreate it with "
        "`headcheck calibrate`"
    )
