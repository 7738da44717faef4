"""The fields a check reads (title, text, id...), checked on a file's first records."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from headcheck.io.csvfile import DELIMITERS
from headcheck.io.formats import InputError, Row

#: Readable records a field must be absent from, all of them, before it is taken for a wrong
#: field name (a record that lacks a field the others have is a row flagged missing_*).
FIELD_CHECK_RECORDS = 100


class FieldError(InputError):
    """A field named by an option that none of the first records has."""


def closest_first(name: str, fields: list[str]) -> list[str]:
    """``fields`` ordered by how close each is to ``name`` (difflib's ratio, case ignored)."""
    from difflib import SequenceMatcher

    def distance(field: str) -> float:
        return -SequenceMatcher(None, name.lower(), field.lower()).ratio()

    return sorted(fields, key=distance)


def missing_fields(
    records: list[dict[str, Any]],
    fields: dict[str, str],
    kind: tuple[str, str] = ("record", "records"),
) -> str | None:
    """What to tell the user when a field named by an option (``{option: field}``) is in none
    of ``records`` (the first of a file or stream): the fields they have, closest first, and
    the option to name it with; None when every field is found (or there are no records)."""
    if not records:
        return None
    seen = list(dict.fromkeys(str(k) for record in records for k in record))
    for option, name in fields.items():
        if not any(name in record for record in records):
            have = ", ".join(repr(f) for f in closest_first(name, seen))
            first = kind[0] if len(records) == 1 else f"{len(records)} {kind[1]}"
            hint = ""
            if len(seen) == 1:
                glued = [d for d in DELIMITERS if d in seen[0]]
                if glued:  # one field holding the names: a CSV read with another delimiter
                    hint = f" (or the CSV delimiter: --delimiter {glued[0]!r})"
            return (
                f"no field {name!r} ({option}) in the first {first}, which have "
                f"{have or 'no fields'}; name the field with {option}{hint}"
            )
    return None


def check_fields(path: str, rows: Iterator[Row], fields: dict[str, str | None]) -> Iterator[Row]:
    """``rows``, unchanged, after checking that each named field (``{option: field}``, e.g.
    ``{"--title-field": "title"}``) is in at least one of the first
    :data:`FIELD_CHECK_RECORDS` readable records; raises FieldError naming the fields those
    records have, closest first, before any row is yielded."""
    wanted = {option: name for option, name in fields.items() if name is not None}
    head: list[Row] = []
    readable: list[dict[str, Any]] = []
    for row in rows:
        head.append(row)
        if row.record is not None:
            readable.append(row.record)
            if len(readable) >= FIELD_CHECK_RECORDS:
                break
    if readable:
        problem = missing_fields(readable, wanted)
        if problem is not None:
            raise FieldError(path, problem)
    yield from head
    yield from rows
