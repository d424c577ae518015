"""Fan-out across OS processes: three consumers of one symbol's trades hold ONE WebSocket
at the simulator between them and each gets every trade once; SIGKILL the holder and
another takes over within a bound, repairing from the last trade published, so every
survivor still gets every trade (none missing, none twice). Without the URL: one
connection each."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from exchanges.simulator import Simulator

from ..supervisor.conftest import engine_trade_ids
from .processes import Workers

STREAM = "btcusdt@trade"
ENV = {
    "EXCHANGES_LOG_LEVEL": "WARNING",
    "EXCHANGES_STREAM_BACKOFF_INITIAL": "0.05",
    "EXCHANGES_STREAM_BACKOFF_MAX": "0.3",
}
TAKEOVER_BOUND = 6.0  # seconds: the lease's TTL (3 s) + a renew period (1 s) + connecting


async def until(check: Callable[[], bool], within: float = 15.0) -> None:
    """Wait (bounded) for a condition on the simulator's counters (trades made, sockets
    subscribed), which signal no event: checked every 20 ms until it holds."""
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 - nothing to wait on; bounded by the timeout
            await asyncio.sleep(0.02)


def assert_every_trade_once(sim: Simulator, ids: list[str]) -> None:
    """``ids`` is a run of the engine's trades with nothing missing and nothing twice."""
    truth = engine_trade_ids(sim, "BTC/USDT")
    assert ids, "no trades"
    start = truth.index(ids[0])
    assert ids == truth[start : start + len(ids)]


async def trades_after(sim: Simulator, count: int) -> None:
    done = len(sim.state.engine("BTC/USDT").trades) + count
    await until(lambda: len(sim.state.engine("BTC/USDT").trades) >= done)


async def test_three_processes_hold_one_connection_and_each_gets_every_trade(
    redis_url: str,
) -> None:
    async with (
        Simulator(seed=11, rate=5, trade_rate=50) as sim,
        Workers(3, [sim.endpoint, "trades"], {**ENV, "EXCHANGES_REDIS_URL": redis_url}) as w,
    ):
        await w.say("go")
        roles = [(await w.hear(p))["role"] for p in w.procs]
        assert sorted(roles) == ["holder", "reader", "reader"]
        await trades_after(sim, 100)
        assert sim.hub.subscribers(STREAM) == 1
        await w.say("stop")
        results = [await w.hear(p) for p in w.procs]
    holders = {r["holder"] for r in results}
    assert len(holders) == 1
    assert holders.pop().split("@")[0] == str(w.procs[roles.index("holder")].pid)
    for result in results:
        assert_every_trade_once(sim, result["ids"])
        assert result["gaps"] == 0
    # the window all saw: the same trades, in the same order
    first = max(int(r["ids"][0]) for r in results)
    last = min(int(r["ids"][-1]) for r in results)
    windows = [[i for i in r["ids"] if first <= int(i) <= last] for r in results]
    assert len(windows[0]) >= 50
    assert windows[0] == windows[1] == windows[2]


async def test_the_holder_killed_another_takes_over_and_nothing_is_lost(redis_url: str) -> None:
    async with (
        Simulator(seed=12, rate=5, trade_rate=50) as sim,
        Workers(3, [sim.endpoint, "trades"], {**ENV, "EXCHANGES_REDIS_URL": redis_url}) as w,
    ):
        await w.say("go")
        roles = [(await w.hear(p))["role"] for p in w.procs]
        holder = w.procs[roles.index("holder")]
        survivors = [p for p in w.procs if p is not holder]
        await trades_after(sim, 50)
        holder.kill()  # SIGKILL: no release, no goodbye; its lease must expire
        killed = time.monotonic()
        await holder.wait()
        await until(lambda: sim.hub.subscribers(STREAM) == 0, within=5)
        await until(lambda: sim.hub.subscribers(STREAM) == 1, within=TAKEOVER_BOUND + 2)
        took = time.monotonic() - killed
        await trades_after(sim, 100)
        assert sim.hub.subscribers(STREAM) == 1
        await w.say("stop", survivors)
        results = [await w.hear(p) for p in survivors]
    assert took < TAKEOVER_BOUND, took
    assert sorted(r["role"] for r in results) == ["holder", "reader"]
    assert {r["holder"].split("@")[0] for r in results} == {str(results_pid(results, survivors))}
    assert sum(r["takeovers"] for r in results) == 1
    for result in results:
        assert_every_trade_once(sim, result["ids"])
        assert result["gaps"] == 0
        assert len(result["ids"]) >= 150  # before the kill, the outage (repaired), after


def results_pid(results: list[dict[str, object]], procs: list[object]) -> int:
    """The pid of the survivor that reports itself as holder."""
    index = [r["role"] for r in results].index("holder")
    pid: int = procs[index].pid  # type: ignore[attr-defined]
    return pid


async def test_without_the_url_each_process_opens_its_own(redis_url: str) -> None:
    async with (
        Simulator(seed=13, rate=5, trade_rate=50) as sim,
        Workers(3, [sim.endpoint, "trades"], ENV) as w,
    ):
        await w.say("go")
        assert [(await w.hear(p))["role"] for p in w.procs] == [None, None, None]
        await trades_after(sim, 30)
        assert sim.hub.subscribers(STREAM) == 3
        await w.say("stop")
        results = [await w.hear(p) for p in w.procs]
    assert {r["mode"] for r in results} == {"local"}
    for result in results:
        assert_every_trade_once(sim, result["ids"])
