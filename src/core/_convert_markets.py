"""ccxt's market dicts into :class:`~core._models.Market` records, precision included.

A venue states its precision in one of ccxt's modes (``precisionMode``: decimal places,
significant digits or tick size); the record holds it one way whatever the mode: a step
size, or a number of significant digits. :mod:`core._convert` re-exports these functions
(``convert.market``, ``convert.market_type_of``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from core._convert_numbers import to_decimal, to_int
from core._enums import MarketType
from core._models import Limits, Market, MinMax, Precision

Raw = Mapping[str, Any]

# ccxt precisionMode constants (ccxt.base.decimal_to_precision)
DECIMAL_PLACES = 2
SIGNIFICANT_DIGITS = 3
TICK_SIZE = 4


def _step(value: Any, mode: int) -> Decimal | None:
    """ccxt precision value -> step size, whatever the venue's precisionMode."""
    number = to_decimal(value)
    if number is None:
        return None
    if mode == TICK_SIZE:
        return number
    if mode == DECIMAL_PLACES:
        return Decimal(1).scaleb(-int(number))
    return None  # significant digits: no fixed step


def _digits(value: Any, mode: int) -> int | None:
    """ccxt precision value -> significant digits, in SIGNIFICANT_DIGITS mode only."""
    number = to_int(value)
    return number if mode == SIGNIFICANT_DIGITS and number is not None and number > 0 else None


def _minmax(raw: Raw | None) -> MinMax:
    if not raw:
        return MinMax()
    return MinMax(to_decimal(raw.get("min")), to_decimal(raw.get("max")))


def market_type_of(raw: Raw) -> MarketType:
    kind = raw.get("type")
    if kind == "future" or (raw.get("future") and kind != "swap"):
        return MarketType.FUTURE
    try:
        return MarketType(str(kind))
    except ValueError:
        if raw.get("swap"):
            return MarketType.SWAP
        if raw.get("option"):
            return MarketType.OPTION
        return MarketType.SPOT


def market(raw: Raw, precision_mode: int = TICK_SIZE) -> Market:
    precision = raw.get("precision") or {}
    limits = raw.get("limits") or {}
    active = raw.get("active")
    return Market(
        symbol=raw["symbol"],
        id=str(raw.get("id")),
        base=raw.get("base") or "",
        quote=raw.get("quote") or "",
        type=market_type_of(raw),
        active=active is not False,
        settle=raw.get("settle"),
        linear=raw.get("linear"),
        inverse=raw.get("inverse"),
        contract_size=to_decimal(raw.get("contractSize")),
        precision=Precision(
            amount=_step(precision.get("amount"), precision_mode),
            price=_step(precision.get("price"), precision_mode),
            amount_digits=_digits(precision.get("amount"), precision_mode),
            price_digits=_digits(precision.get("price"), precision_mode),
        ),
        limits=Limits(
            amount=_minmax(limits.get("amount")),
            price=_minmax(limits.get("price")),
            cost=_minmax(limits.get("cost")),
        ),
        maker=to_decimal(raw.get("maker")),
        taker=to_decimal(raw.get("taker")),
    )
