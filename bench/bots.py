"""Bots, embedded: start-up time, state and message latency, memory per bot process.

Against the bundled simulator (keyless public bots, loopback), in one run:

* start-up: ``start_models()`` for 1, 4 and 16 bots (spawn, import, adapter built, markets
  loaded, ready), and ``stop()`` after it;
* state: a bot's ``get_state()`` / ``update_state()`` round trip to the runner, and the time
  from ``runner.write_value()`` until a bot (reading ``get_state()`` back to back) sees it;
* messages: one bot ``send()``s to another every 2 ms; time from send to receipt;
* memory: RSS of each bot process (``/proc/<pid>/status``) and of the runner.

The latency rows again with ``EXCHANGES_REDIS_URL`` set (state in Redis hashes, messages
in Redis Streams): against ``--redis-url``, or a throwaway ``redis-server`` this script
starts on a free loopback port (``--no-redis`` to skip).

Run (the models are defined in this file: a script's classes import in spawned children):

    .venv/bin/python bench/bots.py [--counts 1 4 16] [--samples 2000] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator
from typing import Any

from core import Settings, configure_logging, get_settings
from exchanges.bots import Bot, BotRunner
from exchanges.simulator import Simulator


def _percentiles(values: list[float]) -> dict[str, float]:
    q = statistics.quantiles(values, n=100)
    return {"p50": q[49], "p99": q[98]}


class Idle(Bot):
    async def main(self, args: dict[str, Any]) -> None:
        await self.update_state("up", True)
        await asyncio.Event().wait()


class Prober(Bot):
    """Times its own state calls, then reads the runner's writes when told to."""

    async def main(self, args: dict[str, Any]) -> None:
        samples = args["samples"]
        reads, writes = [], []
        for i in range(samples):
            t0 = time.perf_counter()
            await self.get_state()
            t1 = time.perf_counter()
            await self.update_state("i", i)
            writes.append(time.perf_counter() - t1)
            reads.append(t1 - t0)
        await self.update_state("calls", {"get": reads, "update": writes})
        lags, arrivals = [], []
        async for message in self.messages():  # the runner wrote "at", then said "read"
            arrived = time.monotonic()
            state = await self.get_state()
            lags.append(time.monotonic() - state["at"])
            arrivals.append(arrived - state["at"])
            await self.update_state("seen", message.body)
            if len(lags) == samples:
                break
        await self.update_state("lags", {"read": lags, "arrived": arrivals})
        await asyncio.Event().wait()


class Sender(Bot):
    async def main(self, args: dict[str, Any]) -> None:
        async for message in self.messages():  # the runner says go
            if message.body == "go":
                break
        for i in range(args["samples"]):
            await self.send(args["to"], {"i": i, "at": time.monotonic()})
            await asyncio.sleep(0.002)
        await asyncio.Event().wait()


class Receiver(Bot):
    async def main(self, args: dict[str, Any]) -> None:
        lags = []
        async for message in self.messages():
            lags.append(time.monotonic() - message.body["at"])
            if len(lags) == args["samples"]:
                break
        await self.update_state("lags", lags)
        await asyncio.Event().wait()


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def until_key(runner: BotRunner, name: str, key: str) -> Any:
    async with asyncio.timeout(600):
        while key not in (state := await runner.get_model_state(name)):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        return state[key]


async def startup(sim: Simulator, count: int) -> None:
    runner = BotRunner("binance", endpoint=sim.endpoint)
    for n in range(count):
        runner.append_model(Idle, "BTC/USDT", name=f"idle-{n}")
    t0 = time.perf_counter()
    await runner.start_models()
    started = time.perf_counter() - t0
    rss = [rss_mib(s.pid) for s in runner.status() if s.pid]
    t1 = time.perf_counter()
    await runner.stop()
    stopped = time.perf_counter() - t1
    print(
        f"  {count:>2} bots: start {started:6.2f} s, stop {stopped:5.2f} s, "
        f"RSS per bot {statistics.mean(rss):5.1f} MiB (min {min(rss):.1f}, max {max(rss):.1f})"
    )


async def latency(sim: Simulator, samples: int) -> None:
    runner = BotRunner("binance", endpoint=sim.endpoint)
    runner.append_model(Prober, "BTC/USDT", args={"samples": samples})
    runner.append_model(Sender, "ETH/USDT", args={"samples": samples, "to": "receiver"})
    runner.append_model(Receiver, "ETH/USDT", args={"samples": samples}, name="receiver")
    async with runner:
        await runner.start_models()
        calls = await until_key(runner, "BTC/USDT", "calls")
        for i in range(samples):
            await runner.write_value("BTC/USDT", "at", time.monotonic())
            await runner.send("BTC/USDT", i)
            async with asyncio.timeout(10):  # the bot measures; the runner only paces
                while (await runner.get_model_state("BTC/USDT")).get("seen") != i:  # noqa: ASYNC110
                    await asyncio.sleep(0.002)
        lags = await until_key(runner, "BTC/USDT", "lags")
        await runner.send("ETH/USDT", "go")
        messages = await until_key(runner, "receiver", "lags")
        print(f"  runner RSS {rss_mib(os.getpid()):.1f} MiB with 3 bots")
    for label, values in (
        ("bot get_state() round trip", calls["get"]),
        ("bot update_state() round trip", calls["update"]),
        ("runner write_value() + send() -> bot has it", lags["arrived"]),
        ("... -> bot has read its state (1)", lags["read"]),
        ("bot send() -> other bot receives", messages),
    ):
        p = _percentiles(values)
        print(f"  {label:<42} p50 {p['p50'] * 1e6:7.0f} µs   p99 {p['p99'] * 1e6:7.0f} µs")
    print("  (1) the runner writes, then messages the bot, which reads its state on receipt")


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server (no persistence) on a free loopback port: its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is missing: install it, pass --redis-url or --no-redis")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)  # noqa: S603 - our argv
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            if time.monotonic() > deadline:
                raise SystemExit("redis-server did not start")
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--no-redis", action="store_true")
    args = parser.parse_args()
    configure_logging(Settings(log_level="WARNING"))
    os.environ["EXCHANGES_LOG_LEVEL"] = "WARNING"  # the bots' processes read it
    os.environ.pop("EXCHANGES_REDIS_URL", None)
    get_settings.cache_clear()
    async with Simulator(seed=1, rate=5.0, symbols=["BTC/USDT", "ETH/USDT"]) as sim:
        print(f"start-up (spawn, {os.cpu_count()} cores):")
        for count in args.counts:
            await startup(sim, count)
        print(f"latency, embedded ({args.samples} samples each):")
        await latency(sim, args.samples)
        if args.no_redis:
            return
        with contextlib.ExitStack() as stack:
            url = args.redis_url or stack.enter_context(redis_server())
            os.environ["EXCHANGES_REDIS_URL"] = url  # the runner and its bots' processes
            get_settings.cache_clear()
            print(f"latency, Redis ({args.samples} samples each):")
            await latency(sim, args.samples)


if __name__ == "__main__":
    asyncio.run(main())
