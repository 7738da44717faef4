"""Pairs that cannot be scored at all: a missing or non-text field, or text with no word."""

from __future__ import annotations

import math
import re
from typing import Any

from headcheck.result import Reason

_WORD_CHARACTER = re.compile(r"[^\W_]")


def _missing(value: Any) -> bool:
    """None, a float NaN (pandas' empty cell) or pandas' NA."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return type(value).__name__ == "NAType"


def has_word(text: str) -> bool:
    """Whether ``text`` holds a letter or a digit: text without one ("&&&", "---") says
    nothing to compare."""
    return _WORD_CHARACTER.search(text) is not None


def input_problem(headline: Any, body: Any) -> Reason | None:
    """Why a raw pair cannot be scored at all, before any cleaning; None when it can."""
    if _missing(headline):
        return "missing_title"
    if not isinstance(headline, str):
        return "not_text"
    if _missing(body):
        return "missing_text"
    if not isinstance(body, str):
        return "not_text"
    return None
