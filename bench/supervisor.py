"""Supervised streams against raw ccxt.pro: throughput and completeness, in one run.

Against the in-process simulator (loopback; client and server share one event loop), each
round runs every case twice, raw ccxt.pro then this library or the other way round, each on
a fresh simulator and a fresh client:

* **trades, firehose**: a raw ``ccxt.pro.binance`` ``watch_trades`` loop against
  ``subscribe_trades`` (a callback counting records), over ``--seconds``;
* **trades, bursts**: the market paused, then ``--bursts`` bursts of ``--burst`` trades each
  (``sim.step``), the shape in which ccxt's trade cache overflows between two reads;
* **books, firehose**: a raw ``watch_order_book`` loop against ``subscribe_order_book``.

Reported: records handed over per second; messages the server sent per second; process CPU
time per record (server and client share the process: what differs between the two loops
is the client's cost); for trades, against the simulator's ground truth
(``sim.state.trade_ids_sent``), the share of trade ids sent that were delivered, and the
share delivered *or* reported missing by an unrepaired ``GAP`` event (``Gap`` bounds). After
a firehose window the loops read on for ``--drain`` s, after the bursts until they go quiet,
so records in flight count. Timed apart, outside the event loop: ccxt's ``handle_trade``
and the supervised stream's own work per trade, and the conversion of ccxt's book into an
``OrderBook`` (what the supervised stream adds per book update). Run:

    .venv/bin/python bench/supervisor.py [--seconds 4] [--rounds 3]

Figures are medians and spreads (min-max) over the rounds: the machine has 2 cores shared
with other work. Latency and memory: ``bench/supervisor_latency_memory.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from core import (
    Channel,
    EventKind,
    Gap,
    Settings,
    StreamEvent,
    StreamKey,
    StreamState,
    configure_logging,
    convert,
)
from core._policies import policy_for  # the supervised stream's parts, for layer_us
from core._subscription import Subscriber
from exchanges import BinanceExchange
from exchanges.pytest_plugin import make_binance_client
from exchanges.simulator import DEMO_API_KEY, DEMO_SECRET, Simulator

SYMBOL = "BTC/USDT"
TRADE_STREAM = "btcusdt@trade"
SETTINGS = Settings(log_level="CRITICAL")  # gaps and errors are counted below, not logged


@dataclass
class Result:
    rate: float = 0.0  # records handed over per second
    sent_rate: float = 0.0  # messages the server sent per second
    cpu_us: float = 0.0  # process CPU time per record handed over (µs)
    sent: int = 0  # trade ids sent in the window
    delivered: int = 0  # ... of which delivered
    reported: int = 0  # ... of which not delivered, inside an unrepaired gap's bounds
    notes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Reader:
    """What a loop received: trade ids (or a count of books), unrepaired gaps, stats."""

    ids: list[str] = field(default_factory=list)
    books: int = 0
    gaps: list[Gap] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    def count(self) -> int:
        return len(self.ids) or self.books

    def on_event(self, event: StreamEvent) -> None:
        if event.kind is EventKind.GAP and event.gap is not None and not event.gap.repaired:
            self.gaps.append(event.gap)


def adapter(sim: Simulator) -> BinanceExchange:
    credentials = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}
    return BinanceExchange(endpoint=sim.endpoint, credentials=credentials, settings=SETTINGS)


@asynccontextmanager
async def reading(sim: Simulator, supervised: bool, books: bool) -> AsyncIterator[Reader]:
    """A raw ccxt.pro loop or a supervised subscription, reading until the block ends."""
    r = Reader()

    def on_book(_book: Any) -> None:
        r.books += 1

    if supervised:
        async with adapter(sim) as ex:
            if books:
                sub = await ex.subscribe_order_book(SYMBOL, on_book)
            else:
                on_trade = lambda t: r.ids.append(str(t.id))  # noqa: E731
                sub = await ex.subscribe_trades(SYMBOL, on_trade, on_event=r.on_event)
            try:
                yield r
            finally:
                s = sub.stats
                r.notes.update(gaps_repaired=s.gaps_repaired, gaps_unrepaired=s.gaps_unrepaired,
                               backfilled=s.backfilled, dropped=s.dropped, resyncs=s.resyncs,
                               reconnects=s.reconnects, last_error=s.last_error)  # fmt: skip
                if books:
                    r.notes["convert_us"] = conversion_us(ex.raw.orderbooks[SYMBOL])
                    r.notes["convert_1000_us"] = conversion_us(deep_book(1000), 20)
                cached = list(ex.raw.trades.get(SYMBOL) or ())  # un-watching drops it
                await sub.cancel()
                if cached:
                    r.notes["layer_us"] = await layer_us(cached)
        return
    client = make_binance_client(sim)

    async def loop() -> None:
        while True:
            if books:
                await client.watch_order_book(SYMBOL)
                r.books += 1
            else:
                r.ids.extend(t["id"] for t in await client.watch_trades(SYMBOL))

    try:
        await client.load_markets()
        task = asyncio.create_task(loop())
        try:
            yield r
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            if not books and client.trades.get(SYMBOL):
                r.notes["ccxt_us"] = ccxt_us(client)
    finally:
        await client.close()


def best_us(run: Callable[[], Any], items: int, repeat: int = 5) -> float:
    """µs per item of the fastest of ``repeat`` runs (as timeit: the least disturbed)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best * 1e6 / items


