"""The decision a detector is given, read and checked against the backend it runs on."""

from __future__ import annotations

import os

from headcheck.calibrate.calibration import DEFAULT, Calibration, default_calibration
from headcheck.embed.resolve import Backend, check_backend


def resolve_calibration(
    calibration: Calibration | str | os.PathLike[str] | None,
    *,
    backend: str | None,
    threshold: float | None,
) -> tuple[Calibration | None, Backend, str]:
    """The calibration to decide with (None: the plain threshold), the backend, and how to
    name the calibration in a message. ``calibration`` is a Calibration, the path of its file,
    DEFAULT (the shipped decision, unless a ``threshold`` is asked for) or None; an unsaid
    ``backend`` is the calibration's. ValueError when the calibration was fitted on another
    backend than the one asked for."""
    if calibration == DEFAULT and threshold is not None:
        calibration = None  # a threshold asked for decides instead of the shipped default
    source = "the calibration"
    if calibration is not None and calibration != DEFAULT:
        if not isinstance(calibration, Calibration):
            source = f"the calibration {os.fspath(calibration)}"
            calibration = Calibration.load(calibration)
        if backend is None:  # unsaid, the backend is the one the calibration was fitted on
            backend = check_backend(calibration.backend)
    checked = check_backend(backend)
    if calibration == DEFAULT:
        calibration = default_calibration(checked)
    if calibration is not None and not isinstance(calibration, Calibration):
        raise TypeError(f"not a calibration: {calibration!r}")  # pragma: no cover
    if calibration is not None and calibration.backend != checked:
        raise ValueError(
            f"the calibration was fitted with backend={calibration.backend!r}, not "
            f"{checked!r}: the backends' similarities differ slightly, so calibrate "
            f"again with backend {checked!r} (CLI: --backend {checked})"
        )
    return calibration, checked, source
