"""The fields of what headcheck stores as JSON (calibration files), each declared once.

A stored dataclass declares the kind of each of its fields, ``field(metadata=stored(kind))``.
From those declarations come both the JSON Schema of the file (:func:`json_schema`, shipped
as ``calibrate/calibration.schema.json`` and compared with it by the tests) and the one check
a file is read through (:meth:`Record.read`), which builds the dataclasses as it checks them.
What a schema cannot say (that a tree's children come after their parent) a dataclass says
in a ``stored_problem`` method, which the read calls on the object it built.
"""

from __future__ import annotations

import math
from collections.abc import Mapping as AnyMapping
from dataclasses import MISSING, dataclass, fields
from typing import Any, Protocol

#: The metadata key a stored field's kind is kept under.
KEY = "headcheck.stored"
Where = tuple[str | int, ...]


class Invalid(ValueError):
    """A stored value that breaks its declaration: where it is, and what is wrong."""

    def __init__(self, where: Where, message: str) -> None:
        self.where, self.message = where, message
        super().__init__(f"at {self.path}: {message}")

    @property
    def path(self) -> str:
        return "/".join(str(part) for part in self.where) or "the top level"


class Kind(Protocol):
    """What a stored value may be: its JSON Schema, and the check that reads it."""

    def schema(self) -> dict[str, Any]: ...

    def read(self, value: Any, where: Where) -> Any: ...


def stored(kind: Kind) -> dict[str, Any]:
    """A dataclass field's metadata declaring its stored kind."""
    return {KEY: kind}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True, slots=True)
class Number:
    """A finite number in [low, high] (above ``low`` when ``above``); an integer if asked."""

    low: float
    high: float
    above: bool = False
    integer: bool = False

    def schema(self) -> dict[str, Any]:
        bound = "exclusiveMinimum" if self.above else "minimum"
        return {
            "type": "integer" if self.integer else "number",
            bound: self.low,
            "maximum": self.high,
        }

    def read(self, value: Any, where: Where) -> float | int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Invalid(where, f"{_shown(value)} is not a number")
        if not math.isfinite(value):
            raise Invalid(where, f"{value!r} is not a finite number")
        if self.integer and not float(value).is_integer():
            raise Invalid(where, f"{value!r} is not an integer")
        if not (self.low < value if self.above else self.low <= value) or value > self.high:
            opening = "(" if self.above else "["
            raise Invalid(where, f"{value!r} is not in {opening}{self.low:g}, {self.high:g}]")
        return int(value) if self.integer else float(value)


@dataclass(frozen=True, slots=True)
class Text:
    """A string of ``shortest`` to ``longest`` characters."""

    shortest: int = 0
    longest: int = 1000

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "minLength": self.shortest, "maxLength": self.longest}

    def read(self, value: Any, where: Where) -> str:
        if not isinstance(value, str):
            raise Invalid(where, f"{_shown(value)} is not a string")
        if not self.shortest <= len(value) <= self.longest:
            raise Invalid(where, f"a string of {self.shortest} to {self.longest} characters")
        return value


@dataclass(frozen=True, slots=True)
class Const:
    """Exactly this value (a tuple is stored as an array, and read back as a tuple)."""

    value: Any
    #: How to say what the value is, in a refusal ("this version's", "the format's").
    whose: str = "this version's"

    def schema(self) -> dict[str, Any]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"const": value}

    def read(self, value: Any, where: Where) -> Any:
        expected = list(self.value) if isinstance(self.value, tuple) else self.value
        if type(value) is type(expected) and value == expected:
            return self.value
        if isinstance(value, list) and isinstance(expected, list):
            # Lists of names are long: say where they part, not the first 80 characters.
            at = next(
                (i for i, (a, b) in enumerate(zip(value, expected, strict=False)) if a != b), None
            )
            if at is not None:
                raise Invalid(
                    where, f"{_shown(value[at])} at {at}, where {self.whose} has {expected[at]!r}"
                )
            raise Invalid(where, f"{len(value)} items, where {self.whose} has {len(expected)}")
        raise Invalid(where, f"{_shown(value)} is not {self.whose} {_shown(expected)}")


