"""headcheck: catch scraped articles whose headline does not belong to their body."""

import os as _os

# onnxruntime's official builds send telemetry over HTTPS unless this is set before it
# initialises (its Privacy.md); headcheck never sends anything anywhere, so it is set before
# anything of headcheck can import onnxruntime. A value the user set is kept.
_os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
# The hub client's own switch, for the one network use there is (--allow-download).
_os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from headcheck.detector import Detector
from headcheck.embed.resolve import ModelError
from headcheck.errors import CalibrationError, ConfigurationError, HeadcheckError
from headcheck.integrations.frame import check_frame
from headcheck.io.formats import InputError
from headcheck.options import Options
from headcheck.result import REASONS, CheckResult
from headcheck.version import __version__

__all__ = [
    "REASONS",
    "CalibrationError",
    "CheckResult",
    "ConfigurationError",
    "Detector",
    "HeadcheckError",
    "InputError",
    "ModelError",
    "Options",
    "__version__",
    "check_frame",
]
