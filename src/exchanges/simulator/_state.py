"""The simulator's ground truth, for assertions: markets, books, orders, balances, and
what went out on the wire (trade ids published per stream)."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from exchanges.simulator._book import Book
from exchanges.simulator._candles import CandleSeries
from exchanges.simulator._errors import invalid_symbol
from exchanges.simulator._matching import MatchingEngine
from exchanges.simulator._records import Account, Balance, Order
from exchanges.simulator._spec import SymbolSpec


@dataclass
class SimState:
    specs: dict[str, SymbolSpec] = field(default_factory=dict)  # by Binance id
    engines: dict[str, MatchingEngine] = field(default_factory=dict)
    candles: dict[str, CandleSeries] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)  # by api key
    clock_offset_ms: int = 0
    trade_ids_sent: dict[str, deque[int]] = field(default_factory=dict)
    """Trade ids published on each ``<symbol>@trade`` stream, oldest first (bounded)."""
    next_agg_id: int = 1

    def now(self) -> int:
        """The server's clock in ms (wall clock plus any injected shift)."""
        return int(time.time() * 1000) + self.clock_offset_ms

    def market_id(self, symbol: str) -> str:
        """``BTC/USDT`` or ``BTCUSDT`` (any case) to ``BTCUSDT``; -1121 when unknown."""
        market_id = symbol.replace("/", "").upper()
        if market_id not in self.specs:
            raise invalid_symbol()
        return market_id

    def engine(self, symbol: str) -> MatchingEngine:
        return self.engines[self.market_id(symbol)]

    def book(self, symbol: str) -> Book:
        return self.engine(symbol).book

    def orders(self, api_key: str | None = None) -> list[Order]:
        found = [o for e in self.engines.values() for o in e.orders.values()]
        if api_key is not None:
            found = [o for o in found if o.account == api_key]
        return sorted(found, key=lambda o: (o.time, o.symbol, o.order_id))

    def balances(self, api_key: str) -> dict[str, Balance]:
        return self.accounts[api_key].balances

    def total(self, api_key: str, asset: str) -> Decimal:
        balance = self.accounts[api_key].balance(asset)
        return balance.free + balance.locked
