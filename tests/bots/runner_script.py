"""A runner in a process of its own, for the shutdown tests:
``python -m tests.bots.runner_script ENDPOINT``. It prints one JSON line with its bots'
pids once they run, then runs until a signal; at the end, one JSON line of their states."""

from __future__ import annotations

import asyncio
import json
import sys

from core import Settings, configure_logging
from exchanges.bots import BotRunner

from .models import Idle


async def main(endpoint: str) -> None:
    configure_logging(Settings(log_level="WARNING"))
    runner = BotRunner("binance", endpoint=endpoint)
    runner.append_model(Idle, "BTC/USDT")
    running = asyncio.create_task(runner.run())  # its signal handlers are set at once
    async with asyncio.timeout(30):
        while not all(s.state.value == "running" for s in runner.status()):  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    print(json.dumps({"runner": "up", "pids": [s.pid for s in runner.status()]}), flush=True)
    await running
    print(json.dumps({"states": [s.state.value for s in runner.status()]}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
