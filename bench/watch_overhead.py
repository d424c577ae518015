"""What the adapter's typed watch_* add on top of raw ccxt.pro, at a saturated feed.

The simulator runs as a separate process in firehose mode (market data as fast as the
socket takes), so client and server do not share an event loop. Raw and adapter loops run
in turn, each on its own connection (closed after), ``--rounds`` times, against the same
server:

* raw ccxt.pro: ``await client.watch_trades(symbol)`` / ``watch_order_book`` in a loop;
* this library: ``await adapter.watch_trades(symbol)`` / ``watch_order_book`` in a loop
  (typed records, error translation, lifecycle checks).

Reports messages delivered per second. Run:

    .venv/bin/python bench/watch_overhead.py [--seconds 3] [--rounds 4]

Raw ccxt.pro loses trades at saturation (its cache is overwritten between reads): both
sides are measured the same way, by what each loop was handed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import ccxt.pro as ccxtpro

from core import Settings, configure_logging
from exchanges import BinanceExchange
from exchanges.simulator import CLIENT_OPTIONS, DEMO_API_KEY, DEMO_SECRET
from exchanges.venues.binance_endpoint import endpoint_urls

SYMBOL = "BTC/USDT"


async def count_for(seconds: float, step: Callable[[], Awaitable[int]]) -> float:
    """Messages per second handed to the loop over ``seconds``."""
    received = 0
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        received += await step()
    return received / (time.perf_counter() - start)


async def raw(endpoint: str, seconds: float) -> tuple[float, float]:
    client = ccxtpro.binance(
        {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET, "options": copy.deepcopy(CLIENT_OPTIONS)}
    )
    client.urls = endpoint_urls(client.urls, endpoint)
    try:
        await client.load_markets()

        async def trades() -> int:
            return len(await client.watch_trades(SYMBOL))

        async def book() -> int:
            await client.watch_order_book(SYMBOL)
            return 1

        return await count_for(seconds, trades), await count_for(seconds, book)
    finally:
        await client.close()


async def ours(endpoint: str, seconds: float) -> tuple[float, float]:
    credentials = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}
    async with BinanceExchange(endpoint=endpoint, credentials=credentials) as ex:

        async def trades() -> int:
            return len(await ex.watch_trades(SYMBOL))

        async def book() -> int:
            await ex.watch_order_book(SYMBOL)
            return 1

        return await count_for(seconds, trades), await count_for(seconds, book)


async def measure(endpoint: str, seconds: float, rounds: int) -> dict[str, list[float]]:
    """Raw then adapter, one client at a time (each its own connection, closed after),
    ``rounds`` times, so the server's drift falls on both sides alike."""
    rates: dict[str, list[float]] = {
        "raw_trades": [],
        "raw_books": [],
        "our_trades": [],
        "our_books": [],
    }
    for _ in range(rounds):
        for prefix, run in (("raw", raw), ("our", ours)):
            trades, books = await run(endpoint, seconds)
            rates[f"{prefix}_trades"].append(trades)
            rates[f"{prefix}_books"].append(books)
    return rates


def start_simulator() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "exchanges.cli", "simulator", "--port", "0", "--firehose"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    return proc, first.rsplit(" ", 1)[1].strip()


async def main() -> None:
    configure_logging(Settings(log_level="WARNING"))
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one slice")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    proc, endpoint = start_simulator()
    try:
        rates = await measure(endpoint, args.seconds, args.rounds)
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    mean = {name: statistics.fmean(values) for name, values in rates.items()}
    spread = {name: statistics.pstdev(values) for name, values in rates.items()}
    print(f"firehose simulator, {args.rounds} rounds of {args.seconds:.0f} s per loop, {SYMBOL}")
    print("| loop | trades/s handed over (mean ± sd) | book updates/s (mean ± sd) |")
    print("|---|---|---|")
    for label, prefix in (("raw ccxt.pro watch_*", "raw"), ("adapter watch_* (typed)", "our")):
        t, b = f"{prefix}_trades", f"{prefix}_books"
        print(
            f"| {label} | {mean[t]:,.0f} ± {spread[t]:,.0f} | {mean[b]:,.0f} ± {spread[b]:,.0f} |"
        )
    ratio_t = mean["our_trades"] / mean["raw_trades"]
    ratio_b = mean["our_books"] / mean["raw_books"]
    print(f"| adapter / raw | {ratio_t:.2f} | {ratio_b:.2f} |")


if __name__ == "__main__":
    asyncio.run(main())
