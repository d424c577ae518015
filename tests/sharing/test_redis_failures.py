"""Redis failing: unreachable at connect is a ConfigurationError naming the host (never the
password), in bounded time; killed mid-run, the adapter degrades to this process's budget
(logged once, visible in ``ex.sharing``), sends nothing twice, and recovers when the server
is back."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from structlog.testing import capture_logs

from core import ConfigurationError, Settings
from exchanges import BinanceExchange
from exchanges.sharing import _redis_budget
from exchanges.simulator import DEMO_API_KEY, DEMO_SECRET, Simulator

from ..redis_server import RedisServer, free_port

DEMO = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}


async def test_unreachable_redis_is_a_configuration_error_naming_the_host() -> None:
    url = f"redis://trader:hunter2-secret@127.0.0.1:{free_port()}/3"
    async with Simulator(seed=1, rate=0) as sim:
        ex = BinanceExchange(endpoint=sim.endpoint, settings=Settings(redis_url=url))
        started = time.monotonic()
        with pytest.raises(ConfigurationError, match="unreachable") as info:
            await ex.connect()
        assert time.monotonic() - started < 5
        await ex.close()
        assert f"127.0.0.1:{url.rsplit(':', 1)[1]}" in str(info.value)
        assert "hunter2" not in str(info.value)
        assert "trader" not in str(info.value)
        assert sim.limiter.requests == {}  # nothing was sent to the venue either


def test_a_missing_redis_extra_is_a_configuration_error_saying_so() -> None:
    # in a fresh interpreter where redis-py cannot be imported
    code = (
        "import sys, asyncio; sys.modules['redis'] = None; sys.modules['redis.asyncio'] = None\n"
        "from exchanges.sharing import connect\n"
        "try:\n    asyncio.run(connect('redis://127.0.0.1:1/0'))\n"
        "except Exception as exc:\n    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    assert out.startswith("ConfigurationError")
    assert "pip install 'exchanges[redis]'" in out


async def test_redis_killed_mid_run_degrades_to_the_local_budget_and_recovers(
    redis_server: RedisServer, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_redis_budget, "RETRY_INTERVAL", 0.0)  # retry at the next request
    settings = Settings(redis_url=redis_url)
    async with (
        Simulator(seed=2, rate=0) as sim,
        BinanceExchange(endpoint=sim.endpoint, credentials=DEMO, settings=settings) as ex,
    ):
        assert ex.sharing.mode == "redis"
        assert "hunter" not in repr(ex.sharing)
        await ex.fetch_ticker("BTC/USDT")
        redis_server.kill()
        with capture_logs() as logs:
            bid = sim.state.book("BTC/USDT").bids.best()
            assert bid is not None
            order = await ex.place_order(
                "BTC/USDT", "buy", "limit", Decimal("0.001"), bid * Decimal("0.9")
            )
            assert ex.sharing.mode == "degraded"
            await ex.fetch_ticker("BTC/USDT")
            await ex.fetch_order_book("BTC/USDT", limit=5)
        assert [e["event"] for e in logs].count("sharing.degraded") == 1
        # the order went out once, through this process's budget
        placed = [
            o for o in sim.state.orders(DEMO_API_KEY) if o.client_order_id == order.client_order_id
        ]
        assert len(placed) == 1
        redis_server.start()
        with capture_logs() as logs:
            async with asyncio.timeout(5):
                while ex.sharing.mode != "redis":
                    await ex.fetch_ticker("BTC/USDT")
        assert [e["event"] for e in logs].count("sharing.recovered") == 1
