"""Fan-out of one public stream to N consumer processes: CPU per record per consumer and
the latency it adds, through Redis (``EXCHANGES_REDIS_URL``: one process holds the
WebSocket and publishes, the others read the Redis Stream) against each process holding
its own connection (in-process delivery).

One bundled simulator (in this process) makes ``--rate`` trades a second on BTC/USDT; N
OS processes subscribe to its trades, then run ``--seconds``. Per process: CPU seconds
(``time.process_time``) over the run divided by the trades it got; the latency from the
trade's exchange timestamp to the callback (p50/p99 over its last 2048 trades; the
simulator, holder and readers share one clock); for readers also the hop from the
holder's XADD to their delivery. Starts its own redis-server on a free port. Run:

    .venv/bin/python bench/fanout.py [--consumers 1 4 16] [--rate 1000] [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.redis_server import RedisServer, find_redis_server, free_port
from tests.sharing.processes import Workers

from exchanges.simulator import Simulator


def row(label: str, n: int, group: list[dict[str, Any]], connections: int) -> str:
    if not group:
        return ""
    cpu = statistics.mean(r["cpu_s"] / max(1, len(r["ids"])) * 1e6 for r in group)
    p50 = statistics.median(r["latency_ms"][0] for r in group)
    p99 = max(r["latency_ms"][1] for r in group)
    hops = [r["hop_ms"] for r in group if r["hop_ms"] and r["role"] == "reader"]
    hop = (
        f"{statistics.median(h[0] for h in hops):.2f} / {max(h[1] for h in hops):.2f}"
        if hops
        else "-"
    )
    got = statistics.mean(len(r["ids"]) for r in group)
    return (
        f"| {n} | {label} | {len(group)} | {connections} | {got:.0f} | {cpu:.0f} | "
        f"{p50:.2f} / {p99:.2f} | {hop} |"
    )


async def run(url: str | None, n: int, rate: float, seconds: float) -> list[str]:
    env = {"EXCHANGES_LOG_LEVEL": "ERROR", **({"EXCHANGES_REDIS_URL": url} if url else {})}
    async with (
        Simulator(seed=5, rate=5, trade_rate=rate) as sim,
        Workers(n, [sim.endpoint, "trades"], env) as w,
    ):
        await w.say("go")
        for proc in w.procs:
            await w.hear(proc)
        await asyncio.sleep(seconds)  # the measured run
        connections = sim.hub.subscribers("btcusdt@trade")
        await w.say("stop")
        results = [await w.hear(p) for p in w.procs]
    if url is None:
        return [row("own connection", n, results, connections)]
    holders = [r for r in results if r["role"] == "holder"]
    readers = [r for r in results if r["role"] == "reader"]
    return [
        line
        for line in (
            row("Redis: holder", n, holders, connections),
            row("Redis: reader", n, readers, connections),
        )
        if line
    ]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--consumers", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    server = RedisServer(find_redis_server(), free_port())
    server.start()
    try:
        print(f"{args.rate:g} trades/s, {args.seconds:g} s per run")
        print(
            "| consumers | role | processes | sockets at the venue | trades each | "
            "CPU µs/trade | latency p50 / p99 ms | hop p50 / p99 ms |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for n in args.consumers:
            for url in (server.url, None):
                server.flushdb()
                for line in await run(url, n, args.rate, args.seconds):
                    print(line, flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
