"""Request weights, the used-weight header, 429 then 418 for a client that keeps going."""

from __future__ import annotations

import aiohttp
import ccxt
import pytest

from exchanges.simulator import ApiError, Simulator, WeightLimiter, request_weight

from .conftest import make_binance_client


def test_documented_weights() -> None:
    assert request_weight("/api/v3/depth", "GET", {"limit": "100"}) == 5
    assert request_weight("/api/v3/depth", "GET", {"limit": "1000"}) == 50
    assert request_weight("/api/v3/depth", "GET", {"limit": "5000"}) == 250
    assert request_weight("/api/v3/exchangeInfo", "GET", {}) == 20
    assert request_weight("/api/v3/ticker/24hr", "GET", {}) == 80
    assert request_weight("/api/v3/ticker/24hr", "GET", {"symbol": "BTCUSDT"}) == 2
    assert request_weight("/api/v3/order", "POST", {}) == 1


async def test_weight_header_then_429_then_418() -> None:
    async with (
        Simulator(seed=1, rate=0, weight_limit=30) as sim,
        aiohttp.ClientSession(base_url=sim.endpoint) as http,
    ):
        used = []
        for _ in range(3):
            async with http.get("/api/v3/depth", params={"symbol": "BTCUSDT"}) as r:
                assert r.status == 200
                used.append(int(r.headers["X-MBX-USED-WEIGHT-1M"]))
        assert used == [5, 10, 15]
        statuses = []
        for _ in range(8):
            async with http.get("/api/v3/depth", params={"symbol": "BTCUSDT"}) as r:
                statuses.append(r.status)
                if r.status != 200:
                    assert int(r.headers["Retry-After"]) >= 1
                    assert (await r.json())["code"] == -1003
        assert statuses == [200, 200, 200, 429, 429, 429, 418, 418]


async def test_ccxt_sees_ddos_protection() -> None:
    async with Simulator(seed=1, rate=0, weight_limit=25) as sim:
        client = make_binance_client(sim)
        try:
            await client.load_markets()  # exchangeInfo: 20
            with pytest.raises(ccxt.DDoSProtection, match="429"):
                await client.fetch_order_book("BTC/USDT", 1000)
        finally:
            await client.close()


def test_window_rolls_and_ban_expires() -> None:
    now = [0.0]
    limiter = WeightLimiter(limit=10, window=60, ban_after=1, ban_seconds=120, clock=lambda: now[0])
    limiter.charge(10)
    with pytest.raises(ApiError) as first:
        limiter.charge(1)
    assert (first.value.status, first.value.retry_after) == (429, 60)
    now[0] = 59.5
    with pytest.raises(ApiError) as second:
        limiter.charge(1)
    assert (second.value.status, second.value.retry_after) == (418, 120)
    now[0] = 61.0  # a new window, but still banned
    with pytest.raises(ApiError) as third:
        limiter.charge(1)
    assert third.value.status == 418
    now[0] = 180.0
    limiter.charge(1)
    assert limiter.used == 1


async def test_order_count_limit() -> None:
    async with Simulator(seed=1, rate=0, order_limit=2) as sim:
        client = make_binance_client(sim)
        try:
            await client.load_markets()
            for _ in range(2):
                await client.create_order("BTC/USDT", "limit", "buy", 0.001, 40000)
            assert client.last_response_headers["X-MBX-ORDER-COUNT-10S"] == "2"
            with pytest.raises(ccxt.DDoSProtection, match="-1015"):
                await client.create_order("BTC/USDT", "limit", "buy", 0.001, 40000)
            # the WebSocket API shares the count
            with pytest.raises(ccxt.RateLimitExceeded, match="-1015"):
                await client.create_order_ws("BTC/USDT", "limit", "buy", 0.001, 40000)
        finally:
            await client.close()
