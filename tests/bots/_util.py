"""Helpers of the bots tests: bounded waits on a runner's state, process liveness by pid."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


async def until(check: Callable[[], Awaitable[Any]], within: float = 20.0) -> Any:
    """Poll ``check`` (a cheap read of the runner's own state) until it returns a truthy
    value, within ``within`` seconds."""
    async with asyncio.timeout(within):
        while not (value := await check()):  # noqa: ASYNC110 - a bounded poll, by design
            await asyncio.sleep(0.02)
        return value


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, ended but not reaped, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def pids_gone(pids: list[int]) -> bool:
    return not any(alive(p) for p in pids)
