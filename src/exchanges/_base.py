"""``BaseExchange``: the one interface strategies ``await``, whatever the venue (contract).

An adapter is an async resource with a lifecycle that refuses reuse after close::

    NEW --connect()--> CONNECTING --> OPEN --close()--> CLOSING --> CLOSED
                                   \\-> (failure) NEW: connect() may be tried again

``connect()`` and ``close()`` are template methods wrapping the protected hooks
``_connect()`` / ``_close()``; ``close()`` is idempotent, and any call after it raises
:class:`core.ExchangeClosed`. Calls made before ``connect()`` connect first. An adapter
pooled by an :class:`ExchangeFactory` is shared: ``async with`` on it does not close it
(the factory's ``close_all()`` does); an explicit ``close()`` still does.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from types import TracebackType
from typing import Any, Self

from core import (
    Balance,
    Candle,
    ExchangeClosed,
    Fill,
    Market,
    MarketType,
    Order,
    OrderBook,
    OrderType,
    Position,
    Settings,
    Side,
    Ticker,
    TimeInForce,
    Trade,
)
from exchanges._capabilities import Capabilities
from exchanges._streaming import Streaming
from exchanges.trading._tracker import OrderTracker

Number = Decimal | int | float | str


class LifecycleState(StrEnum):
    NEW = "new"
    CONNECTING = "connecting"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


class BaseExchange(Streaming, ABC):
    """Abstract async adapter for one (venue, account, market type). The supervised
    ``stream_*`` / ``subscribe_*`` methods come from :class:`Streaming`."""

    def __init__(self) -> None:
        super().__init__()
        self._state = LifecycleState.NEW
        self._lifecycle_lock = asyncio.Lock()
        #: set by a factory that pools this adapter: leaving ``async with`` then releases
        #: it instead of closing it for every other holder (``close()`` still closes)
        self.pooled_by: object | None = None
        self._orders: OrderTracker | None = None
        self._outcome_listeners: list[Callable[[BaseExchange, str, str], None]] = []

    # ------------------------------------------------------------------ identity
    @property
    @abstractmethod
    def id(self) -> str:
        """The venue id (ccxt's: ``"binance"``, ``"okx"``...)."""

    @property
    @abstractmethod
    def account(self) -> str | None:
        """The account ("portfolio") name the credentials belong to; None when public."""

    @property
    @abstractmethod
    def market_type(self) -> MarketType: ...

    @property
    @abstractmethod
    def capabilities(self) -> Capabilities: ...

    @property
    @abstractmethod
    def settings(self) -> Settings: ...

    @property
    @abstractmethod
    def raw(self) -> Any:
        """The underlying client (a ccxt.pro instance): the escape hatch for venue calls."""

    @property
    def orders(self) -> OrderTracker:
        """The account's orders as last seen (``open_orders()`` without a round trip);
        ``await ex.orders.start()`` follows the private order stream, ``reconcile()``
        rebuilds it from the venue (see :class:`OrderTracker`)."""
        if self._orders is None:
            self._orders = OrderTracker(self)
        return self._orders

    def add_order_listener(self, listener: Callable[[BaseExchange, str, str], None]) -> None:
        """Call ``listener(adapter, method, outcome)`` after every ``place_order``
        (outcome ``placed``, ``refused`` or ``unknown``) and ``cancel_order`` (``canceled``
        or ``refused``): for metrics."""
        self._outcome_listeners.append(listener)

    def _order_outcome(self, method: str, outcome: str) -> None:
        for listener in self._outcome_listeners:
            listener(self, method, outcome)

    def _tracked(self, order: Order) -> Order:
        if self._orders is not None:
            self._orders.update(order)
        return order

    @property
    def state(self) -> LifecycleState:
        return self._state

    @property
    def closed(self) -> bool:
        return self._state in (LifecycleState.CLOSING, LifecycleState.CLOSED)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.id} account={self.account!r} "
            f"market_type={self.market_type.value} state={self._state.value}>"
        )

    # ------------------------------------------------------------------ lifecycle
    async def connect(self) -> None:
        """Open the adapter: load markets and whatever the venue needs. Idempotent."""
        self._ensure_not_closed("connect")
        if self._is_open():
            return
        async with self._lifecycle_lock:
            # Another task may have connected or closed while this one waited for the lock.
            self._ensure_not_closed("connect")
            if self._is_open():
                return
            self._state = LifecycleState.CONNECTING
            try:
                await self._connect()
            except BaseException:
                if self._state is LifecycleState.CONNECTING:
                    self._state = LifecycleState.NEW
                raise
            if self._state is LifecycleState.CONNECTING:
                self._state = LifecycleState.OPEN

    async def close(self) -> None:
        """Release every resource (sessions, sockets, tasks). Idempotent; final."""
        if self._state is LifecycleState.CLOSED:
            return
        if self._state is LifecycleState.CLOSING:
            async with self._lifecycle_lock:  # wait for the close in progress
                return
        self._state = LifecycleState.CLOSING
        async with self._lifecycle_lock:
            try:
                try:
                    await self._close_streams()  # first: no stream may reconnect meanwhile
                finally:
                    await self._close()  # even when cancelled: sessions and sockets go
            finally:
                self._state = LifecycleState.CLOSED

    async def disconnect(self) -> None:
        """Alias of :meth:`close`."""
        await self.close()

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.pooled_by is None:
            await self.close()

    def _is_open(self) -> bool:
        return self._state is LifecycleState.OPEN

    def _ensure_not_closed(self, method: str) -> None:
        if self.closed:
            raise ExchangeClosed(f"{method}() called on a closed adapter", venue=self.id)

    async def _ensure_open(self, method: str) -> None:
        """Refuse calls after close; connect first when not connected yet."""
        self._ensure_not_closed(method)
        if self._state is not LifecycleState.OPEN:
            await self.connect()

    @abstractmethod
    async def _connect(self) -> None: ...

    @abstractmethod
    async def _close(self) -> None: ...

    # ------------------------------------------------------------------ REST: market data
    @abstractmethod
    async def fetch_markets(self, *, reload: bool = False) -> dict[str, Market]: ...

    @abstractmethod
    async def fetch_ticker(self, symbol: str) -> Ticker: ...

    @abstractmethod
    async def fetch_tickers(self, symbols: Sequence[str] | None = None) -> dict[str, Ticker]: ...

    @abstractmethod
    async def fetch_order_book(self, symbol: str, limit: int | None = None) -> OrderBook: ...

    @abstractmethod
    async def fetch_trades(
        self, symbol: str, since: int | None = None, limit: int | None = None
    ) -> list[Trade]: ...

    @abstractmethod
    async def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: str = "1m",
        since: int | None = None,
        limit: int | None = None,
    ) -> list[Candle]: ...

    # ------------------------------------------------------------------ REST: account
    @abstractmethod
    async def fetch_balance(self) -> Balance: ...

    @abstractmethod
    async def fetch_positions(self, symbols: Sequence[str] | None = None) -> list[Position]: ...

    @abstractmethod
    async def place_order(
        self,
        symbol: str,
        side: Side | str,
        type: OrderType | str,
        amount: Number,
        price: Number | None = None,
        *,
        trigger_price: Number | None = None,
        trailing_amount: Number | None = None,
        time_in_force: TimeInForce | str | None = None,
        post_only: bool = False,
        reduce_only: bool = False,
        client_order_id: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> Order: ...

    @abstractmethod
    async def cancel_order(
        self, order_id: str, symbol: str, *, params: Mapping[str, Any] | None = None
    ) -> Order:
        """Cancel and return the order's state. ``params``: venue-specific (e.g. binance
        ``{"trigger": True}`` for a USD-M conditional order)."""

    @abstractmethod
    async def fetch_order_status(
        self, order_id: str, symbol: str, *, params: Mapping[str, Any] | None = None
    ) -> Order: ...

    @abstractmethod
    async def fetch_open_orders(self, symbol: str | None = None) -> list[Order]: ...

    @abstractmethod
    async def fetch_my_trades(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None
    ) -> list[Fill]: ...

    # ------------------------------------------------------------------ WebSocket: one update
    # The watch form, as ccxt.pro's: each call waits for the next update. ``since`` keeps
    # records at or after that time (ms), ``limit`` the latest ``limit`` of them; ``params``
    # go to the venue as they are (a mapping with string keys). Unsupervised: a dropped
    # socket raises; ``stream_*`` / ``subscribe_*`` are the supervised forms.
    @abstractmethod
    async def watch_ticker(
        self, symbol: str, *, params: Mapping[str, Any] | None = None
    ) -> Ticker: ...

    @abstractmethod
    async def watch_tickers(
        self, symbols: Sequence[str] | None = None, *, params: Mapping[str, Any] | None = None
    ) -> dict[str, Ticker]:
        """The tickers the next update carries (every market's when ``symbols`` is None)."""

    @abstractmethod
    async def watch_trades(
        self,
        symbol: str,
        since: int | None = None,
        limit: int | None = None,
        *,
        params: Mapping[str, Any] | None = None,
    ) -> list[Trade]: ...

    @abstractmethod
    async def watch_order_book(
        self, symbol: str, limit: int | None = None, *, params: Mapping[str, Any] | None = None
    ) -> OrderBook: ...

    @abstractmethod
    async def watch_ohlcv(
        self,
        symbol: str,
        timeframe: str = "1m",
        since: int | None = None,
        limit: int | None = None,
        *,
        params: Mapping[str, Any] | None = None,
    ) -> list[Candle]: ...

    @abstractmethod
    async def watch_balance(self, *, params: Mapping[str, Any] | None = None) -> Balance: ...

    @abstractmethod
    async def watch_orders(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        *,
        params: Mapping[str, Any] | None = None,
    ) -> list[Order]: ...

    @abstractmethod
    async def watch_my_trades(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        *,
        params: Mapping[str, Any] | None = None,
    ) -> list[Fill]: ...

    # ------------------------------------------------------------------ WebSocket: stop watching
    # What a watch form opened, closed at the venue (ccxt.pro's ``un_watch_*``); pending
    # watchers of it get an error. Pass the ``params`` the watch had (they may name the
    # stream). Refused while a supervised stream of the same data is open on this adapter
    # (it shares the venue's subscription): cancel that subscription instead.
    @abstractmethod
    async def un_watch_ticker(
        self, symbol: str, *, params: Mapping[str, Any] | None = None
    ) -> None: ...

    @abstractmethod
    async def un_watch_tickers(
        self, symbols: Sequence[str] | None = None, *, params: Mapping[str, Any] | None = None
    ) -> None: ...

    @abstractmethod
    async def un_watch_trades(
        self, symbol: str, *, params: Mapping[str, Any] | None = None
    ) -> None: ...

    @abstractmethod
    async def un_watch_order_book(
        self, symbol: str, *, params: Mapping[str, Any] | None = None
    ) -> None: ...

    @abstractmethod
    async def un_watch_ohlcv(
        self, symbol: str, timeframe: str = "1m", *, params: Mapping[str, Any] | None = None
    ) -> None: ...
