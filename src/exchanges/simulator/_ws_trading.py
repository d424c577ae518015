"""Signed trading requests of the WebSocket API: the REST order endpoints' twins
(``order.place``, ``order.test``, ``order.status``, ``order.cancel``,
``openOrders.status``, ``openOrders.cancelAll``, ``allOrders``, ``myTrades``,
``account.status``), as ccxt's ``*_ws`` methods send them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from exchanges.simulator._desk import OrderDesk
from exchanges.simulator._errors import ApiError, mandatory
from exchanges.simulator._format import account_json, my_trade_json, order_json
from exchanges.simulator._http import int_param
from exchanges.simulator._records import Account
from exchanges.simulator._state import SimState

METHODS = frozenset(
    {
        "order.place",
        "order.test",
        "order.status",
        "order.cancel",
        "openOrders.status",
        "openOrders.cancelAll",
        "allOrders",
        "myTrades",
        "account.status",
    }
)


class WsTrading:
    def __init__(self, state: SimState) -> None:
        self._state = state
        self._desk = OrderDesk(state)

    def handle(self, method: str, account: Account, params: Mapping[str, str]) -> Any:
        desk = self._desk
        if method == "account.status":
            omit_zero = params.get("omitZeroBalances") == "true"
            return account_json(account, self._state.now(), omit_zero=omit_zero)
        if method == "order.place":
            order, resp_type = desk.place(account, params)
            assert order is not None
            return order_json(order, resp_type)
        if method == "order.test":
            desk.place(account, params, test=True)
            return {}
        if method == "order.status":
            return order_json(desk.query(account, params), for_query=True)
        if method == "order.cancel":
            order = desk.cancel(account, params)
            body = order_json(order, "RESULT")
            body["origClientOrderId"] = order.client_order_id
            body["transactTime"] = order.update_time
            return body
        if method == "openOrders.status":
            orders = desk.open_orders(account, params.get("symbol"))
            return [order_json(o, for_query=True) for o in orders]
        if method == "openOrders.cancelAll":
            symbol = params.get("symbol")
            if not symbol:
                raise mandatory("symbol")
            return [order_json(o, "RESULT") for o in desk.cancel_all(account, symbol)]
        symbol = params.get("symbol")
        if not symbol:
            raise mandatory("symbol")
        engine = self._state.engine(symbol)
        limit = min(int_param(params, "limit", 500) or 500, 1000)
        mine = sorted(
            (o for o in engine.orders.values() if o.account == account.api_key),
            key=lambda o: o.order_id,
        )
        if method == "allOrders":
            return [order_json(o, for_query=True) for o in mine[-limit:]]
        if method == "myTrades":
            rows = sorted(((o, f) for o in mine for f in o.fills), key=lambda r: r[1].trade_id)
            return [my_trade_json(o, f) for o, f in rows[-limit:]]
        raise ApiError(-1020, "UNSUPPORTED_OPERATION: This operation is not supported.")
