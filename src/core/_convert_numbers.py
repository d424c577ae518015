"""ccxt's numbers into ours: Decimal, float and int, or ``None`` when they are not numbers.

ccxt hands numbers as floats, ints or numeric strings, and some venues send NaN and
infinities; each becomes the exact value or ``None``, never a guess. Used by every
conversion (:mod:`core._convert`, :mod:`core._convert_markets`).
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any


def to_decimal(value: Any) -> Decimal | None:
    """ccxt number (float, int or numeric string) -> Decimal, exact to its shortest repr."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return Decimal(repr(value))
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def to_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def to_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def enum_or_none(enum: Any, value: Any) -> Any:
    """``enum`` of ``value`` (case-insensitive), or ``None`` when it names no member."""
    if value is None:
        return None
    try:
        return enum(str(value).lower())
    except ValueError:
        return None
