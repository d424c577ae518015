"""How much of the venue's budget N processes use together, with the budget shared through
Redis (``EXCHANGES_REDIS_URL``) and without.

Against one bundled simulator (Binance protocol, loopback) whose weight limit is lowered
(``--limit``, its window longer than the run), N OS processes each read order books
(weight 5), 8 at a time, until their budget refuses a read unsent (or the venue bans
them). Reports the share of the venue's limit used, the 429/418 answers the venue gave,
and the wall time. Starts its own redis-server on a free port. Run:

    .venv/bin/python bench/shared_budget.py [--limit 600] [--processes 1 2 4 8]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.redis_server import RedisServer, find_redis_server, free_port
from tests.sharing.processes import run_workers

from exchanges.simulator import Simulator


async def one(count: int, limit: int, url: str | None) -> tuple[float, int, int, float]:
    env = {
        "EXCHANGES_RATE_LIMIT_WEIGHT": str(limit),
        "EXCHANGES_RATE_LIMIT_WINDOW": "1000000",  # one window for the whole run
        "EXCHANGES_RATE_LIMIT_THRESHOLD": "0.95",
        "EXCHANGES_LOG_LEVEL": "ERROR",
    }
    if url:
        env["EXCHANGES_REDIS_URL"] = url
    async with Simulator(seed=3, rate=0, weight_limit=limit, weight_window=3600) as sim:
        started = time.perf_counter()
        await run_workers(count, [sim.endpoint, "budget", "1000"], env)
        wall = time.perf_counter() - started
        used = sim.limiter.used / limit
        return used, sim.limiter.refused[429], sim.limiter.refused[418], wall


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=600)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4, 8])
    args = parser.parse_args()
    server = RedisServer(find_redis_server(), free_port())
    server.start()
    try:
        print(f"venue limit {args.limit} weight; reads may book 95% of it")
        print("| processes | Redis | share of the limit used | 429s | 418s | wall s |")
        print("|---|---|---|---|---|---|")
        for count in args.processes:
            for url in (server.url, None):
                server.flushdb()
                used, r429, r418, wall = await one(count, args.limit, url)
                label = "shared" if url else "none"
                print(f"| {count} | {label} | {used:.2f} | {r429} | {r418} | {wall:.1f} |")
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
