"""A fake venue at the transport level: a real TLS server on loopback, and a client session
whose resolver sends every venue hostname there. ccxt runs unmodified and builds its real
requests (URL, method, body, signed headers); the test reads them as the venue would.

The session is handed to ccxt through its ``session`` config key (ccxt then leaves the
session's lifetime to us). Certificates come from a throwaway CA made by ``trustme``.
The fixtures (``ca``, ``fake_venue``) are registered in ``tests/conftest.py``.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import trustme
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

VENUE_HOSTS = [
    "api.binance.com",
    "fapi.binance.com",
    "dapi.binance.com",
    "www.okx.com",
    "api.kraken.com",
    "api.coinbase.com",
]


@dataclass
class Captured:
    method: str
    host: str
    path: str
    query: dict[str, str]
    query_string: str
    headers: dict[str, str]
    body: str

    def form(self) -> dict[str, str]:
        from urllib.parse import parse_qsl

        return dict(parse_qsl(self.body, keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body)


# (status, JSON payload) or (status, payload, headers); a ``str`` payload is sent as is
Responder = Callable[[Captured], tuple[Any, ...]]


async def start_fake_venue(ca: trustme.CA) -> tuple[FakeVenue, Callable[[], Awaitable[None]]]:
    """Start the TLS server and its client session; returns the venue and its closer."""
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*VENUE_HOSTS).configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    holder: list[FakeVenue] = []

    async def handle(request: web.Request) -> web.Response:
        captured = Captured(
            method=request.method,
            host=request.host.split(":")[0],
            path=request.path,
            query=dict(request.query),
            query_string=request.query_string,
            headers=dict(request.headers),
            body=await request.text(),
        )
        venue = holder[0]
        venue.requests.append(captured)
        status, payload, *rest = venue.responder(captured)
        headers = rest[0] if rest else None
        if isinstance(payload, str):
            return web.Response(text=payload, status=status, headers=headers)
        return web.json_response(payload, status=status, headers=headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    connector = aiohttp.TCPConnector(ssl=client_ctx, resolver=LoopbackResolver(port))
    holder.append(FakeVenue(session=aiohttp.ClientSession(connector=connector)))

    async def close() -> None:
        await holder[0].session.close()
        await runner.cleanup()

    return holder[0], close


@dataclass
class FakeVenue:
    session: aiohttp.ClientSession
    requests: list[Captured] = field(default_factory=list)
    responder: Responder = field(default=lambda _req: (200, {}))

    def config(self) -> dict[str, Any]:
        """ccxt constructor config that routes the adapter through this fake venue."""
        return {"session": self.session}


class LoopbackResolver(AbstractResolver):
    """Resolves every hostname to the fake venue's loopback port."""

    def __init__(self, port: int) -> None:
        self._port = port

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": self._port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        return None


def market(symbol: str, market_id: str, **extra: Any) -> dict[str, Any]:
    """A ccxt unified market dict, enough for ccxt's request builders."""
    base, quote = symbol.split("/")[0], symbol.split("/")[1].split(":")[0]
    kind = extra.pop("type", "spot")
    spot = kind == "spot"
    return {
        "id": market_id,
        "symbol": symbol,
        "base": base,
        "quote": quote,
        "baseId": extra.pop("baseId", base),
        "quoteId": extra.pop("quoteId", quote),
        "settle": extra.pop("settle", None),
        "settleId": None,
        "type": kind,
        "spot": spot,
        "margin": spot,
        "swap": kind == "swap",
        "future": kind == "future",
        "option": False,
        "contract": not spot,
        "linear": extra.pop("linear", None),
        "inverse": extra.pop("inverse", None),
        "contractSize": extra.pop("contractSize", None),
        "active": True,
        "precision": extra.pop("precision", {"amount": 1e-05, "price": 0.01}),
        "limits": {
            "amount": {"min": 1e-05, "max": 9000.0},
            "price": {"min": 0.01, "max": 1000000.0},
            "cost": {"min": 5.0, "max": None},
            "leverage": {"min": None, "max": None},
        },
        "info": extra.pop("info", {}),
        **extra,
    }
