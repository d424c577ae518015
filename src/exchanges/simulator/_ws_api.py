"""The WebSocket API at ``/ws-api/v3``: the user-data stream ccxt.pro's spot private
streams use, signed trading requests (:mod:`._ws_trading`) and the market-data requests
(answered by the REST endpoints' code, see :data:`PUBLIC_METHODS`).

Requests are ``{"id", "method", "params"}``; answers ``{"id", "status", "result"}`` or
``{"id", "status", "error": {"code", "msg"}}``. After ``userDataStream.subscribe.signature``
the account's events arrive as ``{"subscriptionId": n, "event": {...}}``:
``executionReport``, ``outboundAccountPosition`` and ``balanceUpdate``.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import orjson
from aiohttp import web

from exchanges.simulator._auth import verify_ws_params
from exchanges.simulator._connection import Connection, Frame, Hub, serve_connection
from exchanges.simulator._errors import ApiError
from exchanges.simulator._faults import FaultKind, Faults
from exchanges.simulator._format import num
from exchanges.simulator._ratelimit import OrderCounter
from exchanges.simulator._records import Account, Fill, Order
from exchanges.simulator._rest_public import RATE_LIMITS, PublicApi
from exchanges.simulator._state import SimState
from exchanges.simulator._ws_trading import METHODS as TRADING_METHODS
from exchanges.simulator._ws_trading import WsTrading


def execution_report(order: Order, execution: str, fill: Fill | None, now: int) -> dict[str, Any]:
    return {
        "e": "executionReport",
        "E": now,
        "s": order.symbol,
        "c": order.client_order_id,
        "S": order.side.value,
        "o": order.type,
        "f": order.time_in_force or "GTC",
        "q": num(order.orig_qty),
        "p": num(order.price),
        "P": num(Decimal(0)),
        "F": num(Decimal(0)),
        "g": -1,
        "C": order.client_order_id if execution == "CANCELED" else "",
        "x": execution,
        "X": order.status.value,
        "r": "NONE",
        "i": order.order_id,
        "l": num(fill.qty if fill else Decimal(0)),
        "z": num(order.executed_qty),
        "L": num(fill.price if fill else Decimal(0)),
        "n": num(fill.commission if fill else Decimal(0)),
        "N": fill.commission_asset if fill else None,
        "T": fill.time if fill else order.update_time,
        "t": fill.trade_id if fill else -1,
        "I": order.order_id * 2 + len(order.fills),
        "w": order.status.is_open and order.type != "MARKET",
        "m": fill.is_maker if fill else False,
        "M": False,
        "O": order.time,
        "Z": num(order.cumulative_quote_qty),
        "Y": num(fill.qty * fill.price if fill else Decimal(0)),
        "Q": num(order.orig_quote_qty),
        "W": order.time,
        "V": "EXPIRE_MAKER",
    }


def _text(value: object) -> str:
    """A JSON parameter as it appears in the signed payload (``true``, not ``True``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return str(value)


PUBLIC_METHODS = {
    "ping": "ping",
    "time": "time",
    "exchangeInfo": "exchangeInfo",
    "depth": "depth",
    "trades.recent": "trades",
    "trades.historical": "historicalTrades",
    "trades.aggregate": "aggTrades",
    "klines": "klines",
    "uiKlines": "uiKlines",
    "avgPrice": "avgPrice",
    "ticker.24hr": "ticker/24hr",
    "ticker": "ticker",
    "ticker.price": "ticker/price",
    "ticker.book": "ticker/bookTicker",
}
"""WebSocket API market-data method -> the REST endpoint answering the same."""


class WsApi:
    def __init__(
        self,
        state: SimState,
        hub: Hub,
        faults: Faults,
        public: PublicApi,
        orders: OrderCounter,
        *,
        ping_interval: float = 20.0,
    ) -> None:
        self._state = state
        self._orders = orders
        endpoints = public.endpoints()
        self._public = {method: endpoints[path] for method, path in PUBLIC_METHODS.items()}
        self._hub = hub
        self._faults = faults
        self.ping_interval = ping_interval
        self._next_subscription = 0
        # api key -> {(connection, subscription id)}
        self._subscribers: dict[str, set[tuple[Connection, int]]] = {}
        self._subscribed = asyncio.Condition()
        self._trading = WsTrading(state)

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/ws-api/v3", self.handle)]

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False, max_msg_size=1 << 20)
        await ws.prepare(request)
        conn = Connection(ws, request, self._faults, ping_interval=self.ping_interval)
        self._hub.connections.add(conn)
        await serve_connection(conn, self._on_text, self._closed)
        return ws

    def _closed(self, conn: Connection) -> None:
        self._hub.remove(conn)
        for subs in self._subscribers.values():
            for entry in [e for e in subs if e[0] is conn]:
                subs.discard(entry)

    def _reply(self, conn: Connection, request_id: Any, result: Any) -> None:
        body = {"id": request_id, "status": 200, "result": result, "rateLimits": RATE_LIMITS[:1]}
        conn.send(Frame(orjson.dumps(body).decode()))

    def _error(self, conn: Connection, request_id: Any, error: ApiError) -> None:
        body = {"id": request_id, "status": error.status, "error": error.payload()}
        conn.send(Frame(orjson.dumps(body).decode()))

    async def _on_text(self, conn: Connection, text: str) -> None:
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            self._error(conn, None, ApiError(-1000, "Malformed request: invalid JSON."))
            return
        if not isinstance(message, dict):
            self._error(conn, None, ApiError(-1000, "Malformed request: expected an object."))
            return
        request_id = message.get("id")
        method = message.get("method")
        if not isinstance(method, str):
            self._error(conn, request_id, ApiError(-1102, "Mandatory parameter 'method'."))
            return
        raw_params = message.get("params") or {}
        params = (
            {str(k): _text(v) for k, v in raw_params.items()}
            if isinstance(raw_params, dict)
            else {}
        )
        try:
            if method in self._public:
                self._reply(conn, request_id, self._public[method](params))
            elif method == "userDataStream.subscribe.signature":
                account = verify_ws_params(self._state.accounts, params, self._state.now())
                sub_id = self._next_subscription
                self._next_subscription += 1
                self._subscribers.setdefault(account.api_key, set()).add((conn, sub_id))
                self._reply(conn, request_id, {"subscriptionId": sub_id})
                async with self._subscribed:
                    self._subscribed.notify_all()
            elif method == "userDataStream.unsubscribe":
                wanted = params.get("subscriptionId")
                for subs in self._subscribers.values():
                    for entry in [e for e in subs if e[0] is conn]:
                        if wanted is None or str(entry[1]) == wanted:
                            subs.discard(entry)
                self._reply(conn, request_id, {})
            elif method in TRADING_METHODS:
                account = verify_ws_params(self._state.accounts, params, self._state.now())
                if method == "order.place":
                    self._orders.charge()
                result = self._trading.handle(method, account, params)
                if method == "order.place" and self._faults.take(
                    FaultKind.DROP_ORDER_RESPONSE, conn.path
                ):
                    return  # placed; the answer is lost
                self._reply(conn, request_id, result)
            elif method == "session.status":
                self._reply(conn, request_id, {"apiKey": None, "serverTime": self._state.now()})
            else:
                raise ApiError(-1020, "UNSUPPORTED_OPERATION: This operation is not supported.")
        except ApiError as exc:
            self._error(conn, request_id, exc)

    def subscribed(self, api_key: str) -> bool:
        return bool(self._subscribers.get(api_key))

    async def wait_subscribed(self, api_key: str) -> None:
        async with self._subscribed:
            await self._subscribed.wait_for(lambda: self.subscribed(api_key))

    # ---- events ------------------------------------------------------------------------

    def _emit(self, api_key: str, event: dict[str, Any]) -> None:
        for conn, sub_id in list(self._subscribers.get(api_key, ())):
            body = {"subscriptionId": sub_id, "event": event}
            conn.send(Frame(orjson.dumps(body).decode(), stream=f"user:{api_key}"))

    def on_order(self, order: Order, execution: str, fill: Fill | None) -> None:
        if self._subscribers.get(order.account):
            self._emit(order.account, execution_report(order, execution, fill, self._state.now()))

    def on_balances(self, account: Account, assets: set[str]) -> None:
        if not self._subscribers.get(account.api_key):
            return
        now = self._state.now()
        rows = [
            {"a": a, "f": num(account.balance(a).free), "l": num(account.balance(a).locked)}
            for a in sorted(assets)
        ]
        self._emit(account.api_key, {"e": "outboundAccountPosition", "E": now, "u": now, "B": rows})

    def on_balance_update(self, account: Account, asset: str, delta: Decimal) -> None:
        now = self._state.now()
        event = {"e": "balanceUpdate", "E": now, "a": asset, "d": num(delta), "T": now}
        self._emit(account.api_key, event)
