"""headcheck: catch scraped articles whose headline does not belong to their body."""

from headcheck.detector import Detector
from headcheck.frame import check_frame
from headcheck.model import ModelError
from headcheck.result import REASONS, CheckResult

__version__ = "0.1.0"
__all__ = ["REASONS", "CheckResult", "Detector", "ModelError", "__version__", "check_frame"]
