"""The market-stream socket endpoints: ``/ws``, ``/ws/<stream or bucket>`` and
``/stream?streams=a/b`` (combined), with SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS."""

from __future__ import annotations

import re
from typing import Any

import orjson
from aiohttp import web

from exchanges.simulator._candles import INTERVALS
from exchanges.simulator._connection import Connection, Frame, Hub, serve_connection
from exchanges.simulator._faults import Faults

_KINDS = re.compile(
    r"^(trade|aggTrade|ticker|miniTicker|bookTicker|depth(5|10|20)?(@(100|1000)ms)?"
    r"|kline_(?P<interval>\w+))$"
)
MAX_STREAMS_PER_CONNECTION = 1024
ALL_MARKET_STREAMS = frozenset({"!ticker@arr", "!miniTicker@arr"})


def _error(code: int, msg: str, request_id: Any) -> str:
    return orjson.dumps({"error": {"code": code, "msg": msg}, "id": request_id}).decode()


class MarketStreams:
    def __init__(
        self, hub: Hub, faults: Faults, symbols: set[str], *, ping_interval: float = 20.0
    ) -> None:
        self._hub = hub
        self._faults = faults
        self._symbols = symbols  # lowercase ids
        self.ping_interval = ping_interval

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/ws", self.handle),
            web.get("/ws/{name:.*}", self.handle),
            web.get("/stream", self.handle),
        ]

    def valid(self, stream: str) -> bool:
        if stream in ALL_MARKET_STREAMS:
            return True
        symbol, _, kind = stream.partition("@")
        match = _KINDS.match(kind)
        if symbol not in self._symbols or match is None:
            return False
        interval = match.group("interval")
        return interval is None or interval in INTERVALS

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False, max_msg_size=1 << 20)
        await ws.prepare(request)
        combined = request.path == "/stream"
        conn = Connection(
            ws, request, self._faults, combined=combined, ping_interval=self.ping_interval
        )
        self._hub.connections.add(conn)
        initial: list[str] = []
        if combined:
            initial = [s for s in request.query.get("streams", "").split("/") if s]
        elif request.match_info.get("name"):
            initial = [request.match_info["name"]]
        for stream in initial:
            if self.valid(stream):
                self._hub.subscribe(conn, stream)
        await serve_connection(conn, self._on_text, self._hub.remove)
        return ws

    async def _on_text(self, conn: Connection, text: str) -> None:
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            conn.send(Frame(_error(3, "Invalid JSON: expected value at line 1 column 1", None)))
            return
        if not isinstance(message, dict):
            conn.send(Frame(_error(3, "Invalid JSON: expected an object", None)))
            return
        request_id = message.get("id")
        method = message.get("method")
        params = message.get("params", [])
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
                conn.send(Frame(_error(2, "Invalid request: invalid params", request_id)))
                return
            bad = [p for p in params if not self.valid(p)]
            if bad:
                msg = f"Invalid request: unknown stream '{bad[0]}'"
                conn.send(Frame(_error(2, msg, request_id)))
                return
            if method == "SUBSCRIBE":
                if len(conn.subscriptions | set(params)) > MAX_STREAMS_PER_CONNECTION:
                    conn.send(Frame(_error(2, "Invalid request: too many streams", request_id)))
                    return
                for stream in params:
                    self._hub.subscribe(conn, stream)
            else:
                for stream in params:
                    self._hub.unsubscribe(conn, stream)
            conn.send(Frame(orjson.dumps({"result": None, "id": request_id}).decode()))
        elif method == "LIST_SUBSCRIPTIONS":
            body = {"result": sorted(conn.subscriptions), "id": request_id}
            conn.send(Frame(orjson.dumps(body).decode()))
        elif method == "GET_PROPERTY":
            body = {"result": conn.combined, "id": request_id}
            conn.send(Frame(orjson.dumps(body).decode()))
        elif method == "SET_PROPERTY" and isinstance(params, list) and len(params) == 2:
            conn.combined = bool(params[1])
            conn.send(Frame(orjson.dumps({"result": None, "id": request_id}).decode()))
        else:
            conn.send(Frame(_error(1, "Invalid request: unknown method", request_id)))
