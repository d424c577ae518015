"""Supervised streams on an adapter: ``stream_*`` (async iterators) and ``subscribe_*``
(callbacks), for every channel, on top of :class:`core.Supervisor`.

Both forms return a :class:`core.Subscription` (``state``, ``stats``, ``cancel()``); the
subscribers of one (channel, symbol[, timeframe]) share one supervised stream. Keyword
options on every method:

* ``stale_after``: seconds without data before the stream is checked (default: the
  ``EXCHANGES_STALE_AFTER_<CHANNEL>`` setting; the stream uses the smallest asked for);
* ``queue_size``: this subscriber's queue (default: 1 for ticker, book and balance, whose
  newest record supersedes the others; ``EXCHANGES_STREAM_QUEUE_SIZE`` for the rest);
* ``on_event``: called with each :class:`core.StreamEvent` (state, gap, overflow, quiet).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from core import (
    Balance,
    Candle,
    Fill,
    Order,
    OrderBook,
    Settings,
    Ticker,
    Trade,
)
from core._feed import Feed
from core._policies import Policy, policy_for
from core._streams import Channel, Health, StreamKey, StreamState
from core._subscription import Callback, EventListener, Subscription
from core._supervisor import Supervisor
from exchanges.sharing import Connection
from exchanges.sharing._fanout import Fanout, shareable
from exchanges.trading._arguments import Arguments

T = TypeVar("T")
_STATE_CHANNELS = (Channel.TICKER, Channel.ORDER_BOOK, Channel.BALANCE)
_SYMBOL_CHANNELS = (Channel.TICKER, Channel.TRADES, Channel.ORDER_BOOK, Channel.OHLCV)


class SubscriptionGroup:
    """The per-symbol subscriptions of a ``subscribe_*_for_symbols`` call."""

    def __init__(self, subscriptions: Sequence[Subscription[Any]]) -> None:
        self.subscriptions = tuple(subscriptions)

    @property
    def states(self) -> dict[str, StreamState]:
        return {str(s.key.symbol): s.state for s in self.subscriptions}

    async def cancel(self) -> None:
        for sub in self.subscriptions:
            await sub.cancel()


class Streaming:
    """The supervised half of :class:`BaseExchange` (see the module docstring)."""

    def __init__(self) -> None:
        self._supervisor: Supervisor | None = None
        self._fanout: Fanout | None = None
        self._seeds: dict[StreamKey, Sequence[Any]] = {}

    # hooks the adapter provides ---------------------------------------------------------
    @property
    @abstractmethod
    def id(self) -> str: ...

    @property
    @abstractmethod
    def account(self) -> str | None: ...

    @property
    @abstractmethod
    def settings(self) -> Settings: ...

    @abstractmethod
    async def _ensure_open(self, method: str) -> None: ...

    @abstractmethod
    def _check_stream(self, key: StreamKey, method: str) -> None:
        """Refuse a stream before anything is sent: unknown symbol or timeframe, a channel
        the venue can neither stream nor poll (:class:`core.NotSupported`)."""

    @abstractmethod
    def _make_feed(self, key: StreamKey) -> Feed[Any]: ...

    def _make_policy(self, key: StreamKey, feed: Feed[Any]) -> Policy[Any]:
        policy = policy_for(key, sequential=feed.sequential_ids)
        seed = self._seeds.get(key)
        if seed:  # a shared stream taken over: continue (and repair) from what was published
            policy.accept(seed)
        return policy

    def _shared_connection(self) -> Connection | None:
        """The Redis connection public streams are shared through (None: in-process)."""
        return None

    def _sharing_scope(self) -> str:
        """What must match for two adapters to share a stream (venue, host, market type)."""
        return self.id

    # the supervisor ---------------------------------------------------------------------
    @property
    def supervisor(self) -> Supervisor:
        """This adapter's streams (``add_listener`` for every event, ``health()``)."""
        if self._supervisor is None:
            self._supervisor = Supervisor(
                self.id, self.account, self.settings, self._make_feed, self._make_policy
            )
        return self._supervisor

    def health(self) -> Health:
        """Every supervised stream's state, last message age, reconnects and gaps; with
        ``EXCHANGES_REDIS_URL``, whether this process holds a public stream or reads it, and
        its holder (``role``, ``holder``)."""
        health = self.supervisor.health()
        if self._fanout is None:
            return health
        shared = self._fanout.health()
        keys = {h.key for h in shared}
        local = tuple(h for h in health.streams if h.key not in keys)
        return Health(health.venue, health.account, local + tuple(shared))

    def _fanout_for(self, key: StreamKey) -> Fanout | None:
        if not shareable(key):
            return None
        connection = self._shared_connection()
        if connection is None:
            return None
        if self._fanout is None or self._fanout.connection is not connection:
            self._fanout = Fanout(connection, self._sharing_scope(), self._open_seeded)
        return self._fanout

    async def _open_seeded(
        self, sub: Subscription[Any], stale_after: float | None, seed: Sequence[Any]
    ) -> None:
        """A shared stream's own supervised stream in this process, its policy seeded."""
        self._seeds[sub.key] = seed
        try:
            await self.supervisor.attach(sub, stale_after)
        finally:
            self._seeds.pop(sub.key, None)

    async def _close_streams(self) -> None:
        if self._fanout is not None:
            fanout, self._fanout = self._fanout, None
            await fanout.close()  # first: their sources are supervised streams
        if self._supervisor is not None:
            await self._supervisor.close()

    def _subscription(
        self,
        method: str,
        key: StreamKey,
        callback: Callback[T] | None,
        stale_after: float | None,
        queue_size: int | None,
        on_event: EventListener | None,
    ) -> Subscription[T]:
        check = Arguments(self.id, method)  # at the door: types here, markets at start
        if key.channel in _SYMBOL_CHANNELS:
            check.symbol(key.symbol)
        else:
            check.optional_symbol(key.symbol)
        if key.channel is Channel.OHLCV:
            check.text(key.timeframe, "timeframe")
        if stale_after is not None and stale_after <= 0:
            raise ValueError("stale_after: must be a positive number of seconds")
        if queue_size is None:
            queue_size = 1 if key.channel in _STATE_CHANNELS else self.settings.stream_queue_size
        elif queue_size < 1:
            raise ValueError("queue_size: must be at least 1")

        async def start(sub: Subscription[T]) -> None:
            await self._ensure_open(method)
            self._check_stream(key, method)
            fanout = self._fanout_for(key)
            if fanout is not None:  # EXCHANGES_REDIS_URL: one connection per stream per host
                await fanout.attach(sub, stale_after)
            else:
                await self.supervisor.attach(sub, stale_after)

        return Subscription(key, start, queue_size=queue_size, callback=callback, on_event=on_event)

    async def _subscribe(
        self, method: str, key: StreamKey, callback: Callback[T], **options: Any
    ) -> Subscription[T]:
        if not callable(callback):
            raise TypeError(f"{method}: callback must be callable")
        return await self._subscription(method, key, callback, **_opts(options)).start()

    def _stream(self, method: str, key: StreamKey, **options: Any) -> Subscription[T]:
        return self._subscription(method, key, None, **_opts(options))

    # stream_*: async iterators -----------------------------------------------------------
    def stream_ticker(self, symbol: str, **options: Any) -> Subscription[Ticker]:
        return self._stream("stream_ticker", StreamKey(Channel.TICKER, symbol), **options)

    def stream_trades(self, symbol: str, **options: Any) -> Subscription[Trade]:
        return self._stream("stream_trades", StreamKey(Channel.TRADES, symbol), **options)

    def stream_order_book(self, symbol: str, **options: Any) -> Subscription[OrderBook]:
        return self._stream("stream_order_book", StreamKey(Channel.ORDER_BOOK, symbol), **options)

    def stream_ohlcv(
        self, symbol: str, timeframe: str = "1m", **options: Any
    ) -> Subscription[Candle]:
        key = StreamKey(Channel.OHLCV, symbol, timeframe)
        return self._stream("stream_ohlcv", key, **options)

    def stream_balance(self, **options: Any) -> Subscription[Balance]:
        return self._stream("stream_balance", StreamKey(Channel.BALANCE), **options)

    def stream_orders(self, symbol: str | None = None, **options: Any) -> Subscription[Order]:
        return self._stream("stream_orders", StreamKey(Channel.ORDERS, symbol), **options)

    def stream_my_trades(self, symbol: str | None = None, **options: Any) -> Subscription[Fill]:
        return self._stream("stream_my_trades", StreamKey(Channel.MY_TRADES, symbol), **options)

    # subscribe_*: callbacks -----------------------------------------------------------------
    async def subscribe_ticker(
        self, symbol: str, callback: Callback[Ticker], **options: Any
    ) -> Subscription[Ticker]:
        key = StreamKey(Channel.TICKER, symbol)
        return await self._subscribe("subscribe_ticker", key, callback, **options)

    async def subscribe_trades(
        self, symbol: str, callback: Callback[Trade], **options: Any
    ) -> Subscription[Trade]:
        key = StreamKey(Channel.TRADES, symbol)
        return await self._subscribe("subscribe_trades", key, callback, **options)

    async def subscribe_order_book(
        self, symbol: str, callback: Callback[OrderBook], **options: Any
    ) -> Subscription[OrderBook]:
        key = StreamKey(Channel.ORDER_BOOK, symbol)
        return await self._subscribe("subscribe_order_book", key, callback, **options)

    async def subscribe_ohlcv(
        self, symbol: str, callback: Callback[Candle], timeframe: str = "1m", **options: Any
    ) -> Subscription[Candle]:
        key = StreamKey(Channel.OHLCV, symbol, timeframe)
        return await self._subscribe("subscribe_ohlcv", key, callback, **options)

    async def subscribe_balance(
        self, callback: Callback[Balance], **options: Any
    ) -> Subscription[Balance]:
        key = StreamKey(Channel.BALANCE)
        return await self._subscribe("subscribe_balance", key, callback, **options)

    async def subscribe_orders(
        self, callback: Callback[Order], symbol: str | None = None, **options: Any
    ) -> Subscription[Order]:
        key = StreamKey(Channel.ORDERS, symbol)
        return await self._subscribe("subscribe_orders", key, callback, **options)

    async def subscribe_my_trades(
        self, callback: Callback[Fill], symbol: str | None = None, **options: Any
    ) -> Subscription[Fill]:
        key = StreamKey(Channel.MY_TRADES, symbol)
        return await self._subscribe("subscribe_my_trades", key, callback, **options)

    # *_for_symbols: one supervised stream per symbol ---------------------------------------
    async def _for_symbols(
        self, method: str, channel: Channel, symbols: Iterable[str], callback: Any, options: Any
    ) -> SubscriptionGroup:
        check = Arguments(self.id, method)
        wanted = list(dict.fromkeys(check.symbols(symbols)))
        if not wanted:
            raise check.fail("symbols", "at least one symbol is required")
        subs: list[Subscription[Any]] = []
        try:
            for symbol in wanted:
                key = StreamKey(channel, symbol)
                subs.append(await self._subscribe(method, key, callback, **options))
        except BaseException:
            for sub in subs:
                await sub.cancel()
            raise
        return SubscriptionGroup(subs)

    async def subscribe_tickers(
        self, symbols: Iterable[str], callback: Callback[Ticker], **options: Any
    ) -> SubscriptionGroup:
        return await self._for_symbols(
            "subscribe_tickers", Channel.TICKER, symbols, callback, options
        )

    async def subscribe_trades_for_symbols(
        self, symbols: Iterable[str], callback: Callback[Trade], **options: Any
    ) -> SubscriptionGroup:
        return await self._for_symbols(
            "subscribe_trades_for_symbols", Channel.TRADES, symbols, callback, options
        )

    async def subscribe_order_book_for_symbols(
        self, symbols: Iterable[str], callback: Callback[OrderBook], **options: Any
    ) -> SubscriptionGroup:
        return await self._for_symbols(
            "subscribe_order_book_for_symbols", Channel.ORDER_BOOK, symbols, callback, options
        )


_OPTIONS = ("stale_after", "queue_size", "on_event")


def _opts(options: dict[str, Any]) -> dict[str, Any]:
    unknown = set(options) - set(_OPTIONS)
    if unknown:
        raise TypeError(f"unexpected option(s): {', '.join(sorted(unknown))}")
    return {name: options.get(name) for name in _OPTIONS}
