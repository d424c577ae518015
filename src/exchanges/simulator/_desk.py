"""The order desk: Binance's order requests validated, filtered and handed to the engine.

Transport-neutral (REST and the WebSocket API share it); errors are :class:`ApiError`
with Binance's codes and messages.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal

from exchanges.simulator._errors import (
    ApiError,
    filter_failure,
    mandatory,
    unknown_cancel,
    unknown_order,
)
from exchanges.simulator._http import decimal_param, int_param
from exchanges.simulator._matching import MatchingEngine
from exchanges.simulator._records import ZERO, Account, Order, Side
from exchanges.simulator._spec import SymbolSpec
from exchanges.simulator._state import SimState

ORDER_TYPES = ("LIMIT", "MARKET", "LIMIT_MAKER")
TIME_IN_FORCE = ("GTC", "IOC", "FOK")
RESP_TYPES = ("ACK", "RESULT", "FULL")


def _check_price(spec: SymbolSpec, price: Decimal) -> None:
    if price < spec.min_price or price > spec.max_price:
        raise filter_failure("PRICE_FILTER")
    if (price - spec.min_price) % spec.tick_size != 0:
        raise filter_failure("PRICE_FILTER")


def _check_qty(spec: SymbolSpec, qty: Decimal) -> None:
    if qty < spec.min_qty or qty > spec.max_qty:
        raise filter_failure("LOT_SIZE")
    if (qty - spec.min_qty) % spec.step_size != 0:
        raise filter_failure("LOT_SIZE")


class OrderDesk:
    def __init__(self, state: SimState) -> None:
        self._state = state

    def _find(self, account: Account, params: Mapping[str, str]) -> tuple[MatchingEngine, Order]:
        symbol = params.get("symbol")
        if not symbol:
            raise mandatory("symbol")
        engine = self._state.engine(symbol)
        order_id = int_param(params, "orderId")
        client_id = params.get("origClientOrderId")
        if order_id is None and not client_id:
            raise ApiError(
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        found: Order | None = None
        if order_id is not None:
            found = engine.orders.get(order_id)
        else:
            for order in reversed(list(engine.orders.values())):
                if order.client_order_id == client_id:
                    found = order
                    break
        if found is None or found.account != account.api_key:
            raise unknown_order()
        if client_id and found.client_order_id != client_id:
            raise unknown_order()
        return engine, found

    def place(
        self, account: Account, params: Mapping[str, str], *, test: bool = False
    ) -> tuple[Order | None, str]:
        """Validate and (unless ``test``) place an order; returns it and the response type."""
        for name in ("symbol", "side", "type"):
            if not params.get(name):
                raise mandatory(name)
        engine = self._state.engine(params["symbol"])
        spec = engine.spec
        order_type = params["type"]
        if order_type not in ORDER_TYPES:
            raise ApiError(-1116, "Invalid orderType.")
        side_name = params["side"]
        if side_name not in ("BUY", "SELL"):
            raise ApiError(-1117, "Invalid side.")
        side = Side(side_name)
        tif = params.get("timeInForce") or None
        resp_type = params.get("newOrderRespType") or (
            "ACK" if order_type == "LIMIT_MAKER" else "FULL"
        )
        if resp_type not in RESP_TYPES:
            raise ApiError(-1100, "Illegal characters found in parameter 'newOrderRespType'.")
        quantity = decimal_param(params, "quantity")
        quote_qty = decimal_param(params, "quoteOrderQty")
        price = decimal_param(params, "price")
        if order_type == "LIMIT":
            if tif is None:
                raise mandatory("timeInForce")
            if tif not in TIME_IN_FORCE:
                raise ApiError(-1115, "Invalid timeInForce.")
        elif tif is not None:
            raise ApiError(-1106, "Parameter 'timeInForce' sent when not required.")
        if order_type == "MARKET":
            if price is not None:
                raise ApiError(-1106, "Parameter 'price' sent when not required.")
            if quantity is None and quote_qty is None:
                raise ApiError(
                    -1102,
                    "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
                )
            if quantity is not None and quote_qty is not None:
                raise ApiError(-1106, "Parameter 'quoteOrderQty' sent when not required.")
        else:
            if price is None:
                raise mandatory("price")
            if quantity is None:
                raise mandatory("quantity")
            _check_price(spec, price)
        if quantity is not None:
            _check_qty(spec, quantity)
        reference = price
        if reference is None:
            best = engine.book.side(side.opposite).best()
            reference = best if best is not None else spec.start_price
        notional = quote_qty if quote_qty is not None else (quantity or ZERO) * reference
        if notional < spec.min_notional or notional > spec.max_notional:
            raise filter_failure("NOTIONAL")
        client_id = params.get("newClientOrderId") or uuid.uuid4().hex[:22]
        for open_order in engine.open_orders(account.api_key):
            if open_order.client_order_id == client_id:
                raise ApiError(-2010, "Duplicate order sent.")
        if test:
            return None, resp_type
        now = self._state.now()
        order = Order(
            symbol=spec.id,
            order_id=engine.new_order_id(),
            client_order_id=client_id,
            account=account.api_key,
            side=side,
            type=order_type,
            time_in_force=tif if order_type == "LIMIT" else "GTC",
            price=price if price is not None else ZERO,
            orig_qty=quantity if quantity is not None else ZERO,
            orig_quote_qty=quote_qty if quote_qty is not None else ZERO,
            time=now,
            update_time=now,
        )
        engine.submit(order, quote_qty)
        return order, resp_type

    def query(self, account: Account, params: Mapping[str, str]) -> Order:
        return self._find(account, params)[1]

    def cancel(self, account: Account, params: Mapping[str, str]) -> Order:
        try:
            engine, order = self._find(account, params)
        except ApiError as exc:
            if exc.code == -2013:
                raise unknown_cancel() from None
            raise
        engine.cancel(order)
        return order

    def open_orders(self, account: Account, symbol: str | None) -> list[Order]:
        if symbol:
            return self._state.engine(symbol).open_orders(account.api_key)
        return [o for o in self._state.orders(account.api_key) if o.status.is_open]

    def cancel_all(self, account: Account, symbol: str) -> list[Order]:
        engine = self._state.engine(symbol)
        orders = engine.open_orders(account.api_key)
        if not orders:
            raise unknown_cancel()
        for order in orders:
            engine.cancel(order)
        return orders
