"""Market metadata through Redis: N processes starting together make ONE exchangeInfo
request in all (without Redis: one each), and every one gets the same markets."""

from __future__ import annotations

from core import Settings
from exchanges import BinanceExchange
from exchanges.simulator import Simulator

from .processes import run_workers

ENV = {"EXCHANGES_LOG_LEVEL": "WARNING"}
EXCHANGE_INFO = "/api/v3/exchangeInfo"


async def test_processes_starting_together_load_the_markets_once(redis_url: str) -> None:
    async with Simulator(seed=4, rate=0) as sim:
        results = await run_workers(
            4, [sim.endpoint, "markets"], {**ENV, "EXCHANGES_REDIS_URL": redis_url}
        )
        assert sim.limiter.requests[EXCHANGE_INFO] == 1
        assert {r["mode"] for r in results} == {"redis"}
        assert {r["markets"] for r in results} == {len(sim.state.specs)}


async def test_without_redis_each_process_loads_its_own() -> None:
    async with Simulator(seed=4, rate=0) as sim:
        results = await run_workers(4, [sim.endpoint, "markets"], ENV)
        assert sim.limiter.requests[EXCHANGE_INFO] == 4
        assert {r["mode"] for r in results} == {"local"}


async def test_adopted_markets_trade_like_loaded_ones(redis_url: str) -> None:
    settings = Settings(redis_url=redis_url)
    async with Simulator(seed=4, rate=0) as sim:
        async with BinanceExchange(endpoint=sim.endpoint, settings=settings) as first:
            loaded = dict(first.markets)
        async with BinanceExchange(endpoint=sim.endpoint, settings=settings) as second:
            assert sim.limiter.requests[EXCHANGE_INFO] == 1  # the second sent nothing
            assert dict(second.markets) == loaded
            assert second.raw.markets_by_id.keys() == first.raw.markets_by_id.keys()
            ticker = await second.fetch_ticker("BTC/USDT")
            assert ticker.symbol == "BTC/USDT"
