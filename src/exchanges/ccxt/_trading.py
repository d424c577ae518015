"""``CcxtTrading``: the order methods of the generic adapter: validation before anything is
sent, one client order id per order, writes never retried blindly, a lost answer settled by
reading the venue (by client order id for a placement; a lost cancel is sent again, bounded,
then read), and the account's orders and fills read back. docs/trading.md states what they
guarantee.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

from core import (
    AuthenticationError,
    BadRequest,
    BadResponse,
    ConfigurationError,
    DuplicateOrderId,
    ExchangeError,
    InvalidNonce,
    InvalidOrder,
    NotSupported,
    OperationRejected,
    Order,
    OrderNotFound,
    OrderStateUnknown,
    OrderStatus,
    OrderType,
    RateLimited,
    Side,
    TimeInForce,
    TransientError,
    convert,
    get_logger,
)
from exchanges._base import Number
from exchanges.ccxt._core import CcxtCore
from exchanges.trading._orders import (
    OrderRequest,
    order_from_response,
    require_order_features,
    validate_order,
)

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


class CcxtTrading(CcxtCore):
    """Orders on a ccxt.pro venue (the methods of :class:`exchanges.BaseExchange` that
    trade); :class:`CcxtExchange` is the complete adapter."""

    #: how many times a cancel whose answer was lost is sent again while settling it
    CANCEL_RESENDS: ClassVar[int] = 3

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
        self._args("place_order", InvalidOrder).symbol(symbol)
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
            extra = self._extra_params(params, "place_order", InvalidOrder)
            ccxt_type, ccxt_params = self._order_params(request, extra)
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
        self, order_id: str, symbol: str, params: Mapping[str, Any], cause: Exception
    ) -> Order:
        """A cancel whose answer was lost (it may never have reached the venue): read the
        order until its state is final, sending the cancel again (at most
        ``CANCEL_RESENDS`` times) while the venue shows it open. A cancel sent twice cannot
        trade; an :class:`OrderNotFound` to it means the order is gone, and the next read
        gives its final state. Not final within ``settings.order_settle_timeout``:
        :class:`OrderStateUnknown`."""
        log.warning(
            "order.cancel_settling", venue=self._venue, id=order_id, cause=type(cause).__name__
        )
        resends = 0

        async def read_or_resend() -> Order:
            nonlocal resends
            order = await self._fetch_order(order_id, symbol, params, retry=False)
            if order.status is not OrderStatus.OPEN or resends >= self.CANCEL_RESENDS:
                return order
            resends += 1
            log.info("order.cancel_resent", venue=self._venue, id=order_id, attempt=resends)
            with contextlib.suppress(OrderNotFound):  # gone meanwhile: read it next round
                return await self._send_cancel(order_id, symbol, params)
            return order

        found, lookups, last = await self._poll_order(
            read_or_resend, lambda order: order.status is not None and order.status.is_final
        )
        if found is not None:
            return found
        raise OrderStateUnknown(
            f"cancel_order outcome unknown after {cause.__class__.__name__}; order {order_id} "
            f"not final after {lookups} lookup(s) and {resends} cancel(s) sent again: {last}",
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
        check = self._args("fetch_order_by_client_id")
        check.text(client_order_id, "client_order_id")
        check.symbol(symbol)
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
        check = self._args("cancel_order", InvalidOrder)
        check.text(order_id, "order_id")
        check.symbol(symbol)
        extra = self._extra_params(params, "cancel_order", InvalidOrder, lookup=True)
        await self._prepare("cancel_order")
        self.market(symbol)
        async with self._in_flight():
            try:
                order = await self._cancel(order_id, symbol, extra)
            except ExchangeError:
                self._order_outcome("cancel_order", "refused")
                raise
        self._order_outcome("cancel_order", "canceled")
        return self._tracked(order)

    async def _cancel(self, order_id: str, symbol: str, params: Mapping[str, Any]) -> Order:
        try:
            return await self._send_cancel(order_id, symbol, params)
        except OrderNotFound:
            # Filled or already cancelled before our cancel arrived: the venue no longer
            # knows it as open. Its final state is the answer (OrderNotFound if none).
            return await self._fetch_order(order_id, symbol, params)
        except (RateLimited, InvalidNonce):
            raise  # refused: the order is as it was
        except TransientError as exc:
            # The cancel may or may not have reached the venue: settle it (a cancel may
            # be sent again: it is idempotent).
            return await self._settle_cancel(order_id, symbol, params, exc)

    async def _send_cancel(self, order_id: str, symbol: str, params: Mapping[str, Any]) -> Order:
        """One cancel request, and the order's state it reports."""
        raw = await self._write(
            "cancel_order", self._client.cancel_order, order_id, symbol, dict(params)
        )
        incomplete = raw.get("side") is None or raw.get("status") is None
        if incomplete and self._capabilities.supports("fetch_order_status"):
            # Some venues answer a cancel with the id only: read the order's state. (A
            # venue that cancels asynchronously may still report it open at this point.)
            return await self._fetch_order(order_id, symbol, params)
        with self._reading("cancel_order"):
            return convert.order(raw)
