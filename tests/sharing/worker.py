"""One OS process of the sharing tests and benchmarks: ``python -m tests.sharing.worker
ENDPOINT budget|markets|trades [N]``. Settings (the Redis URL among them) come from the
environment, as in production. It prints ``ready``, waits for a line on stdin (so that the
processes start together), works, and prints one JSON line of what it saw."""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter

import orjson

from core import Banned, RateLimited
from exchanges import BinanceExchange
from exchanges.simulator import DEMO_API_KEY, DEMO_SECRET


async def budget(endpoint: str, requests: int, lanes: int = 8) -> dict[str, object]:
    """Order-book reads (weight 5 on both sides), ``lanes`` at a time, until the budget
    refuses one unsent (or the venue bans us)."""
    seen: Counter[str] = Counter()
    stop = asyncio.Event()

    async def lane(ex: BinanceExchange) -> None:
        while not stop.is_set() and seen["ok"] + seen["venue_429"] < requests:
            try:
                await ex.fetch_order_book("BTC/USDT", limit=5)
                seen["ok"] += 1
            except Banned:
                seen["banned"] += 1
                stop.set()
            except RateLimited as exc:
                if "not sent" in str(exc):
                    seen["refused"] += 1  # our budget: nothing reached the venue
                    stop.set()
                else:
                    seen["venue_429"] += 1

    async with BinanceExchange(endpoint=endpoint) as ex:
        await asyncio.gather(*(lane(ex) for _ in range(lanes)))
        return {"mode": ex.sharing.mode, **seen}


async def markets(endpoint: str) -> dict[str, object]:
    started = time.monotonic()
    async with BinanceExchange(endpoint=endpoint) as ex:
        return {
            "mode": ex.sharing.mode,
            "markets": len(ex.markets),
            "seconds": time.monotonic() - started,
        }


async def trades(endpoint: str, symbol: str = "BTC/USDT") -> dict[str, object]:
    """Subscribe to ``symbol``'s trades, say so (a JSON line with the role), collect the
    ids until a ``stop`` line on stdin, then report them. With the demo account's keys:
    binance serves trades by id (the repair after a takeover) only to a key."""
    ids: list[str | None] = []
    hops: list[float] = []
    demo = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}
    async with BinanceExchange(endpoint=endpoint, credentials=demo) as ex:
        sub = await ex.subscribe_trades(symbol, lambda t: ids.append(t.id))
        health = next(h for h in ex.health().streams if h.key == sub.key)
        print(orjson.dumps({"role": health.role, "holder": health.holder}).decode(), flush=True)
        cpu = time.process_time()
        await asyncio.to_thread(sys.stdin.readline)
        cpu = time.process_time() - cpu
        health = next(h for h in ex.health().streams if h.key == sub.key)
        shared = ex._fanout.stream(sub.key) if ex._fanout is not None else None
        if shared is not None:
            hops = [shared.hop.percentile(0.5) or 0.0, shared.hop.percentile(0.99) or 0.0]
        return {
            "mode": ex.sharing.mode,
            "role": health.role,
            "holder": health.holder,
            "ids": ids,
            "gaps": sub.stats.gaps_unrepaired,
            "takeovers": shared.takeovers if shared is not None else 0,
            "hop_ms": hops,
            "cpu_s": cpu,
            "latency_ms": [sub.stats.latency_p50_ms, sub.stats.latency_p99_ms],
        }


async def main(argv: list[str]) -> None:
    endpoint, job = argv[0], argv[1]
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    if job == "budget":
        result = await budget(endpoint, int(argv[2]) if len(argv) > 2 else 60)
    elif job == "trades":
        result = await trades(endpoint)
    else:
        result = await markets(endpoint)
    print(orjson.dumps(result).decode(), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
