"""What sharing market metadata saves: 20 accounts on one venue.

Against the bundled simulator (Binance protocol, loopback), in one run:

* raw ccxt.pro: 20 ``ccxt.pro.binance`` instances, each ``load_markets()`` (what every
  bot does on its own);
* this library: ``ExchangeFactory.get_exchange("binance", account=...)`` for 20 accounts,
  which loads markets once and hands them to the other 19.

Reports wall time, metadata requests the server saw, and memory held (tracemalloc) with
all 20 clients alive. Run:

    .venv/bin/python bench/factory_markets.py [--accounts 20] [--symbols 200]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
import tracemalloc
from collections import Counter
from decimal import Decimal
from typing import Any

import aiohttp
import ccxt.pro as ccxtpro

from core import Settings, configure_logging
from exchanges import ExchangeFactory
from exchanges.simulator import CLIENT_OPTIONS, Simulator
from exchanges.venues.binance_endpoint import endpoint_urls


class Keys:
    """Each account's key and secret, as the simulator knows them."""

    def __init__(self, accounts: dict[str, tuple[str, str]]) -> None:
        self._accounts = accounts

    def get(self, venue: str, account: str | None = None) -> dict[str, str]:
        key, secret = self._accounts[account or ""]
        return {"apiKey": key, "secret": secret}


def counting_session(counter: Counter[str]) -> aiohttp.ClientSession:
    """A client session that counts requests by path (handed to ccxt as its ``session``)."""

    async def on_start(_s: Any, _ctx: Any, params: aiohttp.TraceRequestStartParams) -> None:
        counter[params.url.path] += 1

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    return aiohttp.ClientSession(trace_configs=[trace])


class Measure:
    """Wall time and (with ``trace``) memory held from ``start()`` to ``stop()``."""

    def __init__(self, trace: bool) -> None:
        self.trace = trace
        self.elapsed = 0.0
        self.held = 0

    def start(self) -> None:
        gc.collect()
        if self.trace:
            tracemalloc.start()
        self._t0 = time.perf_counter()

    def stop(self) -> tuple[float, int]:
        self.elapsed = time.perf_counter() - self._t0
        self.held = tracemalloc.get_traced_memory()[0] if self.trace else 0
        tracemalloc.stop()
        return self.elapsed, self.held


async def raw_ccxt(
    sim: Any, accounts: dict[str, tuple[str, str]], session: aiohttp.ClientSession, trace: bool
) -> tuple[float, int]:
    measure = Measure(trace)
    measure.start()
    clients = []
    for key, secret in accounts.values():
        config = {"apiKey": key, "secret": secret, "options": dict(CLIENT_OPTIONS)}
        client = ccxtpro.binance({**config, "session": session})
        client.urls = endpoint_urls(client.urls, sim.endpoint)
        await client.load_markets()
        clients.append(client)
    result = measure.stop()
    for client in clients:
        await client.close()
    return result


async def factory(
    sim: Any, accounts: dict[str, tuple[str, str]], session: aiohttp.ClientSession, trace: bool
) -> tuple[float, int]:
    measure = Measure(trace)
    measure.start()
    f = ExchangeFactory(key_manager=Keys(accounts), ccxt_config={"session": session})
    adapters = [
        await f.get_exchange("binance", account=name, endpoint=sim.endpoint) for name in accounts
    ]
    result = measure.stop()
    await f.close_all()
    assert len(adapters) == len(accounts)
    return result


async def main() -> None:
    configure_logging(Settings(log_level="WARNING"))
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--symbols", type=int, default=200)
    args = parser.parse_args()
    symbols = ["BTC/USDT", "ETH/USDT"] + [f"C{i:03d}/USDT" for i in range(args.symbols - 2)]
    accounts = {f"acct{i}": (f"key{i:04d}" * 4, f"sec{i:04d}" * 4) for i in range(args.accounts)}
    raw_count: Counter[str] = Counter()
    our_count: Counter[str] = Counter()
    async with Simulator(seed=1, symbols=symbols, rate=0) as sim:
        for key, secret in accounts.values():
            sim.add_account(key, secret, balances={"USDT": Decimal(1000)})
        # timed without tracemalloc (it slows allocation-heavy code), then measured with it
        async with counting_session(raw_count) as session:
            raw_time, _ = await raw_ccxt(sim, accounts, session, trace=False)
        async with counting_session(our_count) as session:
            our_time, _ = await factory(sim, accounts, session, trace=False)
        async with counting_session(Counter()) as session:
            _, raw_held = await raw_ccxt(sim, accounts, session, trace=True)
        async with counting_session(Counter()) as session:
            _, our_held = await factory(sim, accounts, session, trace=True)
    info = "/api/v3/exchangeInfo"
    print(f"{args.accounts} accounts, {args.symbols} symbols")
    print("| | wall time (s) | exchangeInfo requests | memory held (MiB) |")
    print("|---|---|---|---|")
    for name, secs, held, count in (
        ("raw ccxt.pro, load_markets per account", raw_time, raw_held, raw_count),
        ("ExchangeFactory, markets shared", our_time, our_held, our_count),
    ):
        print(f"| {name} | {secs:.2f} | {count[info]} | {held / 2**20:.1f} |")


if __name__ == "__main__":
    asyncio.run(main())
