"""Page furniture in other languages than English: the titles and sentences listed in
``lists/boilerplate.json`` (German, French, Spanish, Italian, Portuguese, Russian, Japanese,
Chinese and Arabic), read once."""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from headcheck.text.language import UNSPACED_LETTER

_TITLE_END = re.compile(r"[\s.!?:…。！？｡]+$")
_WORD_RUN = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class _Lists:
    """The boilerplate lists of every language, in the shapes they are matched in."""

    titles: frozenset[str]
    title_starts: tuple[str, ...]
    #: Body phrases by their longest word: a sentence is searched only for the phrases of
    #: the words it holds.
    phrases: dict[str, tuple[tuple[str, BoilerplateKind], ...]]
    #: Phrases in scripts written without spaces, searched only in sentences that have such
    #: letters.
    unspaced: tuple[tuple[str, BoilerplateKind], ...]
    #: Each listed language's code: what the README and the tests cover.
    languages: tuple[str, ...]


def _title_key(title: str) -> str:
    return _TITLE_END.sub("", unicodedata.normalize("NFKC", title).lower()).strip()


@functools.lru_cache(maxsize=1)
def lists() -> _Lists:
    """The lists of ``headcheck/text/lists/boilerplate.json``, read once."""
    from importlib.resources import files

    data = json.loads(
        files("headcheck.text")
        .joinpath("lists")
        .joinpath("boilerplate.json")
        .read_text(encoding="utf-8")
    )
    titles: set[str] = set()
    starts: list[str] = []
    phrases: dict[str, list[tuple[str, BoilerplateKind]]] = {}
    unspaced: list[tuple[str, BoilerplateKind]] = []
    for entry in data["languages"].values():
        titles.update(_title_key(t) for t in entry["titles"])
        starts.extend(_title_key(t) for t in entry["title_starts"])
        for kind in ("access", "consent"):
            for phrase in entry[kind]:
                phrase = unicodedata.normalize("NFKC", phrase).lower()
                if UNSPACED_LETTER.search(phrase):
                    unspaced.append((phrase, kind))
                else:
                    key = max(_WORD_RUN.findall(phrase), key=len)
                    phrases.setdefault(key, []).append((phrase, kind))
    return _Lists(
        frozenset(titles),
        tuple(starts),
        {k: tuple(v) for k, v in phrases.items()},
        tuple(unspaced),
        tuple(data["languages"]),
    )


def listed_title(title: str) -> bool:
    found = lists()
    key = _title_key(title)
    if key in found.titles:
        return True
    for start in found.title_starts:
        # The start must end at a word's end: "Direct:" but not "Directeur".
        if key.startswith(start) and (len(key) == len(start) or not key[len(start)].isalnum()):
            return True
    return False


def listed_kind(lower: str) -> BoilerplateKind | None:
    """The kind of the listed phrase that ``lower`` (a sentence in lower case) holds."""
    found = lists()
    for word in found.phrases.keys() & set(_WORD_RUN.findall(lower)):
        for phrase, kind in found.phrases[word]:
            if phrase in lower:
                return kind
    if found.unspaced and UNSPACED_LETTER.search(lower):
        for phrase, kind in found.unspaced:
            if phrase in lower:
                return kind
    return None


BoilerplateKind = Literal["consent", "access", "furniture"]