@dataclass(frozen=True, slots=True)
class Choice:
    """One of these strings."""

    values: tuple[str, ...]

    def schema(self) -> dict[str, Any]:
        return {"enum": list(self.values)}

    def read(self, value: Any, where: Where) -> str:
        if not isinstance(value, str) or value not in self.values:
            listed = ", ".join(repr(v) for v in self.values)
            raise Invalid(where, f"{_shown(value)} is not one of {listed}")
        return value


@dataclass(frozen=True, slots=True)
class Array:
    """A list of ``shortest`` to ``longest`` items of one kind, read as a tuple."""

    items: Kind
    shortest: int
    longest: int

    def schema(self) -> dict[str, Any]:
        return {
            "type": "array",
            "minItems": self.shortest,
            "maxItems": self.longest,
            "items": self.items.schema(),
        }

    def read(self, value: Any, where: Where) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise Invalid(where, f"{_shown(value)} is not an array")
        if not self.shortest <= len(value) <= self.longest:
            size = str(self.shortest)
            size += f" to {self.longest}" if self.longest != self.shortest else ""
            raise Invalid(where, f"{len(value)} items, where {size} are expected")
        read = self.items.read
        return tuple(read(item, (*where, at)) for at, item in enumerate(value))


@dataclass(frozen=True, slots=True)
class Mapping:
    """An object of at most ``most`` entries, each value of one kind, read as a dict."""

    values: Kind
    most: int

    def schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "maxProperties": self.most,
            "additionalProperties": self.values.schema(),
        }

    def read(self, value: Any, where: Where) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise Invalid(where, f"{_shown(value)} is not an object")
        if len(value) > self.most:
            raise Invalid(where, f"{len(value)} entries, where at most {self.most} are expected")
        return {key: self.values.read(item, (*where, key)) for key, item in value.items()}


@dataclass(frozen=True, slots=True)
class Nullable:
    """null, or a value of the kind."""

    kind: Kind

    def schema(self) -> dict[str, Any]:
        return {"oneOf": [{"type": "null"}, self.kind.schema()]}

    def read(self, value: Any, where: Where) -> Any:
        return None if value is None else self.kind.read(value, where)


@dataclass(frozen=True, slots=True)
class Record:
    """An object holding a dataclass's stored fields (and ``head``'s, which precede them and
    are not the dataclass's): every field without a default is required, no other is
    allowed. Read, it is the dataclass, built from the values read."""

    cls: type
    head: AnyMapping[str, Kind] | None = None

    def kinds(self) -> dict[str, tuple[Kind, bool]]:
        """Each field's kind, and whether it is required."""
        found = {name: (kind, True) for name, kind in (self.head or {}).items()}
        for spec in fields(self.cls):
            if KEY not in spec.metadata:
                raise TypeError(f"{self.cls.__name__}.{spec.name} declares no stored kind")
            optional = spec.default is not MISSING or spec.default_factory is not MISSING
            found[spec.name] = (spec.metadata[KEY], not optional)
        return found

    def schema(self) -> dict[str, Any]:
        kinds = self.kinds()
        return {
            "type": "object",
            "additionalProperties": False,
            "required": [name for name, (_, required) in kinds.items() if required],
            "properties": {name: kind.schema() for name, (kind, _) in kinds.items()},
        }

    def read(self, value: Any, where: Where = ()) -> Any:
        if not isinstance(value, dict):
            raise Invalid(where, f"{_shown(value)} is not an object")
        kinds = self.kinds()
        unknown = sorted(set(value) - set(kinds))
        if unknown:
            raise Invalid(where, f"unknown field(s) {', '.join(map(repr, unknown))}")
        missing = [name for name, (_, required) in kinds.items() if required and name not in value]
        if missing:
            raise Invalid(where, f"missing field(s) {', '.join(map(repr, missing))}")
        values = {name: kinds[name][0].read(item, (*where, name)) for name, item in value.items()}
        built = self.cls(**{name: v for name, v in values.items() if name not in (self.head or {})})
        problem = getattr(built, "stored_problem", None)
        message = problem() if problem is not None else None
        if message:
            raise Invalid(where, message)
        return built


def json_schema(record: Record, *, title: str, description: str, uri: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a file holding ``record``."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": uri,
        "title": title,
        "description": description,
        **record.schema(),
    }
