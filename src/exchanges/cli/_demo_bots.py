"""``python -m exchanges.cli.demo --bots`` (``make demo`` runs it after the first part): two
bots on the simulator, each in a process of its own; one tells the other to stop with a
message. No keys, no Redis. The models live in this module: a bot's process imports its
class by module path."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from exchanges.bots import Bot, BotRunner
from exchanges.simulator import Simulator


class Watcher(Bot):
    """Records the last trade price until a message tells it to stop."""

    async def main(self, args: dict[str, Any]) -> None:
        async def record() -> None:
            async for trade in self.exchange.stream_trades(self.symbol):
                await self.update_state("last", str(trade.price))

        recording = asyncio.create_task(record())
        async for message in self.messages():
            if message.body == "stop":
                await self.update_state("message", f"got {message.body!r} from {message.sender}")
                recording.cancel()
                return  # main returns: the model is stopped, not restarted


class Referee(Bot):
    """After ``args["after"]`` trades of its symbol, tells ``args["tell"]`` to stop."""

    async def main(self, args: dict[str, Any]) -> None:
        seen = 0
        async for _ in self.exchange.stream_trades(self.symbol):
            seen += 1
            if seen == args["after"]:
                await self.send(args["tell"], "stop")
                await self.update_state("message", f"sent 'stop' to {args['tell']}")
                await asyncio.Event().wait()  # until the runner stops it


async def _table(runner: BotRunner, title: str) -> Table:
    table = Table("model", "symbol", "pid", "state", "restarts", "message", title=title)
    for s in runner.status():
        state = await runner.get_model_state(s.name)
        table.add_row(
            s.name, s.symbol, str(s.pid or "-"), s.state.value, str(s.restarts),
            state.get("message", ""),
        )  # fmt: skip
    return table


async def run_bots(console: Console) -> None:
    started = time.perf_counter()
    async with Simulator(seed=42, rate=10.0) as sim:
        runner = BotRunner("binance", endpoint=sim.endpoint)  # keyless: public streams
        runner.append_model(Watcher, "BTC/USDT", name="watcher")
        runner.append_model(
            Referee, "ETH/USDT", name="referee", args={"after": 3, "tell": "watcher"}
        )
        async with runner:
            await runner.start_models()
            console.print(await _table(runner, f"two bots (this process: pid {os.getpid()})"))
            async with asyncio.timeout(30):
                while next(s for s in runner.status() if s.name == "watcher").pid:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            console.print(await _table(runner, "the referee told the watcher to stop"))
        console.print(await _table(runner, "runner.stop(): every bot process gone"))
    elapsed = time.perf_counter() - started
    console.print(f"[bold green]bots done[/bold green] in {elapsed:.1f} s; no process left.")
