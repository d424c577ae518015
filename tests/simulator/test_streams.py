"""Market streams: ccxt.pro's watchers against /ws, and the raw protocol."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from exchanges.simulator import Simulator

from .conftest import make_binance_client


async def test_watch_trades_match_what_was_sent(simulator: Simulator, binance_client: Any) -> None:
    seen: list[int] = []
    async with asyncio.timeout(10):
        while len(seen) < 10:
            trades = await binance_client.watch_trades("BTC/USDT")
            seen.extend(int(t["id"]) for t in trades)
    sent = list(simulator.state.trade_ids_sent["btcusdt@trade"])
    assert seen == sent[: len(seen)]
    assert seen == sorted(seen)


async def test_watch_order_book_equals_state() -> None:
    async with Simulator(seed=5, rate=0) as sim:
        client = make_binance_client(sim)
        try:
            async with asyncio.timeout(10):
                book = await client.watch_order_book("BTC/USDT")
                for _ in range(5):
                    sim.step("BTC/USDT", 3, trades=1)
                truth = sim.state.book("BTC/USDT")
                while book["nonce"] != truth.update_id:
                    book = await client.watch_order_book("BTC/USDT")
            bids = [(Decimal(str(p)), Decimal(str(q))) for p, q in book["bids"]]
            asks = [(Decimal(str(p)), Decimal(str(q))) for p, q in book["asks"]]
            assert bids == truth.bids.levels()
            assert asks == truth.asks.levels()
        finally:
            await client.close()


async def test_watch_ticker_and_ohlcv(binance_client: Any) -> None:
    async with asyncio.timeout(10):
        mini, full, candles = await asyncio.gather(
            binance_client.watch_ticker("ETH/USDT"),  # ccxt 4.5.90 picks @miniTicker
            binance_client.watch_ticker("BTC/USDT", {"name": "ticker"}),
            binance_client.watch_ohlcv("ETH/USDT", "1m"),
        )
    assert mini["symbol"] == "ETH/USDT"
    assert mini["high"] >= mini["last"] >= mini["low"]
    assert full["bid"] < full["ask"]
    assert candles[-1][4] > 0


async def test_agg_trades_and_unwatch(simulator: Simulator, binance_client: Any) -> None:
    async with asyncio.timeout(10):
        trades = await binance_client.watch_trades("BTC/USDT", params={"name": "aggTrade"})
        assert trades[0]["symbol"] == "BTC/USDT"
        assert "btcusdt@aggTrade" in simulator.hub.streams()
        await binance_client.un_watch_trades("BTC/USDT", params={"name": "aggTrade"})
        while "btcusdt@aggTrade" in simulator.hub.streams():
            await binance_client.fetch_time()  # a round trip lets the UNSUBSCRIBE land
    assert simulator.hub.streams() == []


async def test_watch_bids_asks(binance_client: Any) -> None:
    async with asyncio.timeout(10):
        tickers = await binance_client.watch_bids_asks(["BTC/USDT"])
    assert tickers["BTC/USDT"]["bid"] < tickers["BTC/USDT"]["ask"]


async def _next_json(ws: aiohttp.ClientWebSocketResponse) -> Any:
    msg = await ws.receive()
    assert msg.type is aiohttp.WSMsgType.TEXT, msg
    return msg.json()


async def test_subscribe_protocol(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect("/ws/0") as ws, asyncio.timeout(10):
        await ws.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@depth5@100ms"], "id": 1})
        assert await _next_json(ws) == {"result": None, "id": 1}
        partial = await _next_json(ws)
        assert set(partial) == {"lastUpdateId", "bids", "asks"}
        assert len(partial["bids"]) == 5
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 2})
        while (reply := await _next_json(ws)).get("id") != 2:
            pass
        assert reply == {"result": ["btcusdt@depth5@100ms"], "id": 2}
        await ws.send_json({"method": "SUBSCRIBE", "params": ["nope@trade"], "id": 3})
        while (reply := await _next_json(ws)).get("id") != 3:
            pass
        assert reply["error"]["code"] == 2
        await ws.send_json({"method": "UNSUBSCRIBE", "params": ["btcusdt@depth5@100ms"], "id": 4})
        while (reply := await _next_json(ws)).get("id") != 4:
            pass
        assert reply == {"result": None, "id": 4}


async def test_combined_stream_and_diff_sequence(http: aiohttp.ClientSession) -> None:
    async with http.ws_connect("/stream?streams=btcusdt@depth@100ms/ethusdt@trade") as ws:
        last_u: int | None = None
        kinds: set[str] = set()
        async with asyncio.timeout(10):
            while last_u is None or len(kinds) < 2:
                msg = await _next_json(ws)
                kinds.add(msg["stream"])
                data = msg["data"]
                if data["e"] == "depthUpdate":
                    if last_u is not None:
                        assert data["U"] == last_u + 1
                    last_u = data["u"]
    assert kinds == {"btcusdt@depth@100ms", "ethusdt@trade"}


async def test_server_pings_and_answers_client_pings() -> None:
    async with (
        Simulator(seed=1, rate=0, ping_interval=0.1) as sim,
        aiohttp.ClientSession() as session,
        session.ws_connect(sim.endpoint + "/ws", autoping=False) as ws,
        asyncio.timeout(5),
    ):
        await ws.ping(b"hello")
        kinds = set()
        while kinds != {aiohttp.WSMsgType.PING, aiohttp.WSMsgType.PONG}:
            msg = await ws.receive()
            kinds.add(msg.type)
            if msg.type is aiohttp.WSMsgType.PONG:
                assert msg.data == b"hello"
            elif msg.type is aiohttp.WSMsgType.PING:
                await ws.pong(msg.data)


@pytest.mark.parametrize("interval", ["1m", "1h"])
async def test_kline_stream_shape(http: aiohttp.ClientSession, interval: str) -> None:
    async with http.ws_connect(f"/ws/btcusdt@kline_{interval}") as ws, asyncio.timeout(5):
        event = await _next_json(ws)
    assert event["e"] == "kline"
    assert event["k"]["i"] == interval
    assert Decimal(event["k"]["h"]) >= Decimal(event["k"]["l"])


async def test_firehose_sends_as_fast_as_the_socket_takes() -> None:
    async with (
        Simulator(seed=9, symbols=["BTC/USDT"], firehose=True) as sim,
        aiohttp.ClientSession() as session,
        session.ws_connect(sim.endpoint + "/ws/btcusdt@trade") as ws,
        asyncio.timeout(20),
    ):
        ids = []
        while len(ids) < 5000:
            ids.append((await _next_json(ws))["t"])
        assert ids == list(range(ids[0], ids[0] + 5000))  # nothing dropped on the wire
        assert max(conn.backlog for conn in sim.hub.connections) < 5000


async def test_watch_tickers_for_all_markets(binance_client: Any) -> None:
    async with asyncio.timeout(10):
        tickers = await binance_client.watch_tickers()  # !miniTicker@arr
        while set(tickers) != {"BTC/USDT", "ETH/USDT"}:
            tickers = await binance_client.watch_tickers()
    assert all(t["last"] > 0 for t in tickers.values())


async def test_kline_closes_with_a_final_event(
    simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect("/ws/btcusdt@kline_1m") as ws, asyncio.timeout(10):
        first = (await _next_json(ws))["k"]
        simulator.faults.shift_clock(60_000)  # the next trades fall in the next minute
        while not (event := (await _next_json(ws))["k"])["x"]:
            pass
        assert event["t"] == first["t"]
        following = (await _next_json(ws))["k"]
        assert following["t"] >= first["t"] + 60_000
        assert following["x"] is False
