"""ccxt.pro-backed feeds: each supervised channel as the supervisor needs it.

A feed calls the unmodified ccxt client (``watch_*`` for the stream, the adapter's own
``fetch_*`` for REST, so reads keep their retries and the ban breaker), converts to the
records once, and maps errors through :func:`core.translate_errors`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from ccxt.base.errors import NetworkError as CcxtNetworkError

from core import (
    BadRequest,
    Balance,
    Candle,
    ExchangeError,
    Fill,
    NetworkError,
    Order,
    OrderBook,
    Ticker,
    Trade,
    convert,
    get_logger,
    translate_errors,
)
from core._feed import Feed
from core._streams import Channel, StreamKey
from exchanges.ccxt._core import CcxtCore
from exchanges.trading._ratelimit import repairing

T = TypeVar("T")
log = get_logger(__name__)

_WATCH = {
    Channel.TICKER: "watch_ticker",
    Channel.TRADES: "watch_trades",
    Channel.ORDER_BOOK: "watch_order_book",
    Channel.OHLCV: "watch_ohlcv",
    Channel.BALANCE: "watch_balance",
    Channel.ORDERS: "watch_orders",
    Channel.MY_TRADES: "watch_my_trades",
}
_FETCH = {
    Channel.TICKER: "fetch_ticker",
    Channel.TRADES: "fetch_trades",
    Channel.ORDER_BOOK: "fetch_order_book",
    Channel.OHLCV: "fetch_ohlcv",
    Channel.BALANCE: "fetch_balance",
    Channel.ORDERS: "fetch_open_orders",
    Channel.MY_TRADES: "fetch_my_trades",
}


def watch_method(channel: Channel) -> str:
    return _WATCH[channel]


def fetch_method(channel: Channel) -> str:
    return _FETCH[channel]


class CcxtFeed(Feed[T]):
    #: how far back :meth:`_pending` looks in ccxt's cache for records not yet passed on
    scan_limit = 1_000_000
    #: the cache holds events (not one state): a marker evicted unread means records lost
    tracks_overflow = False
    #: signed with the adapter's credentials (their refusal is shared: CredentialGate)
    private = False

    def __init__(self, adapter: CcxtCore, key: StreamKey) -> None:
        self.key = key
        self._adapter = adapter
        self._client: Any = adapter.raw
        self._venue = adapter.id
        self._method = _WATCH[key.channel]
        self.can_stream = adapter.capabilities.supports(self._method)
        self._last: Any = None  # the newest raw record passed on (compared by identity)
        self._links: list[Any] | None = None  # the ccxt clients that served the last read

    def _check_link(self) -> None:
        """Fail if a connection that served the last read dropped since. ccxt would let
        the next ``watch_*`` dial and resubscribe without a word, hiding the outage from
        the supervisor (no reconnect counted, nothing backfilled)."""
        links = self._links
        if not links:
            return
        clients = self._client.clients or {}
        for client in links:
            if client.closed() or clients.get(client.url) is not client:
                self._links = None
                raise NetworkError(
                    f"{self._venue}: the connection carrying {self.key} dropped between reads",
                    venue=self._venue,
                    method=self._method,
                )

    def _note_link(self) -> None:
        if self._links is None:
            clients = (self._client.clients or {}).values()
            self._links = [c for c in clients if self._carries(c)] or None

    def _cache(self) -> Sequence[Any] | None:
        """ccxt's cache of this stream's raw records, oldest first (None: not kept)."""
        return None

    #: times ccxt's cache evicted the last record passed on before it was read past it:
    #: records were lost there (the supervisor reports a gap where ids cannot show it)
    overflowed = 0

    def _pending(self) -> list[Any] | None:
        """Raw records ccxt received after the last ``watch()`` returned. ccxt resolves a
        watch only on the *next* message, so without this the newest record would wait,
        in a quiet market indefinitely, for another one to arrive."""
        last = self._last
        if last is None:
            return None
        cache = self._cache()
        if not cache or cache[-1] is last:
            return None
        self._check_link()
        out: list[Any] = []
        found = False
        for n, item in enumerate(reversed(cache)):
            if item is last:
                found = True
                break
            if n >= self.scan_limit:
                found = True  # not looked further: candles are replaced in place
                break
            out.append(item)
        if not found and self.tracks_overflow:
            self.overflowed += 1
        out.reverse()
        return out

    async def _next(self, watch: Callable[[], Awaitable[Any]]) -> tuple[Any, bool]:
        """The raw records ccxt received since the last read, from its cache at once, else
        what ``watch()`` resolves with next; and whether they came from the cache."""
        pending = self._pending()
        if pending:
            self._last = pending[-1]
            return pending, True
        raw = await self._watched(watch())
        self._remember()
        return raw, False

    def _remember(self) -> None:
        cache = self._cache()
        if cache:
            self._last = cache[-1]

    async def _watched(self, awaitable: Awaitable[Any]) -> Any:
        self._check_link()
        if self.private:  # one refusal of the credentials fails every private channel
            awaitable = self._adapter._credential_gate.watch(self._method, awaitable)
        try:
            with translate_errors(self._venue, self._method):
                result = await awaitable
        except ExchangeError as exc:
            self._links = None
            self._adapter._guard.observe(exc)  # Retry-After / ban end from the headers
            raise
        self._note_link()
        return result

    def repairing(self, deadline: float | None = None) -> AbstractContextManager[None]:
        return repairing(deadline)

    def reconnect(self, reason: str) -> bool:
        clients = list((getattr(self._client, "clients", None) or {}).values())
        carriers = [c for c in clients if self._carries(c)] or clients
        for client in carriers:
            log.warning("stream.connection_dropped", venue=self._venue, stream=str(self.key),
                        url=getattr(client, "url", None), reason=reason)  # fmt: skip
            # the path a network failure takes: pending futures fail, the socket closes,
            # ccxt forgets the client, and the next watch dials and resubscribes
            client.on_error(CcxtNetworkError(reason))
        return bool(carriers)

    def _carries(self, client: Any) -> bool:
        """Whether a ccxt WebSocket client carries this stream: one of its message hashes
        names the symbol as a whole ``:``-separated part (``trade::BTC/USDT``), or for a
        private stream the channel (``orders``, ``balance``, ``myTrades``)."""
        word = self.key.symbol or _PRIVATE_HASH_WORD.get(self.key.channel)
        if word is None:
            return False
        pattern = re.compile(rf"(?:^|:){re.escape(word)}(?:$|::|:[A-Za-z]*$)")
        names = (*getattr(client, "subscriptions", {}), *getattr(client, "futures", {}))
        return any(pattern.search(str(name)) for name in names)

    async def connected(self) -> bool:
        await asyncio.sleep(0)  # let the pending watch() create its client
        clients = (getattr(self._client, "clients", None) or {}).values()
        carriers = [c for c in clients if self._carries(c)]
        if not carriers:
            return False
        try:
            await asyncio.gather(*(asyncio.shield(c.connected) for c in carriers))
        except Exception:  # the dial failed: the pending watch() raises it, translated
            return False
        return all(not c.closed() for c in carriers)

    async def unwatch(self) -> None:
        name = "un_" + self._method
        unwatch = getattr(self._client, name, None)
        if unwatch is None or not self._client.has.get(_camel(name)):
            return
        args = [a for a in (self.key.symbol, self.key.timeframe) if a is not None]
        await self._watched(unwatch(*args))


_PRIVATE_HASH_WORD = {
    Channel.BALANCE: "balance",
    Channel.ORDERS: "orders",
    Channel.MY_TRADES: "myTrades",
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class TickerFeed(CcxtFeed[Ticker]):
    def _cache(self) -> Sequence[Any] | None:
        ticker = (self._client.tickers or {}).get(self.key.symbol)
        return None if ticker is None else [ticker]

    async def watch(self) -> Sequence[Ticker]:
        raw, cached = await self._next(lambda: self._client.watch_ticker(self.key.symbol))
        return [convert.ticker(raw[-1] if cached else raw)]

    async def poll(self) -> Sequence[Ticker]:
        return [await self._adapter.fetch_ticker(str(self.key.symbol))]


class TradesFeed(CcxtFeed[Trade]):
    tracks_overflow = True

    def __init__(self, adapter: CcxtCore, key: StreamKey) -> None:
        super().__init__(adapter, key)
        self.sequential_ids = adapter.sequential_trade_ids

    def _cache(self) -> Sequence[Any] | None:
        cache: Sequence[Any] | None = (self._client.trades or {}).get(self.key.symbol)
        return cache

    async def watch(self) -> Sequence[Trade]:
        raw, _ = await self._next(lambda: self._client.watch_trades(self.key.symbol))
        trade = convert.trade
        return [trade(t) for t in raw]

    async def poll(self) -> Sequence[Trade]:
        return await self._adapter.recent_trades(str(self.key.symbol))

    async def since(self, last: Trade) -> Sequence[Trade] | None:
        return await self._adapter.backfill_trades(str(self.key.symbol), last)

    async def page(self, first_id: int, count: int) -> Sequence[Trade] | None:
        return await self._adapter.trades_from_id(str(self.key.symbol), first_id, count)


class OrderBookFeed(CcxtFeed[OrderBook]):
    async def watch(self) -> Sequence[OrderBook]:
        # ccxt keeps one book object per symbol, updated in sequence; one newer than the
        # last passed on (by its update id) is served without waiting for another update
        self._check_link()
        book = (self._client.orderbooks or {}).get(self.key.symbol)
        if book is not None and self._last is not None:
            nonce = book.get("nonce")
            if nonce is not None and nonce != self._last:
                self._last = nonce
                return [convert.order_book(book, self.key.symbol, synced=True)]
        raw = await self._watched(self._client.watch_order_book(self.key.symbol))
        self._last = raw.get("nonce")
        return [convert.order_book(raw, self.key.symbol, synced=True)]

    async def poll(self) -> Sequence[OrderBook]:
        return [await self._adapter.fetch_order_book(str(self.key.symbol))]


class OhlcvFeed(CcxtFeed[Candle]):
    scan_limit = 3  # the current period's candle is replaced in place: look at the newest

    def _cache(self) -> Sequence[Any] | None:
        by_timeframe = (self._client.ohlcvs or {}).get(self.key.symbol) or {}
        cache: Sequence[Any] | None = by_timeframe.get(self.key.timeframe)
        return cache

    async def watch(self) -> Sequence[Candle]:
        key = self.key
        raw, _ = await self._next(lambda: self._client.watch_ohlcv(key.symbol, key.timeframe))
        return [convert.candle(c) for c in raw]

    async def poll(self) -> Sequence[Candle]:
        key = self.key
        return await self._adapter.fetch_ohlcv(str(key.symbol), str(key.timeframe), limit=2)

    async def since(self, last: Candle) -> Sequence[Candle] | None:
        key = self.key
        return await self._adapter.fetch_ohlcv(
            str(key.symbol), str(key.timeframe), since=last.timestamp
        )


class BalanceFeed(CcxtFeed[Balance]):
    private = True

    async def watch(self) -> Sequence[Balance]:
        return [convert.balance(await self._watched(self._client.watch_balance()))]

    async def poll(self) -> Sequence[Balance]:
        return [await self._adapter.fetch_balance()]


class OrdersFeed(CcxtFeed[Order]):
    private = True

    async def watch(self) -> Sequence[Order]:
        raw = await self._watched(self._client.watch_orders(self.key.symbol))
        with self._adapter._reading("watch_orders"):
            return [convert.order(o) for o in raw]

    async def poll(self) -> Sequence[Order]:
        return await self._adapter.fetch_open_orders(self.key.symbol)

    async def refresh(self, item: Order) -> Order | None:
        return await self._adapter.fetch_order_status(item.id, item.symbol)


class MyTradesFeed(CcxtFeed[Fill]):
    private = True
    tracks_overflow = True

    def _cache(self) -> Sequence[Any] | None:
        cache: Sequence[Any] | None = self._client.myTrades
        return cache

    async def watch(self) -> Sequence[Fill]:
        symbol = self.key.symbol
        raw, cached = await self._next(lambda: self._client.watch_my_trades(symbol))
        if cached and symbol is not None:  # ccxt's fill cache holds every symbol's
            raw = [t for t in raw if t.get("symbol") == symbol]
        with self._adapter._reading("watch_my_trades"):
            return [convert.fill(t) for t in raw]

    async def poll(self) -> Sequence[Fill]:
        try:
            return await self._adapter.fetch_my_trades(self.key.symbol)
        except BadRequest:
            if self.key.symbol is None:  # the venue wants a symbol: nothing to poll
                return []
            raise

    async def since(self, last: Fill) -> Sequence[Fill] | None:
        if self.key.symbol is None:
            return None  # most venues read fills per symbol only
        return await self._adapter.fetch_my_trades(self.key.symbol, since=last.timestamp)


FEEDS: dict[Channel, type[CcxtFeed[Any]]] = {
    Channel.TICKER: TickerFeed,
    Channel.TRADES: TradesFeed,
    Channel.ORDER_BOOK: OrderBookFeed,
    Channel.OHLCV: OhlcvFeed,
    Channel.BALANCE: BalanceFeed,
    Channel.ORDERS: OrdersFeed,
    Channel.MY_TRADES: MyTradesFeed,
}
