"""A firehose in its own process: raw ccxt.pro against supervised ``subscribe_trades``.

The simulator runs as a subprocess (``exchanges simulator --firehose``), on its own core,
so it can outrun the client: ccxt parses whatever a socket read brings before any reader
runs, and a trade cache smaller than that loses trades at every read. Each round runs, on
fresh clients against the same server, in an order that rotates by round:

* **raw**: an unmodified ``ccxt.pro.binance`` (no keys) in a ``watch_trades`` loop;
* **raw-cache**: the same with ccxt's trade cache as deep as the supervised streams'
  (``tradesLimit`` = ``EXCHANGES_STREAM_CACHE_SIZE``): the fair baseline for the layer's
  own cost, since plain ccxt.pro hands over at most its 1 000-trade cache per read;
* **keyless**: this library's ``subscribe_trades`` on an adapter without credentials;
* **keys**: the same on the demo account (repairs may use the keyed lookup).

Each loop reads ``--seconds`` after a warm-up, then on until a record newer than the
window arrives (records come in id order, so every id of the window has then been
delivered or reported), at most ``--drain`` s. The ground truth is the venue's own: its
trade ids are consecutive, so the trades made in the window are the ids between its newest
trade at the window's start and at its end (``GET /api/v3/trades?limit=1`` on the
simulator, read by the benchmark over a plain HTTP session). Reported per loop: trades
handed over per second in the window, and the client process's CPU time per trade handed
over (the server's is in its own process; raw ccxt.pro's figure includes the trades it
parsed and then lost); the share of the window's ids delivered; how many
were not, and how many of those lie inside an unrepaired ``GAP``; the request weight the
venue counted during the loop (its ``X-MBX-USED-WEIGHT-1M``, the benchmark's own reads
aside); the machine's load average. Run:

    .venv/bin/python bench/firehose_process.py [--rounds 5] [--seconds 4] [--cache-size N]

Medians and spreads (min-max) over the rounds; the machine has 2 cores shared with other
work, so the load average is printed with each round.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import copy
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import ccxt.pro as ccxtpro

from core import EventKind, Gap, Settings, StreamEvent, configure_logging
from exchanges import BinanceExchange
from exchanges.simulator import CLIENT_OPTIONS, DEMO_API_KEY, DEMO_SECRET
from exchanges.venues.binance_endpoint import endpoint_urls

SYMBOL = "BTC/USDT"
LOOPS = ("raw", "raw-cache", "keyless", "keys")


@dataclass
class Reader:
    ids: list[int] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    def on_event(self, event: StreamEvent) -> None:
        if event.kind is EventKind.GAP and event.gap is not None and not event.gap.repaired:
            self.gaps.append(event.gap)


@dataclass
class Result:
    rate: float  # trades handed over per second in the window
    cpu_us: float  # the client process's CPU time per trade handed over (µs)
    made: int  # trades the venue made in the window
    delivered: int
    reported: int  # not delivered, inside an unrepaired gap's bounds
    weight: int  # request weight counted by the venue during the loop
    load: float  # 1-minute load average after the loop
    notes: dict[str, Any]


class Venue:
    """The simulator subprocess and a plain HTTP session to read its ground truth."""

    def __init__(self, endpoint: str, http: aiohttp.ClientSession) -> None:
        self.endpoint = endpoint
        self.http = http

    async def newest(self) -> tuple[int, int]:
        """(the venue's newest trade id, the request weight it reports as used)."""
        query = {"symbol": "BTCUSDT", "limit": "1"}
        async with self.http.get(f"{self.endpoint}/api/v3/trades", params=query) as r:
            body = await r.json()
            return int(body[-1]["id"]), int(r.headers["X-MBX-USED-WEIGHT-1M"])


@asynccontextmanager
async def simulator() -> AsyncIterator[Venue]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "exchanges.cli", "simulator", "--port", "0", "--firehose",
        "--symbols", SYMBOL, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = (await proc.stdout.readline()).decode()
        endpoint = first.rsplit(" ", 1)[1].strip()
        async with aiohttp.ClientSession() as http:
            yield Venue(endpoint, http)
    finally:
        proc.terminate()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await proc.wait()


@asynccontextmanager
async def reading(loop: str, endpoint: str, settings: Settings) -> AsyncIterator[Reader]:
    r = Reader()
    if loop.startswith("raw"):
        options = copy.deepcopy(CLIENT_OPTIONS)
        if loop == "raw-cache":
            options["tradesLimit"] = settings.stream_cache_size
        client = ccxtpro.binance({"options": options})
        client.urls = endpoint_urls(client.urls, endpoint)

        async def watch() -> None:
            while True:
                r.ids.extend(int(t["id"]) for t in await client.watch_trades(SYMBOL))

        try:
            await client.load_markets()
            task = asyncio.create_task(watch())
            try:
                yield r
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        finally:
            await client.close()
        return
    keys = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET} if loop == "keys" else None
    async with BinanceExchange(endpoint=endpoint, credentials=keys, settings=settings) as ex:
        sub = await ex.subscribe_trades(
            SYMBOL, lambda t: r.ids.append(int(str(t.id))), on_event=r.on_event
        )
        try:
            yield r
        finally:
            s = sub.stats  # (getattr: the script also runs on versions before ``missing``)
            r.notes.update(gaps_repaired=s.gaps_repaired, gaps_unrepaired=s.gaps_unrepaired,
                           backfilled=s.backfilled, missing=getattr(s, "missing", None),
                           duplicates=s.duplicates, reconnects=s.reconnects,
                           dropped=s.dropped)  # fmt: skip
            await sub.cancel()