def ccxt_us(client: Any) -> float:
    """ccxt's own handling of one trade message (``handle_trade``: parse, cache), timed
    on the messages of the trades it holds; JSON decoding and framing come on top."""
    ws = next(iter(client.clients.values()))
    messages = [t["info"] for t in client.trades[SYMBOL]]

    def run() -> None:
        for message in messages:
            client.handle_trade(ws, message)

    return best_us(run, len(messages))


async def layer_us(raw: list[Any], batch: int = 64) -> float:
    """The supervised stream's own work per trade, timed on ccxt's cached trades: convert,
    the duplicate and sequence check, the subscriber's queue, its read and the callback."""
    key, best, delivered = StreamKey(Channel.TRADES, SYMBOL), float("inf"), [0]

    def callback(_trade: Any) -> None:
        delivered[0] += 1

    for _ in range(5):
        policy, sub = policy_for(key, sequential=True), Subscriber[Any](10_000)
        start = time.perf_counter()
        for i in range(0, len(raw), batch):
            items, _ = policy.accept([convert.trade(t) for t in raw[i : i + batch]])
            sub.push(items, key, StreamState.LIVE)
            for item in await sub.get_batch():
                callback(item)
        best = min(best, time.perf_counter() - start)
    return best * 1e6 / len(raw)


def conversion_us(book: Any, repeat: int = 200) -> float:
    def run() -> None:
        for _ in range(repeat):
            convert.order_book(book, SYMBOL, synced=True)

    return best_us(run, repeat)


def deep_book(levels: int) -> dict[str, Any]:
    """A book as deep as binance's (ccxt asks for 1000 levels a side: watchOrderBookLimit)."""
    bids = [[50_000 - i * 0.01, 0.5 + i] for i in range(levels)]
    asks = [[50_000.01 + i * 0.01, 0.5 + i] for i in range(levels)]
    return {"symbol": SYMBOL, "bids": bids, "asks": asks, "timestamp": 1, "nonce": 1}


def last_sent(sim: Simulator) -> int:
    sent = sim.state.trade_ids_sent.get(TRADE_STREAM)
    return sent[-1] if sent else 0


def frames_sent(sim: Simulator) -> int:
    return sum(conn.frames_sent for conn in sim.hub.connections)


