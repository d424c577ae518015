"""The unmodified client with keys and its DEFAULT options (only its URLs moved) loads
markets and trades against the simulator: every metadata call it makes is served."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
import ccxt.pro
import pytest
import pytest_asyncio

from exchanges.simulator import DEMO_API_KEY, DEMO_SECRET, Simulator
from exchanges.venues.binance_endpoint import endpoint_urls


def _client(sim: Simulator, **config: Any) -> Any:
    client = ccxt.pro.binance(config)  # no options of ours: ccxt's defaults
    client.urls = endpoint_urls(client.urls, sim.endpoint)
    return client


@pytest_asyncio.fixture
async def default_client(simulator: Simulator) -> AsyncIterator[Any]:
    client = _client(simulator, apiKey=DEMO_API_KEY, secret=DEMO_SECRET)
    try:
        yield client
    finally:
        await client.close()


def _signed(params: dict[str, str], secret: str = DEMO_SECRET) -> str:
    query = urlencode({**params, "timestamp": str(int(time.time() * 1000))})
    signature = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    return f"{query}&signature={signature}"


async def test_keys_and_default_options_load_markets(
    simulator: Simulator, default_client: Any
) -> None:
    markets = await default_client.load_markets()
    # the spot markets; the USD-M and COIN-M lists are served, and empty
    assert sorted(markets) == ["BTC/USDT", "ETH/USDT"]
    assert all(m["spot"] and m["active"] for m in markets.values())
    # the margin pair lists were asked for (with keys) and are empty: no margin here
    assert default_client.options["crossMarginPairsData"] == []
    assert markets["BTC/USDT"]["marginModes"] == {"cross": False, "isolated": False}
    # the wallet's coin list was read: ccxt's currencies come from it, not the markets
    btc = default_client.currencies["BTC"]
    assert btc["info"]["coin"] == "BTC"
    assert Decimal(btc["info"]["free"]) == 1
    assert btc["networks"]["BTC"]["deposit"] is False
    assert btc["networks"]["BTC"]["withdraw"] is False
    assert {"ETH", "USDT"} <= set(default_client.currencies)
    # the other families are not charged to the spot weight window
    assert simulator.limiter.requests["/api/v3/exchangeInfo"] == 1
    assert not any(
        path.startswith(("/sapi", "/fapi", "/dapi")) for path in simulator.limiter.requests
    )


async def test_default_options_trade_and_stream(default_client: Any) -> None:
    order = await default_client.create_order("BTC/USDT", "limit", "buy", 0.001, 40000)
    assert order["status"] == "open"
    canceled = await default_client.cancel_order(order["id"], "BTC/USDT")
    assert canceled["status"] == "canceled"
    balance = await default_client.fetch_balance()
    assert balance["total"]["USDT"] == 100000
    book = await default_client.watch_order_book("BTC/USDT")
    assert book["bids"]
    assert book["asks"]


async def test_without_keys_only_public_metadata_is_asked(simulator: Simulator) -> None:
    client = _client(simulator)
    try:
        markets = await client.load_markets()
    finally:
        await client.close()
    assert sorted(markets) == ["BTC/USDT", "ETH/USDT"]
    assert "BTC" in client.currencies  # derived from the markets, as ccxt does without keys


async def test_coin_list_holds_every_asset_of_the_account(simulator: Simulator) -> None:
    simulator.add_account("k2", "s2", balances={"XRP": Decimal("5"), "USDT": Decimal("7")})
    async with aiohttp.ClientSession(base_url=simulator.endpoint) as http:
        path = "/sapi/v1/capital/config/getall?" + _signed({}, "s2")
        async with http.get(path, headers={"X-MBX-APIKEY": "k2"}) as response:
            assert response.status == 200
            assert "X-MBX-USED-WEIGHT-1M" not in response.headers
            coins = {c["coin"]: c for c in await response.json()}
    assert sorted(coins) == ["BTC", "ETH", "USDT", "XRP"]  # listed, plus what k2 holds
    free = {coin: Decimal(c["free"]) for coin, c in coins.items()}
    assert free == {"BTC": 0, "ETH": 0, "USDT": 7, "XRP": 5}


@pytest.mark.parametrize(
    "path",
    [
        "/sapi/v1/capital/config/getall",
        "/sapi/v1/margin/allPairs",
        "/sapi/v1/margin/isolated/allPairs",
    ],
)
async def test_wallet_and_margin_metadata_is_signed(simulator: Simulator, path: str) -> None:
    async with aiohttp.ClientSession(base_url=simulator.endpoint) as http:
        headers = {"X-MBX-APIKEY": DEMO_API_KEY}
        bad = _signed({}, "not-the-secret")
        async with http.get(f"{path}?{bad}", headers=headers) as response:
            assert response.status == 400
            assert (await response.json())["code"] == -1022  # Binance's JSON, not a 500
        async with http.get(f"{path}?{_signed({})}", headers=headers) as response:
            assert response.status == 200
            body = await response.json()
    assert isinstance(body, list)


@pytest.mark.parametrize(
    ("path", "futures_type"),
    [("/fapi/v1/exchangeInfo", "U_MARGINED"), ("/dapi/v1/exchangeInfo", None)],
)
async def test_derivatives_exchange_info_lists_no_symbols(
    simulator: Simulator, path: str, futures_type: str | None
) -> None:
    async with (
        aiohttp.ClientSession(base_url=simulator.endpoint) as http,
        http.get(path) as response,
    ):
        assert response.status == 200
        info = await response.json()
    assert info["symbols"] == []
    assert info.get("futuresType") == futures_type
    assert info["serverTime"] > 0