async def until(check: Callable[[], bool], within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no data within {within} s")
        await asyncio.sleep(0.05)


async def run(loop: str, venue: Venue, args: argparse.Namespace, settings: Settings) -> Result:
    _, w0 = await venue.newest()
    async with reading(loop, venue.endpoint, settings) as r:
        await until(lambda: bool(r.ids))
        await asyncio.sleep(0.5)  # warm up
        s0, _ = await venue.newest()
        n0, t0, c0 = len(r.ids), time.perf_counter(), time.process_time()
        await asyncio.sleep(args.seconds)
        s1, _ = await venue.newest()
        n1, t1, c1 = len(r.ids), time.perf_counter(), time.process_time()
        # records come in id order: once one past the window is in, every id of the
        # window was delivered or reported (raw: it is only ever skipped)
        with contextlib.suppress(TimeoutError):
            await until(lambda: bool(r.ids) and r.ids[-1] > s1, within=args.drain)
        r.notes["settled_s"] = round(time.perf_counter() - t1, 2)
    _, w1 = await venue.newest()
    got = {i for i in r.ids if s0 < i <= s1}
    holes = [(int(g.first_id), int(g.last_id)) for g in r.gaps if g.first_id and g.last_id]
    missed = [i for i in range(s0 + 1, s1 + 1) if i not in got]
    reported = sum(1 for i in missed if any(a <= i <= b for a, b in holes))
    r.notes["dups"] = len(r.ids) - len(set(r.ids))
    reasons = collections.Counter(g.reason.split(":")[0] for g in r.gaps)
    r.notes.update({f"gap[{k}]": v for k, v in reasons.most_common(2)})
    # the loop's own (its markets, 20, included), the benchmark's three later reads (25
    # each) aside; when the venue's minute window rolled over meanwhile, since the roll
    weight = max(0, (w1 - w0 if w1 >= w0 else w1) - 3 * 25)
    cpu_us = (c1 - c0) * 1e6 / max(n1 - n0, 1)
    return Result((n1 - n0) / (t1 - t0), cpu_us, s1 - s0, len(got), reported, weight,
                  os.getloadavg()[0], r.notes)  # fmt: skip


def describe(r: Result) -> str:
    notes = " ".join(f"{k}={v}" for k, v in r.notes.items() if v)
    share = 100 * r.delivered / r.made
    return (f"{r.rate:8,.0f}/s {r.cpu_us:5.1f} µs CPU | made {r.made:7,} delivered "
            f"{share:5.1f} % missed {r.made - r.delivered:6,} reported {r.reported:6,} | "
            f"weight {r.weight:4} | load {r.load:.2f} | {notes}")  # fmt: skip


def spread(values: Sequence[float], fmt: str, unit: str = "") -> str:
    med, low, high = statistics.median(values), min(values), max(values)
    return f"{med:{fmt}}{unit} ({low:{fmt}}-{high:{fmt}})"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4.0, help="measured window")
    parser.add_argument("--drain", type=float, default=10.0,
                        help="longest wait after the window for its ids to settle")  # fmt: skip
    parser.add_argument("--cache-size", type=int, default=None,
                        help="EXCHANGES_STREAM_CACHE_SIZE for the supervised loops")  # fmt: skip
    args = parser.parse_args()
    extra = {} if args.cache_size is None else {"stream_cache_size": args.cache_size}
    settings = Settings(log_level="CRITICAL", **extra)  # gaps are counted, not logged
    configure_logging(settings)
    results: dict[str, list[Result]] = {loop: [] for loop in LOOPS}
    started = time.perf_counter()
    print(f"load before: {os.getloadavg()[0]:.2f}; cache {settings.stream_cache_size}")
    async with simulator() as venue:
        for n in range(args.rounds):
            order = LOOPS[n % len(LOOPS) :] + LOOPS[: n % len(LOOPS)]
            for loop in order:
                result = await run(loop, venue, args, settings)
                results[loop].append(result)
                print(f"round {n + 1} {loop:8} {describe(result)}", flush=True)
    print(f"\n{SYMBOL}, simulator in its own process (firehose), {args.rounds} rounds of "
          f"{args.seconds:g} s, supervised cache "
          f"{settings.stream_cache_size}; median (min-max)\n")  # fmt: skip
    print("| loop | trades/s handed over | client CPU µs/trade | delivered | "
          "not delivered, in a GAP | weight/round |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    labels = {"raw": "raw ccxt.pro `watch_trades` loop (its 1 000 cache)",
              "raw-cache": f"raw ccxt.pro, `tradesLimit` {settings.stream_cache_size}",
              "keyless": "`subscribe_trades`, no keys",
              "keys": "`subscribe_trades`, keys"}  # fmt: skip
    for loop in LOOPS:
        rs = results[loop]
        rate = spread([r.rate for r in rs], ",.0f")
        cpu = spread([r.cpu_us for r in rs], ".1f")
        done = spread([100 * r.delivered / r.made for r in rs], ".1f", " %")
        told = spread([r.reported for r in rs], ",.0f")
        weight = spread([r.weight for r in rs], ".0f")
        print(f"| {labels[loop]} | {rate} | {cpu} | {done} | {told} | {weight} |")
    for base in ("raw", "raw-cache"):
        for loop in ("keyless", "keys"):
            pairs = zip(results[base], results[loop], strict=True)
            ratio = spread([o.rate / r.rate for r, o in pairs], ".2f")
            pairs = zip(results[base], results[loop], strict=True)
            cost = spread([o.cpu_us / r.cpu_us for r, o in pairs], ".2f")
            print(f"| {labels[loop]} / {base} (paired by round) | {ratio} | {cost} | | | |")
    loads = spread([r.load for rs in results.values() for r in rs], ".2f")
    print(f"\nload average (1 min) after each loop: {loads}; {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