async def until(check: Callable[[], bool], within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no data within {within} s")
        await asyncio.sleep(0.05)


def score(sim: Simulator, r: Reader, first: int, last: int, result: Result) -> Result:
    """Trade ids sent in (first, last]: delivered, or inside an unrepaired gap's bounds."""
    sent = [i for i in sim.state.trade_ids_sent[TRADE_STREAM] if first < i <= last]
    got = {int(i) for i in r.ids}
    holes = [(int(g.first_id), int(g.last_id)) for g in r.gaps if g.first_id and g.last_id]
    missed = [i for i in sent if i not in got]
    result.sent, result.delivered = len(sent), len(sent) - len(missed)
    result.reported = sum(1 for i in missed if any(a <= i <= b for a, b in holes))
    result.notes.update(duplicates=len(r.ids) - len(set(r.ids)), **r.notes)
    return result


# ---------------------------------------------------------------------------- cases
async def firehose(supervised: bool, books: bool, args: argparse.Namespace, seed: int) -> Result:
    async with Simulator(seed=seed, symbols=[SYMBOL], firehose=True) as sim:
        async with reading(sim, supervised, books) as r:
            await until(lambda: r.count() > 0)
            await asyncio.sleep(0.5)  # warm up
            s0, f0, n0 = last_sent(sim), frames_sent(sim), r.count()
            c0, t0 = time.process_time(), time.perf_counter()
            await asyncio.sleep(args.seconds)
            s1, f1, n1 = last_sent(sim), frames_sent(sim), r.count()
            c1, t1 = time.process_time(), time.perf_counter()
            if not books:
                await asyncio.sleep(args.drain)
        n = max(n1 - n0, 1)
        result = Result(n / (t1 - t0), (f1 - f0) / (t1 - t0), (c1 - c0) * 1e6 / n)
        if books:
            result.notes.update(r.notes, levels=level_count(sim))
            return result
        return score(sim, r, s0, s1, result)


def level_count(sim: Simulator) -> int:
    book = sim.state.book(SYMBOL)
    return len(book.bids.levels(10_000)) + len(book.asks.levels(10_000))


async def bursts(supervised: bool, books: bool, args: argparse.Namespace, seed: int) -> Result:
    async with Simulator(seed=seed, symbols=[SYMBOL], rate=0) as sim:
        async with reading(sim, supervised, books=False) as r:
            await sim.wait_subscribed(TRADE_STREAM)
            sim.step(SYMBOL, 1, trades=1)  # a first trade: a hole after it is visible
            await until(lambda: r.count() > 0)
            s0 = last_sent(sim)
            for n in range(args.bursts):
                if n:
                    await asyncio.sleep(args.pause)
                sim.step(SYMBOL, 1, trades=args.burst)
            done = time.monotonic()
            r.notes["catch_up_s"] = await drained(r, last_sent(sim), args.quiet_max) - done
        return score(sim, r, s0, last_sent(sim), Result())


async def drained(r: Reader, last: int, within: float, quiet: float = 2.0) -> float:
    """Until trade ``last`` is delivered (a hole before it was seen, and repaired or
    reported, first), nothing new came for ``quiet`` s, or ``within`` s have passed.
    Returns when the last record came (monotonic, to 50 ms)."""
    deadline = time.monotonic() + within
    seen, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        if len(r.ids) != seen:
            seen, since = len(r.ids), time.monotonic()
            if r.ids and int(r.ids[-1]) >= last:
                break
        elif time.monotonic() - since > quiet:
            break
        await asyncio.sleep(0.05)
    return since


CASES = {
    "trades, firehose": (firehose, False),
    "trades, bursts": (bursts, False),
    "books, firehose": (firehose, True),
}


# ---------------------------------------------------------------------------- report
async def measure(args: argparse.Namespace) -> dict[tuple[str, bool], list[Result]]:
    """Raw and supervised in turn, on fresh simulators; the order alternates by round."""
    results: dict[tuple[str, bool], list[Result]] = {}
    for n in range(args.rounds):
        for case, (run, books) in CASES.items():
            for supervised in (False, True) if n % 2 == 0 else (True, False):
                result = await run(supervised, books, args, n)
                results.setdefault((case, supervised), []).append(result)
                label = "supervised" if supervised else "raw"
                print(f"round {n + 1} {case:17} {label:10} {describe(result)}", flush=True)
    return results


def describe(r: Result) -> str:
    text = f"{r.rate:7,.0f}/s (sent {r.sent_rate:7,.0f}/s) {r.cpu_us:6.1f} µs CPU/record"
    if r.sent:
        text += f" | sent {r.sent} delivered {r.delivered} reported {r.reported}"
    notes = " ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in r.notes.items() if v)  # fmt: skip
    return f"{text} | {notes}"


def spread(values: Sequence[float], fmt: str, unit: str = "") -> str:
    med, low, high = statistics.median(values), min(values), max(values)
    return f"{med:{fmt}}{unit} ({low:{fmt}}-{high:{fmt}})"


def table(results: dict[tuple[str, bool], list[Result]], args: argparse.Namespace) -> None:
    print(f"\n{SYMBOL}, in-process simulator, {args.rounds} rounds, firehose windows of "
          f"{args.seconds:g} s, {args.bursts} bursts of {args.burst} trades; "
          "median (min-max) over the rounds\n")  # fmt: skip
    print("| case | loop | records/s | process CPU µs/record | delivered | "
          "delivered or reported |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for case, (run, books) in CASES.items():
        for supervised in (False, True):
            rs, timed = results[(case, supervised)], run is firehose
            rate = spread([r.rate for r in rs], ",.0f") if timed else "n/a"
            cpu = spread([r.cpu_us for r in rs], ".0f") if timed else "n/a"
            done = told = "n/a"
            if not books:
                done = spread([100 * r.delivered / r.sent for r in rs], ".1f", " %")
                told = spread([100 * (r.delivered + r.reported) / r.sent for r in rs], ".1f", " %")
            label = "supervised `subscribe_*`" if supervised else "raw ccxt.pro `watch_*` loop"
            print(f"| {case} | {label} | {rate} | {cpu} | {done} | {told} |")
        raw, ours = results[(case, False)], results[(case, True)]
        if run is firehose:
            pairs = list(zip(raw, ours, strict=True))
            ratio = spread([o.rate / r.rate for r, o in pairs], ".2f")
            cost = spread([o.cpu_us / r.cpu_us for r, o in pairs], ".2f")
            print(f"| {case} | supervised / raw (paired by round) | {ratio} | {cost} | | |")
    burst = {sup: results[("trades, bursts", sup)] for sup in (False, True)}
    catch = {
        sup: spread([r.notes["catch_up_s"] for r in rs], ".1f", " s") for sup, rs in burst.items()
    }
    back = spread([r.notes.get("backfilled", 0) for r in burst[True]], ",.0f")
    print(f"\nbursts: last record {catch[False]} (raw), {catch[True]} (supervised) after the "
          f"last burst; supervised: {back} trades backfilled over REST per run")  # fmt: skip
    layer = spread([r.notes["layer_us"] for r in results[("trades, firehose", True)]], ".1f")
    parse = spread([r.notes["ccxt_us"] for r in results[("trades, firehose", False)]], ".1f")
    print(f"\ntrades, per record: ccxt handle_trade {parse} µs; the supervised stream's own "
          f"work (convert, dedupe, queue, dispatch) {layer} µs")  # fmt: skip
    book_runs = results[("books, firehose", True)]
    conv = spread([r.notes["convert_us"] for r in book_runs], ".1f", " µs")
    deep = spread([r.notes["convert_1000_us"] for r in book_runs], ".0f", " µs")
    sent = spread([r.sent_rate for r in results[("books, firehose", False)]], ",.0f", "/s")
    print(f"\nbooks: ccxt book -> OrderBook {conv} per update ({book_runs[0].notes['levels']} "
          f"levels), {deep} at 1000 levels a side; depth messages sent to the raw loop "
          f"{sent}")  # fmt: skip


async def main() -> None:
    configure_logging(SETTINGS)
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4.0, help="firehose window")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--drain", type=float, default=1.5, help="reading on after a window")
    parser.add_argument("--bursts", type=int, default=3)
    parser.add_argument("--burst", type=int, default=5000, help="trades per burst")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between bursts")
    parser.add_argument("--quiet-max", type=float, default=15.0, help="longest wait to drain")
    args = parser.parse_args()
    started = time.perf_counter()
    results = await measure(args)
    table(results, args)
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
