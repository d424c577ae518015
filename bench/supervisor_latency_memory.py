"""Supervised streams against raw ccxt.pro: latency at a steady feed, memory at 200 symbols.

Against the in-process simulator (loopback; client and server share one event loop), each
round runs raw ccxt.pro and this library in turn (the order alternates), each on a fresh
simulator and a fresh client:

* **latency**: one symbol, the simulator's ``trade_rate`` at ``--trade-rate`` (850 market
  orders/s, some filling at two levels: about 1 000 trade messages/s; not the firehose).
  Exchange-to-callback latency is ``now_ms - trade timestamp``, computed for
  every record in the raw ``watch_trades`` loop and in the ``subscribe_trades`` callback
  alike; the subscription's own ``stats.latency_p50_ms`` / ``latency_p99_ms`` (the newest
  8 records of each batch, last 2 048 samples) are shown beside it.
* **memory**: ``--symbols`` symbols (the simulator's generic specs ``C000/USDT`` ...), trades
  and order book each: 2 x N raw ``watch_*`` loops, or ``subscribe_trades_for_symbols`` plus
  ``subscribe_order_book_for_symbols``. Each measurement runs in a fresh interpreter (this
  script again), so nothing is left over from other runs: resident memory (RSS) added from
  before the client is created until every stream has delivered and ``--steps`` more market
  steps per symbol went out. The simulator's side of the connections is in that figure,
  the same for both loops; the difference is the supervised layer's. ccxt's rate limiter is
  off on both sides (the snapshots of 200 books would otherwise take minutes) and the
  simulator's weight limit is raised.

Memory grows after that, as caches fill: the projection multiplies the measured bytes per
cached ccxt trade and per trade id the supervised stream remembers (to drop duplicates) by
their caps. Run:

    .venv/bin/python bench/supervisor_latency_memory.py [--rounds 3] [--seconds 5]

Figures are medians and spreads (min-max) over the rounds: the machine has 2 cores shared
with other work. Throughput and completeness: ``bench/supervisor.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from core import Settings, configure_logging
from exchanges import BinanceExchange
from exchanges.pytest_plugin import make_binance_client
from exchanges.simulator import DEMO_API_KEY, DEMO_SECRET, Simulator

SYMBOL = "BTC/USDT"
TRADE_STREAM = "btcusdt@trade"
SETTINGS = Settings(log_level="CRITICAL", enable_rate_limit=False)


def adapter(sim: Simulator) -> BinanceExchange:
    credentials = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}
    return BinanceExchange(endpoint=sim.endpoint, credentials=credentials, settings=SETTINGS)


def percentile(samples: Sequence[float], q: float) -> float:
    """As ``core.Latency``: the sample at rank ``int(q * n)`` of the sorted samples."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def spread(values: Sequence[float], fmt: str) -> str:
    med, low, high = statistics.median(values), min(values), max(values)
    return f"{med:{fmt}} ({low:{fmt}}-{high:{fmt}})"


