"""``CcxtExchange``: one generic adapter for every ccxt.pro venue id.

It converts ccxt's dicts to the typed records once, maps every ccxt exception through
:func:`core.translate_errors`, refuses methods the venue lacks (``has``) with
:class:`core.NotSupported`, and validates every order before anything is sent. Venue
quirks live in thin subclasses (``exchanges.venues``), never in ``if venue == ...`` here.
Construction, markets and lifecycle are in :class:`CcxtCore`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from core import (
    AuthenticationError,
    BadRequest,
    BadResponse,
    Balance,
    Candle,
    ConfigurationError,
    DuplicateOrderId,
    ExchangeError,
    Fill,
    InvalidNonce,
    Market,
    NotSupported,
    OperationRejected,
    Order,
    OrderBook,
    OrderNotFound,
    OrderStateUnknown,
    OrderType,
    Position,
    RateLimited,
    Side,
    Ticker,
    TimeInForce,
    Trade,
    TransientError,
    convert,
    get_logger,
)
from core._feed import Feed
from core._streams import StreamKey
from exchanges._base import Number
from exchanges._ccxt_core import CcxtCore, ccxt_venues, unknown_venue
from exchanges._ccxt_feeds import FEEDS, fetch_method, watch_method
from exchanges._orders import (
    OrderRequest,
    check_extra_params,
    order_from_response,
    require_order_features,
    validate_order,
)

__all__ = ["CcxtExchange", "ccxt_venues", "unknown_venue"]
log = get_logger(__name__)

# (ExchangeClosed is not among them: raised from inside the write, it means the client was
# closed under a request that may have been sent.)
_REFUSED = (
    AuthenticationError,
    BadRequest,
    OperationRejected,
    NotSupported,
    InvalidNonce,
    RateLimited,
    ConfigurationError,
)


def _is_this_order(order: Order, request: OrderRequest) -> bool:
    """Whether an order found by client id is the one ``request`` sent (a client id may be
    reused on binance once its first order is closed: the lookup can return that one)."""
    return (
        order.symbol == request.symbol
        and order.side is request.side
        and order.amount == request.amount
        and (request.price is None or order.price == request.price)
    )


class CcxtExchange(CcxtCore):
    """A ccxt.pro-backed adapter for one (venue, account, market type); see
    :class:`CcxtCore` for the constructor's arguments."""

    #: the trade stream numbers trades 1, 2, 3... per symbol, so a hole is visible
    sequential_trade_ids: ClassVar[bool] = False

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
        if key.timeframe is not None and key.timeframe not in (self._client.timeframes or {}):
            raise BadRequest(
                f"timeframe: {key.timeframe!r} is not one of {self._venue}'s"
                f" ({', '.join(self._client.timeframes or {})})",
                venue=self._venue,
            )

    def _make_feed(self, key: StreamKey) -> Feed[Any]:
        return FEEDS[key.channel](self, key)

    async def recent_trades(self, symbol: str) -> list[Trade]:
        """The latest public trades, with the same ids the trade stream carries (how a
        trade stream is polled and checked)."""
        return await self.fetch_trades(symbol)

    async def trades_from_id(self, symbol: str, first_id: int, count: int) -> list[Trade] | None:
        """Up to ``count`` public trades from trade id ``first_id`` on, oldest first, in one
        request: how a stream with consecutive trade ids repairs a hole. ``None`` (the
        default): the venue cannot look trades up by id."""
        return None

    async def backfill_trades(self, symbol: str, after: Trade) -> list[Trade] | None:
        """Public trades after ``after``, oldest first (one page): how a trade stream fills
        a hole. By default, trades since ``after``'s timestamp (the caller drops those
        already seen); venues that can page by trade id override it."""
        if after.timestamp is None:
            return None
        return await self.fetch_trades(symbol, since=after.timestamp)

    # ------------------------------------------------------------------ REST: market data
    async def fetch_markets(self, *, reload: bool = False) -> dict[str, Market]:
        await self._prepare("fetch_markets")
        if reload:
            await self._load_markets(reload=True)
        return dict(self._markets)

    async def fetch_ticker(self, symbol: str) -> Ticker:
        await self._prepare("fetch_ticker")
        self.market(symbol)
        return convert.ticker(await self._read("fetch_ticker", self._client.fetch_ticker, symbol))

    async def fetch_tickers(self, symbols: Sequence[str] | None = None) -> dict[str, Ticker]:
        await self._prepare("fetch_tickers")
        for symbol in symbols or ():
            self.market(symbol)
        raw = await self._read(
            "fetch_tickers", self._client.fetch_tickers, list(symbols) if symbols else None
        )
        return {symbol: convert.ticker(t) for symbol, t in raw.items()}

    async def fetch_order_book(self, symbol: str, limit: int | None = None) -> OrderBook:
        await self._prepare("fetch_order_book")
        self.market(symbol)
        raw = await self._read("fetch_order_book", self._client.fetch_order_book, symbol, limit)
        return convert.order_book(raw, symbol)

    async def fetch_trades(
        self, symbol: str, since: int | None = None, limit: int | None = None
    ) -> list[Trade]:
        await self._prepare("fetch_trades")
        self.market(symbol)
        raw = await self._read("fetch_trades", self._client.fetch_trades, symbol, since, limit)
        return [convert.trade(t) for t in raw]

    async def fetch_ohlcv(
        self, symbol: str, timeframe: str = "1m", since: int | None = None, limit: int | None = None
    ) -> list[Candle]:
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
        await self._prepare("fetch_positions")
        raw = await self._read(
            "fetch_positions",
            self._client.fetch_positions,
            list(symbols) if symbols else None,
        )
        return [convert.position(p) for p in raw]

    def prepare_order(
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
    ) -> OrderRequest:
        """Validate and round an order exactly as ``place_order`` would, without sending it
        (a dry run; needs the markets loaded). Raises :class:`core.InvalidOrder` naming the
        field, :class:`core.BadSymbol`, or :class:`core.NotSupported`."""
        self._ensure_not_closed("prepare_order")
        request = validate_order(
            self.market(symbol),
            side=side,
            type=type,
            amount=amount,
            price=price,
            trigger_price=trigger_price,
            trailing_amount=trailing_amount,
            time_in_force=time_in_force,
            post_only=post_only,
            reduce_only=reduce_only,
            client_order_id=client_order_id,
            id_rules=self.client_order_id_rules,
            id_prefix=self._settings.client_order_id_prefix,
            venue=self._venue,
        )
        require_order_features(request, self._capabilities, self._venue)
        return request

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
    ) -> Order:
        await self._prepare("place_order")
        with self._placement_reported():
            request = self.prepare_order(
                symbol,
                side,
                type,
                amount,
                price,
                trigger_price=trigger_price,
                trailing_amount=trailing_amount,
                time_in_force=time_in_force,
                post_only=post_only,
                reduce_only=reduce_only,
                client_order_id=client_order_id,
            )
            check_extra_params(params or {}, self._venue)
            ccxt_type, ccxt_params = self._order_params(request, params or {})
            log.info(
                "order.send",
                venue=self._venue,
                account=self._account,
                symbol=request.symbol,
                side=request.side.value,
                type=request.type.value,
                amount=str(request.amount),
                price=None if request.price is None else str(request.price),
                client_order_id=request.client_order_id,
            )
            async with self._in_flight():
                return self._tracked(await self._send(request, ccxt_type, ccxt_params))

    @contextmanager
    def _placement_reported(self) -> Iterator[None]:
        """Report the placement's outcome to the order listeners: placed, refused (the
        venue or our checks said no), unknown (:class:`core.OrderStateUnknown`)."""
        try:
            yield
        except OrderStateUnknown:
            self._order_outcome("place_order", "unknown")
            raise
        except ExchangeError:
            self._order_outcome("place_order", "refused")
            raise
        self._order_outcome("place_order", "placed")

    async def _send(
        self, request: OrderRequest, ccxt_type: str, ccxt_params: dict[str, Any]
    ) -> Order:
        try:
            return await self._send_and_settle(request, ccxt_type, ccxt_params)
        except asyncio.CancelledError:
            # The caller gave up (wait_for, task cancel): the order may exist. The client
            # order id is how to find it.
            log.warning(
                "order.cancelled_in_flight",
                venue=self._venue,
                account=self._account,
                client_order_id=request.client_order_id,
            )
            raise

    async def _send_and_settle(
        self, request: OrderRequest, ccxt_type: str, ccxt_params: dict[str, Any]
    ) -> Order:
        price_arg = float(request.price) if request.price is not None else None
        try:
            raw = await self._write(
                "place_order",
                self._client.create_order,
                request.symbol,
                ccxt_type,
                request.side.value,
                float(request.amount),
                price_arg,
                ccxt_params,
            )
        except DuplicateOrderId as exc:
            # An order with this client id exists (the first send after a clock resync, or
            # an earlier one of the caller's): settle, which checks that it is this order.
            return await self._settle(request, exc)
        except _REFUSED:
            raise  # the venue answered and refused: no order exists
        except Exception as exc:
            # Anything else (a timeout, a dropped link, a 5xx, binance's -1006 "execution
            # status unknown", a garbled answer) does not say whether the order exists:
            # sending again could double it. Ask the venue by client order id instead.
            return await self._settle(request, exc)
        try:
            with self._reading("place_order"):
                return order_from_response(raw, request, self._venue)
        except (OrderStateUnknown, BadResponse) as exc:
            # sent and answered, but the answer does not describe it: ask by client id
            return await self._settle(request, exc)

    async def _settle(self, request: OrderRequest, cause: Exception) -> Order:
        """The placement's answer was lost: find the order by its client order id, retrying
        for ``settings.order_settle_timeout`` seconds since it may show up late. Found: it
        is returned. Never found, or the venue unreachable: :class:`OrderStateUnknown`.
        The order is never sent again (binance checks client ids among open orders only,
        so a resend of a filled order would trade twice)."""
        cid = request.client_order_id
        log.warning(
            "order.settling",
            venue=self._venue,
            account=self._account,
            client_order_id=cid,
            cause=cause.__class__.__name__,
        )
        found, lookups, last = await self._poll_order(
            lambda: self._fetch_order(None, request.symbol, {"clientOrderId": cid}, retry=False),
            lambda order: _is_this_order(order, request),
        )
        if found is not None:
            log.info("order.settled", venue=self._venue, client_order_id=cid, id=found.id)
            return found
        raise OrderStateUnknown(
            f"place_order outcome unknown after {cause.__class__.__name__}; {lookups} "
            f"lookup(s) by client order id {cid} in {self._settings.order_settle_timeout} s: "
            f"{last}",
            venue=self._venue,
            method="place_order",
            client_order_id=cid,
        ) from cause

    async def _settle_cancel(
        self, order_id: str, symbol: str, params: Mapping[str, Any] | None, cause: Exception
    ) -> Order:
        """A cancel whose answer was lost: read the order until its state is final."""
        found, lookups, last = await self._poll_order(
            lambda: self._fetch_order(order_id, symbol, params, retry=False),
            lambda order: order.status is not None and order.status.is_final,
        )
        if found is not None:
            return found
        raise OrderStateUnknown(
            f"cancel_order outcome unknown after {cause.__class__.__name__}; order {order_id} "
            f"not final after {lookups} lookup(s): {last}",
            venue=self._venue,
            method="cancel_order",
        ) from cause

    async def _poll_order(
        self, fetch: Callable[[], Awaitable[Order]], accept: Callable[[Order], bool]
    ) -> tuple[Order | None, int, str]:
        """Read an order until ``accept`` holds, with a doubling delay (0.1 s to 1 s), for at
        most ``settings.order_settle_timeout`` seconds. Returns (order or None, lookups,
        what the last lookup said)."""
        lookups, last, delay = 0, "no lookup answered", 0.1
        try:
            async with asyncio.timeout(self._settings.order_settle_timeout):
                while True:
                    lookups += 1
                    try:
                        order = await fetch()
                    except OrderNotFound:
                        last = "the venue has no such order (yet)"
                    except ExchangeError as exc:  # any failure: keep asking until the bound
                        last = f"lookup failed: {exc.__class__.__name__}"
                    else:
                        if accept(order):
                            return order, lookups, last
                        last = f"order {order.id} does not match (status {order.status})"
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 1.0)
        except TimeoutError:
            pass
        return None, lookups, last

    async def fetch_order_by_client_id(self, client_order_id: str, symbol: str) -> Order:
        """Look an order up by the client order id it was placed with (ccxt's unified
        ``clientOrderId`` parameter of ``fetch_order``; venues override where it differs)."""
        await self._prepare("fetch_order_status")
        self.market(symbol)
        return await self._fetch_order(None, symbol, {"clientOrderId": client_order_id})

    async def _fetch_order(
        self,
        order_id: str | None,
        symbol: str,
        params: Mapping[str, Any] | None,
        *,
        retry: bool = True,
    ) -> Order:
        """Read one order. No lifecycle check: settling a write in flight must still read
        while the adapter is closing (``close()`` waits for it). ``retry=False`` for the
        settling loops, which poll on their own."""
        raw = await self._read(
            "fetch_order_status",
            self._client.fetch_order,
            order_id,
            symbol,
            dict(params or {}),
            retry=retry,
        )
        with self._reading("fetch_order_status"):
            return convert.order(raw)

    async def cancel_order(
        self, order_id: str, symbol: str, *, params: Mapping[str, Any] | None = None
    ) -> Order:
        await self._prepare("cancel_order")
        self.market(symbol)
        async with self._in_flight():
            try:
                order = await self._cancel(order_id, symbol, params)
            except ExchangeError:
                self._order_outcome("cancel_order", "refused")
                raise
        self._order_outcome("cancel_order", "canceled")
        return self._tracked(order)

    async def _cancel(self, order_id: str, symbol: str, params: Mapping[str, Any] | None) -> Order:
        try:
            raw = await self._write(
                "cancel_order",
                self._client.cancel_order,
                order_id,
                symbol,
                dict(params or {}),
            )
        except OrderNotFound:
            # Filled or already cancelled before our cancel arrived: the venue no longer
            # knows it as open. Its final state is the answer (OrderNotFound if none).
            return await self._fetch_order(order_id, symbol, params)
        except (RateLimited, InvalidNonce):
            raise  # refused: the order is as it was
        except TransientError as exc:
            # The cancel may or may not have been applied: read the state until final.
            return await self._settle_cancel(order_id, symbol, params, exc)
        incomplete = raw.get("side") is None or raw.get("status") is None
        if incomplete and self._capabilities.supports("fetch_order_status"):
            # Some venues answer a cancel with the id only: read the order's state. (A
            # venue that cancels asynchronously may still report it open at this point.)
            return await self._fetch_order(order_id, symbol, params)
        with self._reading("cancel_order"):
            return convert.order(raw)

    async def fetch_order_status(
        self, order_id: str, symbol: str, *, params: Mapping[str, Any] | None = None
    ) -> Order:
        await self._prepare("fetch_order_status")
        self.market(symbol)
        return self._tracked(await self._fetch_order(order_id, symbol, params))

    async def fetch_open_orders(self, symbol: str | None = None) -> list[Order]:
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
        await self._prepare("fetch_my_trades")
        if symbol is not None:
            self.market(symbol)
        raw = await self._read(
            "fetch_my_trades", self._client.fetch_my_trades, symbol, since, limit
        )
        with self._reading("fetch_my_trades"):
            return [convert.fill(t) for t in raw]

    # ------------------------------------------------------------------ WebSocket
    async def watch_ticker(self, symbol: str) -> Ticker:
        await self._prepare("watch_ticker")
        self.market(symbol)
        return convert.ticker(await self._call("watch_ticker", self._client.watch_ticker(symbol)))

    async def watch_trades(self, symbol: str) -> list[Trade]:
        await self._prepare("watch_trades")
        self.market(symbol)
        raw = await self._call("watch_trades", self._client.watch_trades(symbol))
        return [convert.trade(t) for t in raw]

    async def watch_order_book(self, symbol: str, limit: int | None = None) -> OrderBook:
        await self._prepare("watch_order_book")
        self.market(symbol)
        raw = await self._call("watch_order_book", self._client.watch_order_book(symbol, limit))
        return convert.order_book(raw, symbol, limit=limit)

    async def watch_ohlcv(self, symbol: str, timeframe: str = "1m") -> list[Candle]:
        await self._prepare("watch_ohlcv")
        self.market(symbol)
        raw = await self._call("watch_ohlcv", self._client.watch_ohlcv(symbol, timeframe))
        return [convert.candle(c) for c in raw]

    async def watch_balance(self) -> Balance:
        await self._prepare("watch_balance")
        return convert.balance(await self._call("watch_balance", self._client.watch_balance()))

    async def watch_orders(self, symbol: str | None = None) -> list[Order]:
        await self._prepare("watch_orders")
        raw = await self._call("watch_orders", self._client.watch_orders(symbol))
        with self._reading("watch_orders"):
            return [convert.order(o) for o in raw]

    async def watch_my_trades(self, symbol: str | None = None) -> list[Fill]:
        await self._prepare("watch_my_trades")
        raw = await self._call("watch_my_trades", self._client.watch_my_trades(symbol))
        with self._reading("watch_my_trades"):
            return [convert.fill(t) for t in raw]
