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
    shipped = calibration == DEFAULT and threshold is None
    source = "the calibration"
    given: Calibration | None = None
    if isinstance(calibration, Calibration):
        given = calibration
    elif calibration is not None and calibration != DEFAULT:
        source = f"the calibration {os.fspath(calibration)}"
        given = Calibration.load(calibration)
    if given is not None and backend is None:
        backend = given.backend  # unsaid, the backend is the one the calibration was fitted on
    checked = check_backend(backend)
    if shipped:
        given = default_calibration(checked)
    if given is not None and given.backend != checked:
        raise ValueError(
            f"the calibration was fitted with backend={given.backend!r}, not "
            f"{checked!r}: the backends' similarities differ slightly, so calibrate "
            f"again with backend {checked!r} (CLI: --backend {checked})"
        )
    return given, checked, source
