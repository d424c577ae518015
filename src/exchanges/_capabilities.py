"""What a venue can do, as data: read once from ccxt's ``has`` and keyed by our method names."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Support(StrEnum):
    NATIVE = "native"  # the venue has an endpoint or stream for it
    EMULATED = "emulated"  # ccxt builds it from other calls (slower, may be partial)
    NO = "no"

    def __bool__(self) -> bool:
        return self is not Support.NO


# Our method name -> ccxt ``has`` key.
METHOD_TO_HAS: Mapping[str, str] = MappingProxyType(
    {
        "fetch_markets": "fetchMarkets",
        "fetch_ticker": "fetchTicker",
        "fetch_tickers": "fetchTickers",
        "fetch_order_book": "fetchOrderBook",
        "fetch_trades": "fetchTrades",
        "fetch_ohlcv": "fetchOHLCV",
        "fetch_balance": "fetchBalance",
        "fetch_positions": "fetchPositions",
        "place_order": "createOrder",
        "cancel_order": "cancelOrder",
        "fetch_order_status": "fetchOrder",
        "fetch_open_orders": "fetchOpenOrders",
        "fetch_my_trades": "fetchMyTrades",
        "watch_ticker": "watchTicker",
        "watch_tickers": "watchTickers",
        "watch_trades": "watchTrades",
        "watch_trades_for_symbols": "watchTradesForSymbols",
        "watch_order_book": "watchOrderBook",
        "watch_order_book_for_symbols": "watchOrderBookForSymbols",
        "watch_ohlcv": "watchOHLCV",
        "watch_balance": "watchBalance",
        "watch_orders": "watchOrders",
        "watch_my_trades": "watchMyTrades",
        "un_watch_ticker": "unWatchTicker",
        "un_watch_tickers": "unWatchTickers",
        "un_watch_trades": "unWatchTrades",
        "un_watch_order_book": "unWatchOrderBook",
        "un_watch_ohlcv": "unWatchOHLCV",
        # order features used by place_order's validation
        "post_only_orders": "createPostOnlyOrder",
        "reduce_only_orders": "createReduceOnlyOrder",
        "stop_loss_orders": "createStopLossOrder",
        "take_profit_orders": "createTakeProfitOrder",
        "trailing_orders": "createTrailingAmountOrder",
        "sandbox": "sandbox",
    }
)


def _support(value: Any) -> Support:
    if value == "emulated":
        return Support.EMULATED
    return Support.NATIVE if value else Support.NO


#: what no adapter of a market type can do, whatever the venue's ``has`` says: ccxt's ``has``
#: is per venue, not per market type (binance's ``fetchPositions`` is its futures'; on a
#: spot adapter ccxt calls the futures API and gets a 404). A spot account holds no
#: positions.
MARKET_TYPE_LACKS: Mapping[str, frozenset[str]] = MappingProxyType(
    {"spot": frozenset({"fetch_positions"})}
)


def market_type_lacks(market_type: str) -> frozenset[str]:
    """The methods an adapter of ``market_type`` (``MarketType`` value) never supports."""
    return MARKET_TYPE_LACKS.get(market_type, frozenset())


@dataclass(frozen=True, slots=True)
class Capabilities(Mapping[str, Support]):
    """``capabilities["watch_trades"]`` -> :class:`Support`; truthy when usable."""

    venue: str
    methods: Mapping[str, Support]

    @classmethod
    def from_ccxt_has(
        cls, venue: str, has: Mapping[str, Any], overrides: Mapping[str, Support] | None = None
    ) -> Capabilities:
        """From ccxt's ``has``; ``overrides`` are a venue subclass's corrections, for
        features ccxt implements but leaves undeclared (``None``) in ``has``."""
        methods = {name: _support(has.get(key)) for name, key in METHOD_TO_HAS.items()}
        methods.update(overrides or {})
        return cls(venue=venue, methods=MappingProxyType(methods))

    def supports(self, method: str) -> bool:
        return bool(self.methods.get(method, Support.NO))

    def __getitem__(self, method: str) -> Support:
        return self.methods[method]

    def __iter__(self) -> Iterator[str]:
        return iter(self.methods)

    def __len__(self) -> int:
        return len(self.methods)

    def as_dict(self) -> dict[str, str]:
        return {name: support.value for name, support in self.methods.items()}
