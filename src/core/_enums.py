"""Enumerations shared by the typed records. Values are ccxt's unified strings."""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class _StrEnum(StrEnum):
    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def parse(cls, value: object, *, field: str) -> Self:
        """Accept a member or its (case-insensitive) value; raise ValueError naming ``field``."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            try:
                return cls(value.lower())
            except ValueError:
                pass
        allowed = ", ".join(repr(m.value) for m in cls)
        raise ValueError(f"{field}: {value!r} is not one of {allowed}")


class Side(_StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(_StrEnum):
    LIMIT = "limit"
    MARKET = "market"
    STOP_LOSS = "stop_loss"
    STOP_LOSS_LIMIT = "stop_loss_limit"
    TAKE_PROFIT = "take_profit"
    TAKE_PROFIT_LIMIT = "take_profit_limit"
    TRAILING_STOP = "trailing_stop"

    @property
    def needs_price(self) -> bool:
        """A limit price is required."""
        return self in (OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT)

    @property
    def needs_trigger(self) -> bool:
        """A trigger (stop) price is required."""
        return self in (
            OrderType.STOP_LOSS,
            OrderType.STOP_LOSS_LIMIT,
            OrderType.TAKE_PROFIT,
            OrderType.TAKE_PROFIT_LIMIT,
        )


class TimeInForce(_StrEnum):
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"
    PO = "po"  # post-only


class OrderStatus(_StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # fully filled
    CANCELED = "canceled"
    EXPIRED = "expired"
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        return self is not OrderStatus.OPEN


class MarketType(_StrEnum):
    SPOT = "spot"
    MARGIN = "margin"
    SWAP = "swap"
    FUTURE = "future"
    OPTION = "option"


class PositionSide(_StrEnum):
    LONG = "long"
    SHORT = "short"


class TakerOrMaker(_StrEnum):
    TAKER = "taker"
    MAKER = "maker"