async def until(check: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {within} s")
        await asyncio.sleep(0.05)


# ---------------------------------------------------------------------------- latency
@dataclass
class Latency:
    rate: float  # trade messages sent per second over the window
    p50: float
    p99: float
    stats_p50: float | None = None
    stats_p99: float | None = None


async def latency(supervised: bool, args: argparse.Namespace, seed: int) -> Latency:
    samples: list[float] = []
    stats: Any = None
    async with Simulator(seed=seed, symbols=[SYMBOL], rate=2, trade_rate=args.trade_rate) as sim:

        async def window() -> tuple[int, float]:
            await until(lambda: len(samples) > 0, 30, "first trade")
            await asyncio.sleep(1.0)  # warm up
            samples.clear()
            sent = sim.state.trade_ids_sent[TRADE_STREAM]
            first, started = sent[-1], time.perf_counter()
            await asyncio.sleep(args.seconds)
            return sent[-1] - first, time.perf_counter() - started

        if supervised:
            async with adapter(sim) as ex:

                def on_trade(trade: Any) -> None:
                    samples.append(time.time() * 1000 - trade.timestamp)

                sub = await ex.subscribe_trades(SYMBOL, on_trade)
                try:
                    count, elapsed = await window()
                    stats = sub.stats
                finally:
                    await sub.cancel()
        else:
            client = make_binance_client(sim)

            async def loop() -> None:
                while True:
                    trades = await client.watch_trades(SYMBOL)
                    now = time.time() * 1000
                    samples.extend(now - t["timestamp"] for t in trades)

            try:
                await client.load_markets()
                task = asyncio.create_task(loop())
                try:
                    count, elapsed = await window()
                finally:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            finally:
                await client.close()
    result = Latency(count / elapsed, percentile(samples, 0.5), percentile(samples, 0.99))
    if stats is not None:
        result.stats_p50, result.stats_p99 = stats.latency_p50_ms, stats.latency_p99_ms
    return result


# ---------------------------------------------------------------------------- memory
@dataclass
class Memory:
    rss: int  # resident memory added from before the client to once every stream delivered
    live_s: float  # from the first subscription until every stream delivered
    tasks: int  # asyncio tasks the client added
    sockets: int  # WebSocket connections the server saw
    per_trade: float = 0.0  # bytes per trade in ccxt's trade caches (deep)
    trade_cap: int = 0  # ccxt's trade cache per symbol, as the client has it
    intended_cap: int = 0  # the adapter's stream_cache_size setting
    per_id: float = 0.0  # bytes per trade id remembered to drop duplicates, at the cap
    id_cap: int = 0


def rss() -> int:
    gc.collect()
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def deep_size(obj: Any, seen: set[int]) -> int:
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        size += sum(deep_size(k, seen) + deep_size(v, seen) for k, v in obj.items())
    elif isinstance(obj, list | tuple | set | frozenset | deque):
        size += sum(deep_size(item, seen) for item in obj)
    return size


def per_item(containers: Sequence[Any]) -> float:
    """Bytes per element of ``containers`` (deep; objects shared between them once)."""
    seen: set[int] = set()
    items = [item for c in containers for item in c]
    return sum(deep_size(item, seen) for item in items) / max(len(items), 1)


async def memory(supervised: bool, args: argparse.Namespace, seed: int) -> Memory:
    symbols = ["BTC/USDT", "ETH/USDT"] + [f"C{i:03d}/USDT" for i in range(args.symbols - 2)]
    trades: Counter[str] = Counter()
    books: Counter[str] = Counter()
    async with Simulator(
        seed=seed, symbols=symbols, rate=0, weight_limit=10**9, history_minutes=5
    ) as sim:
        base_tasks, base_rss = len(asyncio.all_tasks()), rss()

        async def live(started: float) -> Memory:
            for name in (s.replace("/", "").lower() for s in symbols):
                await sim.wait_subscribed(name + "@trade")
                await sim.wait_subscribed(name + "@depth@100ms")
            deadline = time.monotonic() + 60
            while len(trades) < len(symbols) or len(books) < len(symbols):
                if time.monotonic() > deadline:  # a book needs its snapshot, then a diff
                    raise TimeoutError(f"{len(trades)} trade, {len(books)} book streams live")
                for symbol in symbols:
                    sim.step(symbol, 1, trades=1)
                await asyncio.sleep(0.3)
            live_s = time.perf_counter() - started
            for _ in range(args.steps):
                for symbol in symbols:
                    sim.step(symbol, 1, trades=2)
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)
            tasks = len(asyncio.all_tasks()) - base_tasks
            return Memory(rss() - base_rss, live_s, tasks, len(sim.hub.connections))

        run = memory_supervised if supervised else memory_raw
        return await run(sim, symbols, trades, books, live)


async def memory_supervised(
    sim: Simulator, symbols: list[str], trades: Counter[str], books: Counter[str], live: Any
) -> Memory:
    def on_trade(trade: Any) -> None:
        trades[trade.symbol] += 1

    def on_book(book: Any) -> None:
        books[book.symbol] += 1

    async with adapter(sim) as ex:
        started = time.perf_counter()
        group_t = await ex.subscribe_trades_for_symbols(symbols, on_trade)
        group_b = await ex.subscribe_order_book_for_symbols(symbols, on_book)
        try:
            result: Memory = await live(started)
            result.per_trade = per_item(list(ex.raw.trades.values()))
            result.trade_cap = ex.raw.options["tradesLimit"]
            result.intended_cap = ex.settings.stream_cache_size
            # the trade streams' duplicate filters: a set and a deque of id strings
            policies = [s.policy for s in ex.supervisor.streams() if hasattr(s.policy, "_seen")]
            cap = result.id_cap = policies[0]._memory
            containers = sys.getsizeof(set(range(cap))) + sys.getsizeof(deque(range(cap)))
            result.per_id = per_item([p._order for p in policies]) + containers / cap
        finally:
            await group_t.cancel()
            await group_b.cancel()
    return result


async def memory_raw(
    sim: Simulator, symbols: list[str], trades: Counter[str], books: Counter[str], live: Any
) -> Memory:
    client = make_binance_client(sim, enableRateLimit=False)

    async def trade_loop(symbol: str) -> None:
        while True:
            trades[symbol] += len(await client.watch_trades(symbol))

    async def book_loop(symbol: str) -> None:
        while True:
            await client.watch_order_book(symbol)
            books[symbol] += 1

    try:
        await client.load_markets()
        started = time.perf_counter()
        tasks = [asyncio.create_task(loop(s)) for s in symbols for loop in (trade_loop, book_loop)]
        try:
            result: Memory = await live(started)
            result.per_trade = per_item(list(client.trades.values()))
            result.trade_cap = result.intended_cap = client.options["tradesLimit"]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await client.close()
    return result


