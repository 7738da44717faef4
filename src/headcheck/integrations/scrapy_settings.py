"""The Scrapy pipeline's settings: headcheck's options under ``HEADCHECK_`` names, the action
on a flagged item, and the window of recent items a new one is read with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

from headcheck.calibrate.calibration import Calibration
from headcheck.errors import CalibrationError, ConfigurationError
from headcheck.options import Options

if TYPE_CHECKING:
    pass

Action = Literal["tag", "drop"]
ACTIONS: tuple[str, ...] = get_args(Action)
STATS_PREFIX = "headcheck"
#: Items kept as the corpus each batch is read against (HEADCHECK_WINDOW): a few MB of text.
DEFAULT_WINDOW = 1_000
MAX_WINDOW = 20_000


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """The ``HEADCHECK_*`` settings, checked: headcheck's options and the pipeline's own."""

    options: Options = field(default_factory=Options)
    action: Action = "tag"
    result_field: str = "headcheck"
    batch_wait: float = 0.05
    #: The last items kept as the corpus a batch is read against (0: each item alone).
    window: int = DEFAULT_WINDOW

    @classmethod
    def from_settings(cls, settings: Any) -> PipelineSettings:
        """Read and check the settings; a bad value raises ConfigurationError naming the valid
        ones (which stops the crawl: never NotConfigured, which would run it unchecked)."""
        options = Options.from_settings(settings.get)
        if isinstance(options.calibration, str):
            try:  # read now, so its error names the setting
                Calibration.load(options.calibration)
            except CalibrationError as exc:
                raise ConfigurationError(f"HEADCHECK_CALIBRATION: {exc}") from exc
        action = settings.get("HEADCHECK_ACTION", "tag")
        if action not in ACTIONS:
            raise ConfigurationError(
                f"HEADCHECK_ACTION is {action!r}; valid values: {', '.join(ACTIONS)}"
            )
        try:
            batch_wait = settings.getfloat("HEADCHECK_BATCH_WAIT", 0.05)
        except ValueError:
            batch_wait = -1.0
        if batch_wait < 0:
            raise ConfigurationError(
                "HEADCHECK_BATCH_WAIT: expected a number of seconds >= 0, got "
                f"{settings.get('HEADCHECK_BATCH_WAIT')!r}"
            )
        result_field = settings.get("HEADCHECK_RESULT_FIELD", "headcheck")
        if not isinstance(result_field, str) or not result_field:
            raise ConfigurationError(
                f"HEADCHECK_RESULT_FIELD must be a field name, got {result_field!r}"
            )
        raw_window = settings.get("HEADCHECK_WINDOW", DEFAULT_WINDOW)
        try:
            window = int(raw_window)
        except (TypeError, ValueError):
            window = -1
        if window < 0 or window > MAX_WINDOW or isinstance(raw_window, bool):
            raise ConfigurationError(
                f"HEADCHECK_WINDOW: expected a whole number of items from 0 to {MAX_WINDOW:,}, "
                f"got {raw_window!r}"
            )
        return cls(options, action, result_field, batch_wait, window)
