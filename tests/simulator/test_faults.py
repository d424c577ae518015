"""Each fault, and what a client sees on the wire."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import ccxt
import orjson
import pytest

from exchanges.simulator import Simulator

from .conftest import make_binance_client


async def _data(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    """The next frame that is not a control frame."""
    while True:
        msg = await ws.receive()
        if msg.type not in (aiohttp.WSMsgType.PING, aiohttp.WSMsgType.PONG):
            return msg


async def test_drop_connections_abruptly(simulator: Simulator, binance_client: Any) -> None:
    async def watch_until_error() -> None:
        while True:  # trades already in flight may still arrive before the reset
            await binance_client.watch_trades("BTC/USDT")

    async with asyncio.timeout(10):
        await binance_client.watch_trades("BTC/USDT")
        assert simulator.faults.drop_connections("btcusdt@trade") == 1
        with pytest.raises(ccxt.NetworkError):
            await watch_until_error()


async def test_drop_with_close_frame(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect("/ws/btcusdt@trade") as ws, asyncio.timeout(5):
        await _data(ws)
        simulator.faults.drop_connections(abrupt=False)
        while (msg := await ws.receive()).type is aiohttp.WSMsgType.TEXT:
            pass
        assert msg.type is aiohttp.WSMsgType.CLOSE
        assert msg.data == 1001


async def test_stall_keeps_answering_pings(
    simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect("/ws/btcusdt@trade", autoping=False) as ws:
        async with asyncio.timeout(5):
            await _data(ws)
        simulator.faults.stall("btcusdt@trade", duration=0.6)
        await ws.ping(b"still there?")
        async with asyncio.timeout(5):
            msg = await ws.receive()
            while msg.type is aiohttp.WSMsgType.TEXT:  # frames queued before the stall
                msg = await ws.receive()
        assert (msg.type, msg.data) == (aiohttp.WSMsgType.PONG, b"still there?")
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await _data(ws)
        async with asyncio.timeout(5):  # the stall ends by itself
            assert (await _data(ws)).type is aiohttp.WSMsgType.TEXT


async def test_ping_silence(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect("/ws", autoping=False) as ws:
        simulator.faults.silence_pings("/ws")
        await ws.ping(b"anyone?")
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.5):
                await ws.receive()
        simulator.faults.clear()
        await ws.ping(b"now?")
        async with asyncio.timeout(5):
            msg = await ws.receive()
        assert (msg.type, msg.data) == (aiohttp.WSMsgType.PONG, b"now?")


async def test_sequence_gap_breaks_the_ccxt_book(simulator: Simulator, binance_client: Any) -> None:
    async def watch_many() -> None:
        for _ in range(100):
            await binance_client.watch_order_book("BTC/USDT")

    async with asyncio.timeout(10):
        await binance_client.watch_order_book("BTC/USDT")  # resolved by the REST snapshot
        # resolved by a live diff: from now on every frame on the wire is news to ccxt
        # (right after the snapshot, frames still queued may be older than it, and
        # skipping one of those would go unnoticed)
        await binance_client.watch_order_book("BTC/USDT")
        simulator.faults.skip_sequence("btcusdt@depth@100ms")
        with pytest.raises(ccxt.ChecksumError):
            await watch_many()


async def test_malformed_frame(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    simulator.faults.malformed_frame("btcusdt@trade")
    async with http.ws_connect("/ws/btcusdt@trade") as ws, asyncio.timeout(5):
        bad = await _data(ws)
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(bad.data)
        good = await _data(ws)
        assert orjson.loads(good.data)["e"] == "trade"


async def test_5xx_burst(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    simulator.faults.http_errors("/api/v3/ticker/24hr", status=503, count=2)
    for _ in range(2):
        async with http.get("/api/v3/ticker/24hr", params={"symbol": "BTCUSDT"}) as r:
            assert r.status == 503
            assert "503 Service Unavailable" in await r.text()
    async with http.get("/api/v3/ticker/24hr", params={"symbol": "BTCUSDT"}) as r:
        assert r.status == 200
    client = make_binance_client(simulator)
    try:
        await client.load_markets()
        simulator.faults.http_errors(status=500)
        with pytest.raises(ccxt.ExchangeNotAvailable):
            await client.fetch_ticker("BTC/USDT")
        assert (await client.fetch_ticker("BTC/USDT"))["last"] > 0
    finally:
        await client.close()


async def test_429_and_418_carry_retry_after(
    simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    simulator.faults.rate_limited(retry_after=7)
    async with http.get("/api/v3/time") as r:
        assert (r.status, r.headers["Retry-After"]) == (429, "7")
        assert (await r.json())["code"] == -1003
    simulator.faults.banned(retry_after=120)
    async with http.get("/api/v3/time") as r:
        assert (r.status, r.headers["Retry-After"]) == (418, "120")
    async with http.get("/api/v3/time") as r:
        assert r.status == 200


async def test_delayed_response_times_the_client_out(simulator: Simulator) -> None:
    client = make_binance_client(simulator, timeout=300)
    try:
        await client.load_markets()
        simulator.faults.delay(5.0, "/api/v3/ticker/24hr", count=1)
        with pytest.raises(ccxt.RequestTimeout):
            await client.fetch_ticker("BTC/USDT")
        assert (await client.fetch_ticker("BTC/USDT"))["last"] > 0
    finally:
        await client.close()


async def test_order_accepted_but_response_dropped(simulator: Simulator) -> None:
    client = make_binance_client(simulator, timeout=300)
    try:
        await client.load_markets()
        simulator.faults.drop_order_response()
        with pytest.raises(ccxt.RequestTimeout):
            await client.create_order(
                "BTC/USDT", "limit", "buy", 0.001, 40000, {"newClientOrderId": "lost-1"}
            )
        found = await client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "lost-1"})
        assert found["status"] == "open"
    finally:
        await client.close()


async def test_reset_rest_connection(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    # aiohttp's client retries an idempotent request once after a reset: two resets
    simulator.faults.reset_requests("/api/v3/time", count=2)
    with pytest.raises(aiohttp.ClientConnectionError):
        async with http.get("/api/v3/time"):
            pass
    client = make_binance_client(simulator)
    try:
        await client.load_markets()
        simulator.faults.reset_requests("/api/v3/depth", count=2)
        with pytest.raises(ccxt.NetworkError):
            await client.fetch_order_book("BTC/USDT")
        assert (await client.fetch_order_book("BTC/USDT"))["bids"]
    finally:
        await client.close()


async def test_reset_scoped_to_a_method(simulator: Simulator) -> None:
    client = make_binance_client(simulator)
    try:
        await client.load_markets()
        order = await client.create_order("BTC/USDT", "limit", "buy", 0.001, 20000)
        fault = simulator.faults.reset_requests("DELETE /api/v3/order", count=2)
        assert (await client.fetch_order(order["id"], "BTC/USDT"))["status"] == "open"
        assert fault.count == 2  # a GET of the same path is not touched
        with pytest.raises(ccxt.NetworkError):  # reset, and reset again on aiohttp's retry
            await client.cancel_order(order["id"], "BTC/USDT")
        assert fault.count == 0
        [truth] = simulator.state.orders()
        assert truth.status.value == "NEW"  # the handler never ran
        assert (await client.cancel_order(order["id"], "BTC/USDT"))["status"] == "canceled"
    finally:
        await client.close()


async def test_ws_order_accepted_but_response_dropped(simulator: Simulator) -> None:
    client = make_binance_client(simulator, timeout=300)
    try:
        await client.load_markets()
        simulator.faults.drop_order_response()
        # ccxt puts no deadline on WebSocket API requests: without ours it would wait forever
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.5):
                await client.create_order_ws(
                    "BTC/USDT", "limit", "buy", 0.001, 40000, {"newClientOrderId": "lost-ws"}
                )
        found = await client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "lost-ws"})
        assert found["status"] == "open"
    finally:
        await client.close()
