"""Arguments checked at the door: the one set of type and value checks every public
method of the adapter runs on its arguments before anything is sent.

A wrong argument raises :class:`core.InvalidOrder` (the arguments of an order) or
:class:`core.BadRequest` (the others), whose ``field`` and message name it. The rules:
bools are real bools; integers are ints (not bools, not floats); symbols, ids and
timeframes are non-blank strings; a list of symbols is a sequence of them (not one
string); ``params`` is a mapping with string keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core import BadRequest


def _kind(value: object) -> str:
    return type(value).__name__


class Arguments:
    """The checks for one method's arguments: ``Arguments(venue, "fetch_trades")``;
    ``error`` is the class raised (``InvalidOrder`` for an order's arguments)."""

    __slots__ = ("error", "method", "venue")

    def __init__(self, venue: str, method: str, error: type[BadRequest] = BadRequest) -> None:
        self.venue = venue
        self.method = method
        self.error = error

    def fail(self, field: str, message: str) -> BadRequest:
        return self.error(f"{field}: {message}", venue=self.venue, method=self.method, field=field)

    def text(self, value: object, field: str) -> str:
        """A non-blank string (a symbol, an id, a timeframe)."""
        if not isinstance(value, str):
            raise self.fail(field, f"expected a string, got {_kind(value)}")
        if not value.strip():
            raise self.fail(field, "must not be empty")
        return value

    def optional_text(self, value: object, field: str) -> str | None:
        return None if value is None else self.text(value, field)

    def symbol(self, value: object, field: str = "symbol") -> str:
        return self.text(value, field)

    def optional_symbol(self, value: object, field: str = "symbol") -> str | None:
        return self.optional_text(value, field)

    def symbols(self, value: object, field: str = "symbols") -> list[str]:
        """A collection of symbols (a list, a tuple, a set...), never one string."""
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise self.fail(field, f"expected a list of symbols, got {_kind(value)}")
        return [self.text(item, f"{field}[{i}]") for i, item in enumerate(value)]

    def optional_symbols(self, value: object, field: str = "symbols") -> list[str] | None:
        return None if value is None else self.symbols(value, field)

    def flag(self, value: object, field: str) -> bool:
        """A real bool: ``"no"``, ``0`` or ``None`` are not taken for one."""
        if not isinstance(value, bool):
            raise self.fail(field, f"expected True or False, got {_kind(value)} {value!r}")
        return value

    def integer(self, value: object, field: str, *, minimum: int) -> int | None:
        """None, or an int (not a bool, not a float) of at least ``minimum``."""
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(field, f"expected an integer, got {_kind(value)} {value!r}")
        if value < minimum:
            raise self.fail(field, f"must be at least {minimum}, got {value}")
        return value

    def since(self, value: object, field: str = "since") -> int | None:
        """A timestamp in ms since the epoch."""
        return self.integer(value, field, minimum=0)

    def limit(self, value: object, field: str = "limit") -> int | None:
        return self.integer(value, field, minimum=1)

    def params(self, value: object, field: str = "params") -> dict[str, Any]:
        """A copy of a mapping with string keys (None: empty)."""
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(field, f"expected a mapping (a dict), got {_kind(value)}")
        for key in value:
            if not isinstance(key, str):
                raise self.fail(field, f"keys must be strings, got {_kind(key)} {key!r}")
        return dict(value)
