"""endpoint_urls, serve(), the demo account and the plugin's fixtures."""

from __future__ import annotations

import asyncio
import contextlib
import io
from typing import Any

import ccxt.pro
import pytest

from exchanges.simulator import CLIENT_OPTIONS, DEMO_API_KEY, DEMO_BALANCES, Simulator, serve
from exchanges.venues.binance_endpoint import endpoint_urls


async def test_endpoint_urls_rewrites_every_api_url() -> None:
    client = ccxt.pro.binance()
    try:
        urls = endpoint_urls(client.urls, "http://127.0.0.1:8765")
    finally:
        await client.close()
    api = urls["api"]
    assert api["public"] == "http://127.0.0.1:8765/api/v3"
    assert api["private"] == "http://127.0.0.1:8765/api/v3"
    assert api["sapi"] == "http://127.0.0.1:8765/sapi/v1"
    assert api["ws"]["spot"] == "ws://127.0.0.1:8765/ws"
    assert api["ws"]["ws-api"]["spot"] == "ws://127.0.0.1:8765/ws-api/v3"
    assert urls["www"] == client.urls["www"]
    assert client.urls["api"]["public"] == "https://api.binance.com/api/v3"  # a copy
    assert endpoint_urls(client.urls, "https://sim.example:9000")["api"]["ws"]["spot"] == (
        "wss://sim.example:9000/ws"
    )
    with pytest.raises(ValueError, match="endpoint"):
        endpoint_urls(client.urls, "127.0.0.1:8765")


def test_client_options_are_plain_data() -> None:
    assert CLIENT_OPTIONS["fetchMarkets"] == {"types": ["spot"]}
    assert CLIENT_OPTIONS["fetchCurrencies"] is False
    assert CLIENT_OPTIONS["fetchMargins"] is False


async def test_demo_account(simulator: Simulator, binance_client: Any) -> None:
    balance = await binance_client.fetch_balance()
    for asset, amount in DEMO_BALANCES.items():
        assert balance["total"][asset] == float(amount)
    assert binance_client.apiKey == DEMO_API_KEY


async def test_serve_prints_endpoint_and_credentials() -> None:
    out = io.StringIO()
    ready: asyncio.Future[Simulator] = asyncio.get_running_loop().create_future()
    with contextlib.redirect_stdout(out):
        task = asyncio.create_task(serve(0, 2.0, ["BTC/USDT"], on_ready=ready.set_result))
        async with asyncio.timeout(5):
            sim = await ready
        assert sim.endpoint in out.getvalue()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    text = out.getvalue()
    assert "http://127.0.0.1:" in text
    assert DEMO_API_KEY in text


async def test_close_leaves_no_task_behind() -> None:
    before = asyncio.all_tasks()
    async with Simulator(seed=2, rate=50, ping_interval=0.05) as sim:
        client = ccxt.pro.binance({"options": dict(CLIENT_OPTIONS)})
        client.urls = endpoint_urls(client.urls, sim.endpoint)
        try:
            async with asyncio.timeout(10):
                await client.watch_trades("BTC/USDT")
        finally:
            await client.close()
    leftovers = {t for t in asyncio.all_tasks() - before if not t.done()}
    assert leftovers == set()


async def test_port_in_use_and_no_reuse_after_close() -> None:
    async with Simulator(seed=1, rate=0) as first:
        second = Simulator(seed=1, rate=0, port=first.port)
        with pytest.raises(OSError, match="in use"):
            await second.start()
    with pytest.raises(RuntimeError, match="closed"):
        await first.start()
