"""Public REST under /api/v3, read by the unmodified ccxt client and on the raw wire."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import aiohttp

from exchanges.simulator import CLIENT_OPTIONS, Simulator

from .conftest import make_binance_client


async def test_starts_fast_and_closes_clean() -> None:
    started = time.perf_counter()
    async with Simulator(seed=3, symbols=["BTC/USDT", "ETH/USDT", "SOL/USDT"]) as sim:
        assert time.perf_counter() - started < 0.5
        assert sim.endpoint == f"http://127.0.0.1:{sim.port}"
        client = make_binance_client(sim)
        try:
            markets = await client.load_markets()
        finally:
            await client.close()
        assert set(markets) == {"BTC/USDT", "ETH/USDT", "SOL/USDT"}
    await sim.close()  # idempotent


async def test_markets_as_ccxt_parses_them(binance_client: Any) -> None:
    markets = await binance_client.load_markets()
    btc = markets["BTC/USDT"]
    assert btc["id"] == "BTCUSDT"
    assert btc["spot"] is True
    assert btc["active"] is True
    assert btc["precision"] == {"amount": 1e-05, "price": 0.01, "base": 1e-08, "quote": 1e-08}
    assert btc["limits"]["amount"]["min"] == 1e-05
    assert btc["limits"]["cost"]["min"] == 5.0
    assert (
        binance_client.options["fetchMarkets"]["types"] == CLIENT_OPTIONS["fetchMarkets"]["types"]
    )


async def test_ticker_and_book_ticker_agree_with_the_book(
    simulator: Simulator, binance_client: Any
) -> None:
    ticker = await binance_client.fetch_ticker("BTC/USDT")
    assert ticker["last"] > 0
    assert ticker["bid"] < ticker["ask"]
    assert ticker["baseVolume"] > 0
    bids_asks = await binance_client.fetch_bids_asks(["BTC/USDT"])
    assert bids_asks["BTC/USDT"]["bid"] < bids_asks["BTC/USDT"]["ask"]


async def test_order_book_snapshot_equals_state(simulator: Simulator, http: Any) -> None:
    async with http.get("/api/v3/depth", params={"symbol": "BTCUSDT", "limit": "1000"}) as r:
        body = await r.json()
        book = simulator.state.book("BTC/USDT")
        bids = [(Decimal(p), Decimal(q)) for p, q in body["bids"]]
        asks = [(Decimal(p), Decimal(q)) for p, q in body["asks"]]
        # same event-loop turn as the handler: nothing moved since
        assert body["lastUpdateId"] <= book.update_id
    assert bids == sorted(bids, reverse=True)
    assert asks == sorted(asks)
    assert bids[0][0] < asks[0][0]


async def test_trades_ohlcv_and_avg_price(binance_client: Any, http: aiohttp.ClientSession) -> None:
    trades = await binance_client.fetch_trades("BTC/USDT", limit=50)
    assert all(t["symbol"] == "BTC/USDT" for t in trades)
    candles = await binance_client.fetch_ohlcv("BTC/USDT", "5m", limit=20)
    assert len(candles) == 20
    assert all(c[2] >= max(c[1], c[4]) and c[3] <= min(c[1], c[4]) for c in candles)
    async with http.get("/api/v3/avgPrice", params={"symbol": "BTCUSDT"}) as r:
        avg = await r.json()
    assert avg["mins"] == 5
    assert Decimal(avg["price"]) > 0


async def test_general_endpoints_and_errors(http: aiohttp.ClientSession) -> None:
    async with http.get("/api/v3/ping") as r:
        assert (r.status, await r.json()) == (200, {})
        assert int(r.headers["X-MBX-USED-WEIGHT-1M"]) >= 1
    async with http.get("/api/v3/time") as r:
        assert abs((await r.json())["serverTime"] - time.time() * 1000) < 5000
    async with http.get("/api/v3/depth", params={"symbol": "NOPEUSDT"}) as r:
        assert r.status == 400
        assert await r.json() == {"code": -1121, "msg": "Invalid symbol."}
    async with http.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "7m"}) as r:
        assert await r.json() == {"code": -1120, "msg": "Invalid interval."}
    async with http.get("/api/v3/depth") as r:
        body = await r.json()
        assert body["code"] == -1102
    async with http.get("/api/v3/ticker/price") as r:
        assert {row["symbol"] for row in await r.json()} == {"BTCUSDT", "ETHUSDT"}


async def test_same_seed_same_market() -> None:
    books = []
    for _ in range(2):
        async with Simulator(seed=11, rate=0) as sim:
            sim.step("BTC/USDT", 50, trades=2)
            book = sim.state.book("BTC/USDT")
            engine = sim.state.engine("BTC/USDT")
            books.append((book.snapshot(), [(t.price, t.qty) for t in engine.trades]))
    assert books[0] == books[1]
    assert len(books[0][1]) >= 100


async def test_trade_lookups_need_no_key_and_keep_a_history_window() -> None:
    """``historicalTrades`` pages by ``fromId`` without an API key (Binance's current spot
    docs: "Old trade lookup", weight 25, no key); ``trades`` is the newest ``limit`` and
    reads no ``fromId``; both serve the newest ``trade_history`` trades only."""
    async with Simulator(seed=3, rate=0, trade_history=300) as sim:
        sim.step("BTC/USDT", 1, trades=500)
        made = [t.trade_id for t in sim.state.engine("BTC/USDT").trades]
        kept = made[-300:]
        async with aiohttp.ClientSession(base_url=sim.endpoint) as http:
            query = {"symbol": "BTCUSDT", "fromId": str(kept[10]), "limit": "50"}
            async with http.get("/api/v3/historicalTrades", params=query) as r:
                assert r.status == 200
                assert "X-MBX-APIKEY" not in r.request_info.headers
                assert r.headers["X-MBX-USED-WEIGHT-1M"] == "25"
                assert [t["id"] for t in await r.json()] == kept[10:60]
            query["fromId"] = str(made[0])  # older than the history: from the oldest kept
            async with http.get("/api/v3/historicalTrades", params=query) as r:
                assert [t["id"] for t in await r.json()] == kept[:50]
            async with http.get("/api/v3/trades", params=query) as r:  # fromId: not read
                assert [t["id"] for t in await r.json()] == kept[-50:]
            recent = {"symbol": "BTCUSDT", "limit": "1000"}
            async with http.get("/api/v3/trades", params=recent) as r:
                assert [t["id"] for t in await r.json()] == kept