def memory_in_child(supervised: bool, args: argparse.Namespace, seed: int) -> Memory:
    """One memory measurement in a fresh interpreter (nothing left over from other runs)."""
    command = [sys.executable, __file__, "--child-memory", "supervised" if supervised else "raw"]
    command += ["--symbols", str(args.symbols), "--steps", str(args.steps), "--seed", str(seed)]
    done = subprocess.run(  # noqa: S603 - this interpreter running this script
        command, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory run failed:\n{done.stderr}")
    if done.stderr.strip():  # warnings (an unclosed session would show here)
        print(done.stderr, file=sys.stderr, end="")
    return Memory(**json.loads(done.stdout.strip().splitlines()[-1]))


# ---------------------------------------------------------------------------- report
async def latencies(args: argparse.Namespace) -> dict[bool, list[Latency]]:
    lat: dict[bool, list[Latency]] = {False: [], True: []}
    for n in range(args.rounds):
        for supervised in (False, True) if n % 2 == 0 else (True, False):
            lat[supervised].append(r := await latency(supervised, args, n))
            label = "supervised" if supervised else "raw"
            print(f"round {n + 1} latency {label:10} {r}", flush=True)
    return lat


def main() -> None:
    configure_logging(SETTINGS)
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="latency window")
    parser.add_argument("--trade-rate", type=float, default=850.0, help="generator trades/s")
    parser.add_argument("--symbols", type=int, default=200)
    parser.add_argument("--steps", type=int, default=5, help="market steps once all are live")
    parser.add_argument("--child-memory", choices=("raw", "supervised"), help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_memory:
        result = asyncio.run(memory(args.child_memory == "supervised", args, args.seed))
        print(json.dumps(asdict(result)))
        return
    started = time.perf_counter()
    lat = asyncio.run(latencies(args))
    mem: dict[bool, list[Memory]] = {False: [], True: []}
    for n in range(args.rounds):
        for supervised in (True, False) if n % 2 == 0 else (False, True):
            mem[supervised].append(m := memory_in_child(supervised, args, n))
            label = "supervised" if supervised else "raw"
            print(f"round {n + 1} memory  {label:10} {m}", flush=True)
    report(args, lat, mem)
    print(f"\n{time.perf_counter() - started:.0f} s")


def report(
    args: argparse.Namespace, lat: dict[bool, list[Latency]], mem: dict[bool, list[Memory]]
) -> None:
    mib = 2**20
    print(f"\n{args.rounds} rounds; median (min-max) over the rounds\n")
    print(f"Latency, {SYMBOL}, windows of {args.seconds:g} s\n")
    print("| loop | trade msgs/s sent | p50 ms | p99 ms | stats p50 ms | stats p99 ms |")
    print("|---|---|---|---|---|---|")
    for supervised, label in ((False, "raw `watch_trades` loop"), (True, "`subscribe_trades`")):
        rs = lat[supervised]
        cells = [spread([r.rate for r in rs], ",.0f")]
        cells += [spread([r.p50 for r in rs], ".1f"), spread([r.p99 for r in rs], ".1f")]
        if supervised:
            cells += [spread([r.stats_p50 or 0 for r in rs], ".1f")]
            cells += [spread([r.stats_p99 or 0 for r in rs], ".1f")]
        else:
            cells += ["n/a", "n/a"]
        print(f"| {label} | " + " | ".join(cells) + " |")
    print(f"\nMemory, {args.symbols} symbols, trades + order book each\n")
    print("| loop | RSS added (MiB) | all live after (s) | asyncio tasks | sockets |")
    print("|---|---|---|---|---|")
    for supervised, label in ((False, "raw `watch_*` loops"), (True, "`subscribe_*_for_symbols`")):
        ms = mem[supervised]
        cells = [spread([m.rss / mib for m in ms], ".1f"), spread([m.live_s for m in ms], ".1f")]
        cells += [spread([m.tasks for m in ms], ".0f"), spread([m.sockets for m in ms], ".0f")]
        print(f"| {label} | " + " | ".join(cells) + " |")
    extra = [(o.rss - r.rss) / mib for r, o in zip(mem[False], mem[True], strict=True)]
    print(f"| supervised - raw (paired by round) | {spread(extra, '.1f')} | | | |")
    ours, raw = mem[True][0], mem[False][0]
    per_trade = statistics.median([m.per_trade for m in mem[True] + mem[False]])
    per_id = statistics.median([m.per_id for m in mem[True]])
    n = args.symbols
    print(f"\nOnce full ({n} symbols), projected from measured sizes: ccxt trade caches "
          f"{n * ours.trade_cap * per_trade / mib:,.0f} MiB ({ours.trade_cap:,} trades x "
          f"{per_trade:,.0f} B per symbol; raw {raw.trade_cap:,}), "
          f"{n * ours.intended_cap * per_trade / mib:,.0f} MiB at the intended "
          f"{ours.intended_cap:,}; supervised duplicate filters "
          f"{n * ours.id_cap * per_id / mib:,.0f} MiB "
          f"({ours.id_cap:,} ids x {per_id:.0f} B)")  # fmt: skip


if __name__ == "__main__":
    main()
