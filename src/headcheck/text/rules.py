"""Cheap rule checks that name scraper faults similarity alone misses or misreads: site-wide
or widget titles (``boilerplate_title``), bodies that are a cookie wall, paywall, error or
bot-check page (``boilerplate_text``), a headline in another script or language than its
body (``language_mismatch``), and a teaser in place of the story (``truncated_text``).
"""

from __future__ import annotations

from headcheck.result import Reason
from headcheck.text.boilerplate import is_boilerplate_title
from headcheck.text.language import is_language_mismatch
from headcheck.text.prepare import Prepared
from headcheck.text.teaser import is_teaser


def rule_reasons(units: Prepared) -> list[Reason]:
    """The rule-based reasons for a prepared pair, most specific first."""
    reasons: list[Reason] = []
    if is_boilerplate_title(units.headline):
        reasons.append("boilerplate_title")
    if units.boilerplate_text:
        reasons.append("boilerplate_text")
    if is_language_mismatch(
        units.headline, units.lead, found=(units.headline_language, units.body_language)
    ):
        reasons.append("language_mismatch")
    if not units.boilerplate_text and is_teaser(units.text):
        reasons.append("truncated_text")
    return reasons
