"""Frozen, slotted typed records: what every adapter returns.

Number types, chosen by measurement (``bench/number_types.py``, figures in
``docs/benchmarks.md``):

* Your money is ``Decimal``: order amounts, prices, fills, fees, balances, positions, and
  market precision/limits (they are used to round and check orders). Exact arithmetic is
  worth its cost where a rounding error becomes a rejected or wrong order.
* Public market data is ``float``: tickers, order-book levels, public trades and candles.
  ccxt already parses them into floats; converting every level of every book update to
  ``Decimal`` cost several times the float path in the benchmark, on the hottest path of the
  library, for values that are only compared and displayed. Convert at the point of use
  (``Decimal(str(x))``) when a market-data value feeds an order.

Timestamps are integer milliseconds since the epoch, as in ccxt.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from core._enums import (
    MarketType,
    OrderStatus,
    OrderType,
    PositionSide,
    Side,
    TakerOrMaker,
    TimeInForce,
)

Level = tuple[float, float]  # (price, amount)


@dataclass(frozen=True, slots=True)
class MinMax:
    min: Decimal | None = None
    max: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Precision:
    """Step sizes (not decimal places): 0.01 means prices move in cents. Venues that count
    significant digits instead (ccxt's SIGNIFICANT_DIGITS mode: bitfinex, bithumb) have no
    step; ``amount_digits`` / ``price_digits`` hold their digit counts."""

    amount: Decimal | None = None
    price: Decimal | None = None
    amount_digits: int | None = None
    price_digits: int | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    amount: MinMax = field(default_factory=MinMax)
    price: MinMax = field(default_factory=MinMax)
    cost: MinMax = field(default_factory=MinMax)  # notional = amount * price


@dataclass(frozen=True, slots=True)
class Market:
    symbol: str
    id: str
    base: str
    quote: str
    type: MarketType
    active: bool = True
    settle: str | None = None
    linear: bool | None = None
    inverse: bool | None = None
    contract_size: Decimal | None = None
    precision: Precision = field(default_factory=Precision)
    limits: Limits = field(default_factory=Limits)
    maker: Decimal | None = None
    taker: Decimal | None = None

    @property
    def is_contract(self) -> bool:
        return self.type in (MarketType.SWAP, MarketType.FUTURE, MarketType.OPTION)


@dataclass(frozen=True, slots=True)
class Ticker:
    symbol: str
    timestamp: int | None = None
    bid: float | None = None
    ask: float | None = None
    bid_volume: float | None = None
    ask_volume: float | None = None
    last: float | None = None
    open: float | None = None
    high: float | None = None
    low: float | None = None
    close: float | None = None
    base_volume: float | None = None
    quote_volume: float | None = None
    change: float | None = None
    percentage: float | None = None
    vwap: float | None = None


@dataclass(frozen=True, slots=True)
class OrderBook:
    """A snapshot of one book. ``bids`` descend, ``asks`` ascend.

    ``synced`` says where it comes from. True: the venue's stream keeps it, every update
    applied to its snapshot as it arrives (``watch_order_book``, and a supervised book
    stream while it streams; on venues that number their updates, binance, a gap drops the
    book and it is re-snapshotted, so it is never served out of sequence). False: a REST
    snapshot, right as of its ``timestamp``/``nonce`` but kept by nothing
    (``fetch_order_book``, and what a supervised book stream serves while it is
    ``POLLING``: a refresh every ``EXCHANGES_STREAM_POLL_INTERVAL`` seconds, the updates
    between two polls unseen).
    """

    symbol: str
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    timestamp: int | None = None
    nonce: int | None = None
    synced: bool = False

    @property
    def best_bid(self) -> Level | None:
        return self.bids[0] if self.bids else None

    @property
    def best_ask(self) -> Level | None:
        return self.asks[0] if self.asks else None

    @property
    def mid(self) -> float | None:
        if not self.bids or not self.asks:
            return None
        return (self.bids[0][0] + self.asks[0][0]) / 2

    @property
    def spread(self) -> float | None:
        if not self.bids or not self.asks:
            return None
        return self.asks[0][0] - self.bids[0][0]


@dataclass(frozen=True, slots=True)
class Trade:
    """A public trade."""

    symbol: str
    id: str | None
    timestamp: int | None
    price: float
    amount: float
    side: Side | None = None
    cost: float | None = None
    taker_or_maker: TakerOrMaker | None = None


@dataclass(frozen=True, slots=True)
class Candle:
    timestamp: int
    open: float
    high: float
    low: float
    close: float
    volume: float


@dataclass(frozen=True, slots=True)
class Fee:
    cost: Decimal
    currency: str | None = None
    rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Fill:
    """A trade of one of your orders (``fetch_my_trades`` / ``watch_my_trades``)."""

    symbol: str
    id: str | None
    order_id: str | None
    timestamp: int | None
    side: Side | None
    price: Decimal
    amount: Decimal
    cost: Decimal | None = None
    fee: Fee | None = None
    taker_or_maker: TakerOrMaker | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """One of your orders. ``type`` is an :class:`OrderType`, or the venue's own string when
    it has no unified equivalent."""

    id: str
    symbol: str
    side: Side
    type: OrderType | str
    status: OrderStatus | None
    amount: Decimal | None
    filled: Decimal | None = None
    remaining: Decimal | None = None
    price: Decimal | None = None
    average: Decimal | None = None
    cost: Decimal | None = None
    trigger_price: Decimal | None = None
    client_order_id: str | None = None
    time_in_force: TimeInForce | None = None
    post_only: bool | None = None
    reduce_only: bool | None = None
    fees: tuple[Fee, ...] = ()
    timestamp: int | None = None
    last_update_timestamp: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status is OrderStatus.OPEN


@dataclass(frozen=True, slots=True)
class AssetBalance:
    free: Decimal | None = None
    used: Decimal | None = None
    total: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Balance(Mapping[str, AssetBalance]):
    """Balances by currency code; read it like a mapping: ``balance["USDT"].free``."""

    assets: Mapping[str, AssetBalance]
    timestamp: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "assets", MappingProxyType(dict(self.assets)))

    def __getitem__(self, currency: str) -> AssetBalance:
        return self.assets[currency]

    def __iter__(self) -> Iterator[str]:
        return iter(self.assets)

    def __len__(self) -> int:
        return len(self.assets)


@dataclass(frozen=True, slots=True)
class Position:
    symbol: str
    side: PositionSide | None
    contracts: Decimal | None
    contract_size: Decimal | None = None
    entry_price: Decimal | None = None
    mark_price: Decimal | None = None
    notional: Decimal | None = None
    leverage: Decimal | None = None
    unrealized_pnl: Decimal | None = None
    liquidation_price: Decimal | None = None
    margin_mode: str | None = None
    timestamp: int | None = None
