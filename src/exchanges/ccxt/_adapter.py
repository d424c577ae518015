"""``CcxtExchange``: one generic adapter for every ccxt.pro venue id.

It converts ccxt's dicts to the typed records once, maps every ccxt exception through
:func:`core.translate_errors`, refuses methods the venue lacks (``has``) with
:class:`core.NotSupported`, and validates every order before anything is sent. Venue
quirks live in thin subclasses (``exchanges.venues``), never in ``if venue == ...`` here.
Construction, markets and lifecycle are in :class:`CcxtCore`; orders (placing,
cancelling, settling a lost answer, reading them back) in :class:`CcxtTrading`; this
class adds market data, balances and positions, the watch methods and the stream hooks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from core import (
    BadRequest,
    Balance,
    Candle,
    Fill,
    Market,
    NotSupported,
    Order,
    OrderBook,
    Position,
    Ticker,
    Trade,
    convert,
)
from core._feed import Feed
from core._streams import Channel, StreamKey
from exchanges.ccxt._core import ccxt_venues, unknown_venue
from exchanges.ccxt._feeds import FEEDS, fetch_method, watch_method
from exchanges.ccxt._trading import CcxtTrading

__all__ = ["CcxtExchange", "ccxt_venues", "unknown_venue"]


class CcxtExchange(CcxtTrading):
    """A ccxt.pro-backed adapter for one (venue, account, market type); see
    :class:`CcxtCore` for the constructor's arguments."""

    # ------------------------------------------------------------------ supervised streams
    def _check_stream(self, key: StreamKey, method: str) -> None:
        self._ensure_not_closed(method)
        if not (
            self._capabilities.supports(watch_method(key.channel))
            or self._capabilities.supports(fetch_method(key.channel))
        ):
            raise NotSupported(
                f"{self._venue} can neither stream nor poll {key.channel.value}",
                venue=self._venue,
                method=method,
            )
        if key.symbol is not None:
            self.market(key.symbol)
        if key.timeframe is not None:
            self._timeframe(key.timeframe, method)

    def _make_feed(self, key: StreamKey) -> Feed[Any]:
        return FEEDS[key.channel](self, key)

    async def recent_trades(self, symbol: str) -> list[Trade]:
        """The latest public trades, with the same ids the trade stream carries (how a
        trade stream is polled and checked)."""
        return await self.fetch_trades(symbol)

    async def backfill_trades(self, symbol: str, after: Trade) -> list[Trade] | None:
        """Public trades after ``after``, oldest first (one page): how a trade stream fills
        a hole. By default, trades since ``after``'s timestamp (the caller drops those
        already seen); venues that can page by trade id override it."""
        if after.timestamp is None:
            return None
        return await self.fetch_trades(symbol, since=after.timestamp)

    # ------------------------------------------------------------------ REST: market data
    async def fetch_markets(self, *, reload: bool = False) -> dict[str, Market]:
        self._args("fetch_markets").flag(reload, "reload")
        await self._prepare("fetch_markets")
        if reload:
            await self._load_markets(reload=True)
        return dict(self._markets)

    async def fetch_ticker(self, symbol: str) -> Ticker:
        self._args("fetch_ticker").symbol(symbol)
        await self._prepare("fetch_ticker")
        self.market(symbol)
        return convert.ticker(await self._read("fetch_ticker", self._client.fetch_ticker, symbol))

    async def fetch_tickers(self, symbols: Sequence[str] | None = None) -> dict[str, Ticker]:
        wanted = self._args("fetch_tickers").optional_symbols(symbols)
        await self._prepare("fetch_tickers")
        for symbol in wanted or ():
            self.market(symbol)
        raw = await self._read("fetch_tickers", self._client.fetch_tickers, wanted or None)
        return {symbol: convert.ticker(t) for symbol, t in raw.items()}

    async def fetch_order_book(self, symbol: str, limit: int | None = None) -> OrderBook:
        check = self._args("fetch_order_book")
        check.symbol(symbol)
        check.limit(limit)
        await self._prepare("fetch_order_book")
        self.market(symbol)
        raw = await self._read("fetch_order_book", self._client.fetch_order_book, symbol, limit)
        return convert.order_book(raw, symbol, synced=False)  # a REST snapshot

    async def fetch_trades(
        self, symbol: str, since: int | None = None, limit: int | None = None
    ) -> list[Trade]:
        check = self._args("fetch_trades")
        check.symbol(symbol)
        check.since(since)
        check.limit(limit)
        await self._prepare("fetch_trades")
        self.market(symbol)
        raw = await self._read("fetch_trades", self._client.fetch_trades, symbol, since, limit)
        return [convert.trade(t) for t in raw]

    async def fetch_ohlcv(
        self, symbol: str, timeframe: str = "1m", since: int | None = None, limit: int | None = None
    ) -> list[Candle]:
        check = self._args("fetch_ohlcv")
        check.symbol(symbol)
        check.since(since)
        check.limit(limit)
        self._timeframe(timeframe, "fetch_ohlcv")
        await self._prepare("fetch_ohlcv")
        self.market(symbol)
        raw = await self._read(
            "fetch_ohlcv", self._client.fetch_ohlcv, symbol, timeframe, since, limit
        )
        return [convert.candle(c) for c in raw]

    # ------------------------------------------------------------------ REST: account
    async def fetch_balance(self) -> Balance:
        await self._prepare("fetch_balance")
        return convert.balance(await self._read("fetch_balance", self._client.fetch_balance))

    async def fetch_positions(self, symbols: Sequence[str] | None = None) -> list[Position]:
        wanted = self._args("fetch_positions").optional_symbols(symbols)
        await self._prepare("fetch_positions")
        raw = await self._read("fetch_positions", self._client.fetch_positions, wanted or None)
        return [convert.position(p) for p in raw]

    # ------------------------------------------------------------------ REST: orders read back
    async def fetch_order_status(
        self, order_id: str, symbol: str, *, params: Mapping[str, Any] | None = None
    ) -> Order:
        check = self._args("fetch_order_status")
        check.text(order_id, "order_id")
        check.symbol(symbol)
        extra = self._extra_params(params, "fetch_order_status", BadRequest, lookup=True)
        await self._prepare("fetch_order_status")
        self.market(symbol)
        return self._tracked(await self._fetch_order(order_id, symbol, extra))

    async def fetch_open_orders(self, symbol: str | None = None) -> list[Order]:
        self._args("fetch_open_orders").optional_symbol(symbol)
        await self._prepare("fetch_open_orders")
        if symbol is not None:
            self.market(symbol)
        raw = await self._read("fetch_open_orders", self._client.fetch_open_orders, symbol)
        with self._reading("fetch_open_orders"):
            orders = [convert.order(o) for o in raw]
        for order in orders:
            self._tracked(order)
        return orders

    async def fetch_my_trades(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None
    ) -> list[Fill]:
        check = self._args("fetch_my_trades")
        check.optional_symbol(symbol)
        check.since(since)
        check.limit(limit)
        await self._prepare("fetch_my_trades")
        if symbol is not None:
            self.market(symbol)
        raw = await self._read(
            "fetch_my_trades", self._client.fetch_my_trades, symbol, since, limit
        )
        with self._reading("fetch_my_trades"):
            return [convert.fill(t) for t in raw]

    # ------------------------------------------------------------------ WebSocket
    def _watch_args(
        self,
        method: str,
        params: object,
        *,
        since: object = None,
        limit: object = None,
    ) -> tuple[int | None, int | None, dict[str, Any]]:
        """``since``, ``limit`` and ``params`` checked, before anything is sent."""
        check = self._args(method)
        return check.since(since), check.limit(limit), check.params(params)

    async def watch_ticker(self, symbol: str, *, params: Mapping[str, Any] | None = None) -> Ticker:
        self._args("watch_ticker").symbol(symbol)
        _, _, extra = self._watch_args("watch_ticker", params)
        await self._prepare("watch_ticker")
        self.market(symbol)
        raw = await self._call("watch_ticker", self._client.watch_ticker(symbol, extra))
        return convert.ticker(raw)

    async def watch_tickers(
        self, symbols: Sequence[str] | None = None, *, params: Mapping[str, Any] | None = None
    ) -> dict[str, Ticker]:
        wanted = self._args("watch_tickers").optional_symbols(symbols)
        _, _, extra = self._watch_args("watch_tickers", params)
        await self._prepare("watch_tickers")
        for symbol in wanted or ():
            self.market(symbol)
        watch = self._client.watch_tickers(wanted or None, extra)
        raw = await self._call("watch_tickers", watch)
        return {symbol: convert.ticker(t) for symbol, t in raw.items()}

    async def watch_trades(
        self,
        symbol: str,
        since: int | None = None,
        limit: int | None = None,
        *,
        params: Mapping[str, Any] | None = None,
    ) -> list[Trade]:
        self._args("watch_trades").symbol(symbol)
        since, limit, extra = self._watch_args("watch_trades", params, since=since, limit=limit)
        await self._prepare("watch_trades")
        self.market(symbol)
        watch = self._client.watch_trades(symbol, since, limit, extra)
        return [convert.trade(t) for t in await self._call("watch_trades", watch)]

    async def watch_order_book(
        self, symbol: str, limit: int | None = None, *, params: Mapping[str, Any] | None = None
    ) -> OrderBook:
        self._args("watch_order_book").symbol(symbol)
        _, limit, extra = self._watch_args("watch_order_book", params, limit=limit)
        await self._prepare("watch_order_book")
        self.market(symbol)
        watch = self._client.watch_order_book(symbol, limit, extra)
        raw = await self._call("watch_order_book", watch)
        return convert.order_book(raw, symbol, synced=True, limit=limit)

    async def watch_ohlcv(
        self,
        symbol: str,
        timeframe: str = "1m",
        since: int | None = None,
        limit: int | None = None,
        *,
        params: Mapping[str, Any] | None = None,
    ) -> list[Candle]:
        self._args("watch_ohlcv").symbol(symbol)
        self._timeframe(timeframe, "watch_ohlcv")
        since, limit, extra = self._watch_args("watch_ohlcv", params, since=since, limit=limit)
        await self._prepare("watch_ohlcv")
        self.market(symbol)
        watch = self._client.watch_ohlcv(symbol, timeframe, since, limit, extra)
        return [convert.candle(c) for c in await self._call("watch_ohlcv", watch)]

    async def watch_balance(self, *, params: Mapping[str, Any] | None = None) -> Balance:
        _, _, extra = self._watch_args("watch_balance", params)
        await self._prepare("watch_balance")
        gate = self._credential_gate
        return convert.balance(await gate.watch("watch_balance", self._client.watch_balance(extra)))

    async def watch_orders(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        *,
        params: Mapping[str, Any] | None = None,
    ) -> list[Order]:
        self._args("watch_orders").optional_symbol(symbol)
        since, limit, extra = self._watch_args("watch_orders", params, since=since, limit=limit)
        await self._prepare("watch_orders")
        gate = self._credential_gate
        watch = self._client.watch_orders(symbol, since, limit, extra)
        raw = await gate.watch("watch_orders", watch)
        with self._reading("watch_orders"):
            return [convert.order(o) for o in raw]

    async def watch_my_trades(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        *,
        params: Mapping[str, Any] | None = None,
    ) -> list[Fill]:
        self._args("watch_my_trades").optional_symbol(symbol)
        since, limit, extra = self._watch_args("watch_my_trades", params, since=since, limit=limit)
        await self._prepare("watch_my_trades")
        gate = self._credential_gate
        watch = self._client.watch_my_trades(symbol, since, limit, extra)
        raw = await gate.watch("watch_my_trades", watch)
        with self._reading("watch_my_trades"):
            return [convert.fill(t) for t in raw]

    # ------------------------------------------------------------------ WebSocket: stop
    async def _un_watch(
        self,
        method: str,
        keys: Sequence[StreamKey],
        params: object,
        un_watch: Callable[..., Awaitable[Any]],
        *args: Any,
    ) -> None:
        """ccxt's ``un_watch(*args, params)``, unless a supervised stream of this adapter
        reads one of ``keys`` (it shares the venue's subscription): then BadRequest."""
        _, _, extra = self._watch_args(method, params)
        await self._prepare(method)
        held = {s.key for s in self._supervisor.streams()} if self._supervisor else set()
        for key in keys:
            if key in held:
                raise self._args(method).fail(
                    "symbol",
                    f"a supervised {key.channel.value} stream of {key.symbol} is open on "
                    "this adapter (stream_*/subscribe_*): cancel that subscription instead",
                )
        await self._call(method, un_watch(*args, extra))

    async def un_watch_ticker(
        self, symbol: str, *, params: Mapping[str, Any] | None = None
    ) -> None:
        self._args("un_watch_ticker").symbol(symbol)
        keys = [StreamKey(Channel.TICKER, symbol)]
        await self._un_watch("un_watch_ticker", keys, params, self._client.un_watch_ticker, symbol)

    async def un_watch_tickers(
        self, symbols: Sequence[str] | None = None, *, params: Mapping[str, Any] | None = None
    ) -> None:
        wanted = self._args("un_watch_tickers").optional_symbols(symbols)
        keys = [StreamKey(Channel.TICKER, s) for s in wanted or ()]
        un_watch = self._client.un_watch_tickers
        await self._un_watch("un_watch_tickers", keys, params, un_watch, wanted or None)

    async def un_watch_trades(
        self, symbol: str, *, params: Mapping[str, Any] | None = None
    ) -> None:
        self._args("un_watch_trades").symbol(symbol)
        keys = [StreamKey(Channel.TRADES, symbol)]
        await self._un_watch("un_watch_trades", keys, params, self._client.un_watch_trades, symbol)

    async def un_watch_order_book(
        self, symbol: str, *, params: Mapping[str, Any] | None = None
    ) -> None:
        self._args("un_watch_order_book").symbol(symbol)
        keys = [StreamKey(Channel.ORDER_BOOK, symbol)]
        un_watch = self._client.un_watch_order_book
        await self._un_watch("un_watch_order_book", keys, params, un_watch, symbol)

    async def un_watch_ohlcv(
        self, symbol: str, timeframe: str = "1m", *, params: Mapping[str, Any] | None = None
    ) -> None:
        self._args("un_watch_ohlcv").symbol(symbol)
        self._timeframe(timeframe, "un_watch_ohlcv")
        keys = [StreamKey(Channel.OHLCV, symbol, timeframe)]
        un_watch = self._client.un_watch_ohlcv
        await self._un_watch("un_watch_ohlcv", keys, params, un_watch, symbol, timeframe)
