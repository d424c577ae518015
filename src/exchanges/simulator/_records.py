"""Mutable ground-truth records: accounts, orders, fills, trades."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal(0)


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderStatus(StrEnum):
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"
    EXPIRED_IN_MATCH = "EXPIRED_IN_MATCH"  # removed by self-trade prevention

    @property
    def is_open(self) -> bool:
        return self in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)


@dataclass
class Balance:
    free: Decimal = ZERO
    locked: Decimal = ZERO


@dataclass
class Account:
    api_key: str
    secret: str
    balances: dict[str, Balance] = field(default_factory=dict)
    commission_maker: Decimal = Decimal("0.001")
    commission_taker: Decimal = Decimal("0.001")

    def balance(self, asset: str) -> Balance:
        return self.balances.setdefault(asset, Balance())


@dataclass
class Fill:
    trade_id: int
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    is_maker: bool
    time: int


@dataclass
class Order:
    """A user's order, shaped after Binance's order record."""

    symbol: str  # Binance id
    order_id: int
    client_order_id: str
    account: str  # api key
    side: Side
    type: str  # LIMIT, MARKET, LIMIT_MAKER
    time_in_force: str | None
    price: Decimal
    orig_qty: Decimal
    time: int
    orig_quote_qty: Decimal = ZERO
    executed_qty: Decimal = ZERO
    cumulative_quote_qty: Decimal = ZERO
    status: OrderStatus = OrderStatus.NEW
    update_time: int = 0
    locked: Decimal = ZERO  # what is still locked for this order, in the locked asset
    fills: list[Fill] = field(default_factory=list)

    @property
    def remaining(self) -> Decimal:
        return self.orig_qty - self.executed_qty


@dataclass(frozen=True, slots=True)
class Trade:
    """One public trade (a match between a taker and a resting maker)."""

    symbol: str
    trade_id: int
    price: Decimal
    qty: Decimal
    time: int
    buyer_is_maker: bool
    taker_order_id: int  # 0 for the generator's own (house) orders
