"""``OrderTracker``: the account's orders as last seen, without a round trip.

Fed by everything the adapter learns about orders (placements, cancels, status reads, open
order lists) and, once :meth:`OrderTracker.start` ran, by the supervised private order
stream, which reconciles itself after reconnects (see docs/streams.md). After a restart,
:meth:`OrderTracker.reconcile` rebuilds it from the venue.

An update never moves an order backwards: a final state (filled, cancelled...) is not
replaced by an older ``open`` read, nor a fill amount by a smaller one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from core import Order, OrderNotFound, Subscription, get_logger
from core._policies import order_is_newer
from core._subscription import Callback

log = get_logger(__name__)


class OrderSource(Protocol):
    """What the tracker reads orders from: an adapter (:class:`exchanges.BaseExchange`,
    which sits above this module and owns a tracker)."""

    async def subscribe_orders(
        self, callback: Callback[Order], symbol: str | None = None, **options: Any
    ) -> Subscription[Order]: ...

    async def fetch_open_orders(self, symbol: str | None = None) -> list[Order]: ...

    async def fetch_order_status(
        self, order_id: str, symbol: str, *, params: Mapping[str, Any] | None = None
    ) -> Order: ...


class OrderTracker:
    def __init__(self, exchange: OrderSource, *, keep_closed: int = 1000) -> None:
        self._exchange = exchange
        self._orders: dict[str, Order] = {}
        self._keep_closed = keep_closed
        self._subscription: Subscription[Order] | None = None

    # ------------------------------------------------------------------ reading
    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Orders last seen open (for ``symbol``, or all), oldest first."""
        return [
            o
            for o in self._orders.values()
            if o.status is not None
            and not o.status.is_final
            and (symbol is None or o.symbol == symbol)
        ]

    def get(self, order_id: str) -> Order | None:
        return self._orders.get(order_id)

    def __len__(self) -> int:
        return len(self._orders)

    @property
    def streaming(self) -> bool:
        """Whether the private order stream feeds the tracker."""
        return self._subscription is not None

    # ------------------------------------------------------------------ feeding
    def update(self, order: Order) -> None:
        old = self._orders.get(order.id)
        if old is not None and not order_is_newer(order, old):
            return
        self._orders[order.id] = order
        if old is None and order.status is not None and order.status.is_final:
            self._trim()

    def _trim(self) -> None:
        closed = [i for i, o in self._orders.items() if o.status and o.status.is_final]
        for order_id in closed[: max(0, len(closed) - self._keep_closed)]:
            del self._orders[order_id]

    async def start(self, symbol: str | None = None) -> None:
        """Follow the private order stream (supervised; reconciled after reconnects), after
        reading the venue's open orders."""
        if self._subscription is None:
            self._subscription = await self._exchange.subscribe_orders(self.update, symbol)
        await self.reconcile([symbol] if symbol else None)

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.cancel()
            self._subscription = None

    async def reconcile(self, symbols: Iterable[str] | None = None) -> list[Order]:
        """Rebuild from the venue: its open orders (for ``symbols``, else for every symbol
        in one call), and the current state of every tracked open order it no longer lists
        (filled or cancelled meanwhile). Returns the open orders."""
        wanted = list(symbols) if symbols is not None else None
        listed: list[Order] = []
        if wanted is None:
            listed = await self._exchange.fetch_open_orders()
        else:
            for symbol in wanted:
                listed.extend(await self._exchange.fetch_open_orders(symbol))
        seen = {o.id for o in listed}
        for order in listed:
            self.update(order)
        for order in self.open_orders():
            if order.id in seen or (wanted is not None and order.symbol not in wanted):
                continue
            try:
                self.update(await self._exchange.fetch_order_status(order.id, order.symbol))
            except OrderNotFound:
                log.warning("orders.vanished", order_id=order.id, symbol=order.symbol)
        return self.open_orders() if wanted is None else [
            o for o in self.open_orders() if o.symbol in wanted
        ]  # fmt: skip
