"""Several OS processes against one simulator whose weight limit is low: with the Redis URL
they share one budget (zero 429s while using most of it); without it, each spends its own
and the venue answers 429s (and bans). The redis client is made inside each process."""

from __future__ import annotations

from exchanges.simulator import Simulator

from .processes import run_workers

LIMIT = 300  # the simulator's weight per window (its window does not roll during a test)
ENV = {
    "EXCHANGES_RATE_LIMIT_WEIGHT": str(LIMIT),
    # our windows: one for the whole test (epoch-aligned), so all we send is within it
    "EXCHANGES_RATE_LIMIT_WINDOW": "1000000",
    "EXCHANGES_RATE_LIMIT_THRESHOLD": "0.95",
    "EXCHANGES_LOG_LEVEL": "WARNING",
}


async def test_processes_sharing_redis_never_exceed_the_venue_budget(redis_url: str) -> None:
    async with Simulator(seed=3, rate=0, weight_limit=LIMIT, weight_window=600) as sim:
        results = await run_workers(
            3, [sim.endpoint, "budget", "60"], {**ENV, "EXCHANGES_REDIS_URL": redis_url}
        )
        assert {r["mode"] for r in results} == {"redis"}
        assert sim.limiter.refused == {}  # not one 429 or 418
        assert sum(r.get("venue_429", 0) for r in results) == 0
        assert all(r.get("refused", 0) >= 1 for r in results)  # each stopped by the budget
        # together they used most of the budget: reads may take 95% of it
        assert sim.limiter.used >= 0.9 * LIMIT
        assert sim.limiter.used <= LIMIT


async def test_without_redis_each_process_spends_its_own_budget_and_the_venue_refuses() -> None:
    async with Simulator(seed=3, rate=0, weight_limit=LIMIT, weight_window=600) as sim:
        results = await run_workers(3, [sim.endpoint, "budget", "60"], ENV)
        assert {r["mode"] for r in results} == {"local"}
        assert sim.limiter.refused[429] > 0
        assert sum(r.get("venue_429", 0) + r.get("banned", 0) for r in results) > 0
