"""headcheck.schema: a stored field's one declaration, read back and written as JSON Schema."""

from __future__ import annotations

from dataclasses import dataclass, field

import jsonschema
import pytest

from headcheck.schema import Array, Invalid, Number, Record, stored


@dataclass(frozen=True)
class Band:
    low: float = field(metadata=stored(Number(0.0, 1.0)))
    high: float = field(metadata=stored(Number(0.0, 1.0)))
    count: int = field(default=1, metadata=stored(Number(1, 10, integer=True)))

    def stored_problem(self) -> str | None:
        return "low is above high" if self.low > self.high else None


@dataclass(frozen=True)
class Undeclared:
    low: float = field(metadata=stored(Number(0.0, 1.0)))
    high: float = 1.0


def test_a_record_reads_into_its_dataclass_and_its_schema_agrees() -> None:
    """A good object becomes the dataclass (defaults where left out, an integral number as
    an int); its JSON Schema accepts what the read accepts."""
    schema = Record(Band).schema()
    for data, built in (
        ({"low": 0.2, "high": 0.5}, Band(0.2, 0.5, 1)),
        ({"low": 0, "high": 1, "count": 3.0}, Band(0.0, 1.0, 3)),
    ):
        assert Record(Band).read(data) == built
        assert type(Record(Band).read(data).count) is int
        assert jsonschema.Draft202012Validator(schema).is_valid(data)


def test_what_a_schema_cannot_say_is_refused_where_it_is() -> None:
    """A dataclass's stored_problem stops the read, at the object's place."""
    with pytest.raises(Invalid, match="at bands/1: low is above high"):
        Array(Record(Band), 1, 5).read([{"low": 0, "high": 1}, {"low": 1, "high": 0}], ("bands",))


def test_a_field_without_a_declared_kind_cannot_be_stored() -> None:
    """Every field of a stored dataclass declares its kind: one left out is a TypeError."""
    with pytest.raises(TypeError, match=r"Undeclared\.high declares no stored kind"):
        Record(Undeclared).schema()
