"""N processes starting together: wall time and ``exchangeInfo`` requests, with the market
metadata shared through Redis (``EXCHANGES_REDIS_URL``) and without.

Against one bundled simulator (Binance protocol, loopback, ``--symbols`` markets), N OS
processes are released at the same moment (after their imports) and each connects a
binance adapter (markets loaded). Reports the requests the simulator saw and the wall time
from release to the last process done. Starts its own redis-server on a free port. Run:

    .venv/bin/python bench/shared_markets.py [--processes 8] [--symbols 200]
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


def symbols(count: int) -> list[str]:
    bases = [f"C{i:03d}" for i in range(count - 1)]
    return ["BTC/USDT", *(f"{b}/USDT" for b in bases)]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--symbols", type=int, default=200)
    args = parser.parse_args()
    server = RedisServer(find_redis_server(), free_port())
    server.start()
    try:
        print(f"{args.processes} processes, {args.symbols} markets")
        print("| markets | exchangeInfo requests | wall s | slowest connect s |")
        print("|---|---|---|---|")
        for url in (server.url, None):
            server.flushdb()
            env = {"EXCHANGES_LOG_LEVEL": "ERROR", **({"EXCHANGES_REDIS_URL": url} if url else {})}
            async with Simulator(seed=4, rate=0, symbols=symbols(args.symbols)) as sim:
                started = time.perf_counter()
                results = await run_workers(args.processes, [sim.endpoint, "markets"], env)
                wall = time.perf_counter() - started
                slowest = max(float(r["seconds"]) for r in results)
                label = "shared (Redis)" if url else "each its own"
                requests = sim.limiter.requests["/api/v3/exchangeInfo"]
                print(f"| {label} | {requests} | {wall:.2f} | {slowest:.2f} |")
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
