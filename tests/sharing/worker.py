"""One OS process of the sharing tests and benchmarks: ``python -m tests.sharing.worker
ENDPOINT budget|markets [N]``. Settings (the Redis URL among them) come from the
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


async def main(argv: list[str]) -> None:
    endpoint, job = argv[0], argv[1]
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    if job == "budget":
        result = await budget(endpoint, int(argv[2]) if len(argv) > 2 else 60)
    else:
        result = await markets(endpoint)
    print(orjson.dumps(result).decode(), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
