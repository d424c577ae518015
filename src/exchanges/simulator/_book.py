"""A price-level order book with per-level FIFO queues and a running update id.

Every change of a level's total quantity bumps ``update_id`` by one and is reported to the
book's listeners, which is what the diff depth streams and the REST snapshot share: a
snapshot taken at ``update_id == L`` plus every later change reproduces the book exactly.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from exchanges.simulator._records import ZERO, Order, Side

ChangeListener = Callable[[int, Side, Decimal], None]


@dataclass(eq=False)
class Entry:
    """One resting quantity at a level: a user's order, or the generator's (``order`` None)."""

    qty: Decimal
    order: Order | None = None


class BookSide:
    def __init__(self, side: Side) -> None:
        self.side = side
        self._queues: dict[Decimal, deque[Entry]] = {}
        self._totals: dict[Decimal, Decimal] = {}
        self._prices: list[Decimal] = []  # ascending
        self.house: dict[Decimal, Decimal] = {}  # the generator's quantity per level

    def __len__(self) -> int:
        return len(self._prices)

    def best(self) -> Decimal | None:
        if not self._prices:
            return None
        return self._prices[-1] if self.side is Side.BUY else self._prices[0]

    def prices(self) -> Iterator[Decimal]:
        """Prices best first."""
        return reversed(self._prices) if self.side is Side.BUY else iter(self._prices)

    def total(self, price: Decimal) -> Decimal:
        return self._totals.get(price, ZERO)

    def queue(self, price: Decimal) -> deque[Entry]:
        return self._queues[price]

    def levels(self, limit: int | None = None) -> list[tuple[Decimal, Decimal]]:
        out: list[tuple[Decimal, Decimal]] = []
        for price in self.prices():
            if limit is not None and len(out) >= limit:
                break
            out.append((price, self._totals[price]))
        return out

    def crosses(self, price: Decimal, limit: Decimal | None) -> bool:
        """Would a taker on the other side with this ``limit`` trade at ``price``?"""
        if limit is None:
            return True
        return price <= limit if self.side is Side.SELL else price >= limit

    def _append(self, price: Decimal, entry: Entry) -> None:
        if price not in self._queues:
            bisect.insort(self._prices, price)
            self._queues[price] = deque()
            self._totals[price] = ZERO
        self._queues[price].append(entry)
        self._totals[price] += entry.qty
        if entry.order is None:
            self.house[price] = self.house.get(price, ZERO) + entry.qty

    def _adjust(self, price: Decimal, delta: Decimal) -> None:
        total = self._totals[price] + delta
        if total <= ZERO and not self._queues[price]:
            del self._queues[price]
            del self._totals[price]
            self._prices.pop(bisect.bisect_left(self._prices, price))
        else:
            self._totals[price] = total


class Book:
    """Both sides of one symbol's book."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.bids = BookSide(Side.BUY)
        self.asks = BookSide(Side.SELL)
        self.update_id = 1
        self._listeners: list[ChangeListener] = []

    def side(self, side: Side) -> BookSide:
        return self.bids if side is Side.BUY else self.asks

    def listen(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    def _changed(self, side: Side, price: Decimal) -> None:
        self.update_id += 1
        for listener in self._listeners:
            listener(self.update_id, side, price)

    def add(self, side: Side, price: Decimal, entry: Entry) -> None:
        self.side(side)._append(price, entry)
        self._changed(side, price)

    def take(self, side: Side, price: Decimal, entry: Entry, qty: Decimal) -> None:
        """Remove ``qty`` from ``entry`` (dropping it when empty)."""
        book_side = self.side(side)
        entry.qty -= qty
        if entry.order is None:
            left = book_side.house[price] - qty
            if left > ZERO:
                book_side.house[price] = left
            else:
                del book_side.house[price]
        if entry.qty <= ZERO:
            book_side.queue(price).remove(entry)
        book_side._adjust(price, -qty)
        self._changed(side, price)

    def remove(self, side: Side, price: Decimal, entry: Entry) -> None:
        self.take(side, price, entry, entry.qty)

    def snapshot(self, limit: int | None = None) -> dict[str, list[tuple[Decimal, Decimal]]]:
        return {"bids": self.bids.levels(limit), "asks": self.asks.levels(limit)}
