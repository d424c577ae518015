"""Signed REST endpoints under ``/api/v3``: account, orders, trades."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from exchanges.simulator._auth import verify_rest
from exchanges.simulator._desk import OrderDesk
from exchanges.simulator._format import account_json, my_trade_json, order_json
from exchanges.simulator._http import (
    bounded_limit,
    int_param,
    json_response,
    request_params,
    required,
)
from exchanges.simulator._records import Account
from exchanges.simulator._state import SimState

Handler = Callable[[web.Request, Account, dict[str, str]], Awaitable[web.StreamResponse]]
OrderPlaced = Callable[[web.Request], Awaitable[None]]


async def _no_fault(_request: web.Request) -> None:
    return None


class PrivateApi:
    def __init__(self, state: SimState, after_order: OrderPlaced = _no_fault) -> None:
        self._state = state
        self._desk = OrderDesk(state)
        self._after_order = after_order

    def routes(self) -> list[web.RouteDef]:
        s = self.signed
        return [
            web.get("/api/v3/account", s(self.account)),
            web.post("/api/v3/order", s(self.new_order)),
            web.post("/api/v3/order/test", s(self.place_test_order)),
            web.get("/api/v3/order", s(self.query_order)),
            web.delete("/api/v3/order", s(self.cancel_order)),
            web.get("/api/v3/openOrders", s(self.open_orders)),
            web.delete("/api/v3/openOrders", s(self.cancel_open_orders)),
            web.get("/api/v3/allOrders", s(self.all_orders)),
            web.get("/api/v3/myTrades", s(self.my_trades)),
        ]

    def signed(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """``handler`` behind Binance's signature, key and clock checks (any family)."""

        async def wrapped(request: web.Request) -> web.StreamResponse:
            query = request.raw_path.partition("?")[2]
            body = await request.text() if request.can_read_body else ""
            params = await request_params(request)
            account = verify_rest(
                self._state.accounts,
                request.headers.get("X-MBX-APIKEY"),
                query,
                body,
                params,
                self._state.now(),
            )
            return await handler(request, account, params)

        return wrapped

    async def account(
        self, _request: web.Request, account: Account, params: dict[str, str]
    ) -> web.Response:
        omit_zero = params.get("omitZeroBalances") == "true"
        return json_response(account_json(account, self._state.now(), omit_zero=omit_zero))

    async def new_order(
        self, request: web.Request, account: Account, params: dict[str, str]
    ) -> web.Response:
        order, resp_type = self._desk.place(account, params)
        assert order is not None
        await self._after_order(request)
        return json_response(order_json(order, resp_type))

    async def place_test_order(
        self, _request: web.Request, account: Account, params: dict[str, str]
    ) -> web.Response:
        self._desk.place(account, params, test=True)
        return json_response({})

    async def query_order(
        self, _request: web.Request, account: Account, params: dict[str, str]
    ) -> web.Response:
        return json_response(order_json(self._desk.query(account, params), for_query=True))

    async def cancel_order(
        self, _request: web.Request, account: Account, params: dict[str, str]
    ) -> web.Response:
        order = self._desk.cancel(account, params)
        body = order_json(order, "RESULT")
        body["origClientOrderId"] = order.client_order_id
        body["transactTime"] = order.update_time
        return json_response(body)

    async def open_orders(
        self, _request: web.Request, account: Account, params: dict[str, str]
    ) -> web.Response:
        orders = self._desk.open_orders(account, params.get("symbol"))
        return json_response([order_json(o, for_query=True) for o in orders])

    async def cancel_open_orders(
        self, _request: web.Request, account: Account, params: dict[str, str]
    ) -> web.Response:
        orders = self._desk.cancel_all(account, required(params, "symbol"))
        rows = []
        for order in orders:
            row = order_json(order, "RESULT")
            row["origClientOrderId"] = order.client_order_id
            rows.append(row)
        return json_response(rows)

    async def all_orders(
        self, _request: web.Request, account: Account, params: dict[str, str]
    ) -> web.Response:
        engine = self._state.engine(required(params, "symbol"))
        limit = bounded_limit(params, 500, 1000)
        from_id = int_param(params, "orderId")
        start = int_param(params, "startTime")
        end = int_param(params, "endTime")
        orders = [o for o in engine.orders.values() if o.account == account.api_key]
        if from_id is not None:
            orders = [o for o in orders if o.order_id >= from_id]
        if start is not None:
            orders = [o for o in orders if o.time >= start]
        if end is not None:
            orders = [o for o in orders if o.time <= end]
        orders.sort(key=lambda o: o.order_id)
        picked = orders[:limit] if (from_id or start) else orders[-limit:]
        return json_response([order_json(o, for_query=True) for o in picked])

    async def my_trades(
        self, _request: web.Request, account: Account, params: dict[str, str]
    ) -> web.Response:
        engine = self._state.engine(required(params, "symbol"))
        limit = bounded_limit(params, 500, 1000)
        order_id = int_param(params, "orderId")
        start = int_param(params, "startTime")
        end = int_param(params, "endTime")
        from_id = int_param(params, "fromId")
        rows = [
            (order, fill)
            for order in engine.orders.values()
            if order.account == account.api_key and (order_id is None or order.order_id == order_id)
            for fill in order.fills
        ]
        rows = [
            (o, f)
            for o, f in rows
            if (start is None or f.time >= start)
            and (end is None or f.time <= end)
            and (from_id is None or f.trade_id >= from_id)
        ]
        rows.sort(key=lambda r: (r[1].trade_id, r[1].is_maker))
        picked = rows[:limit] if (from_id or start) else rows[-limit:]
        return json_response([my_trade_json(o, f) for o, f in picked])
