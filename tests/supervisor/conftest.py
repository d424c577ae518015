"""Supervisor tests: the real stack (adapter, supervisor, unmodified ccxt.pro) against the
simulator over loopback, with budgets and backoffs shortened so each fault resolves fast."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any, Generic, TypeVar

import pytest_asyncio

from core import Settings, StreamEvent
from exchanges.simulator import Simulator
from exchanges.simulator._spec import DEMO_API_KEY, DEMO_SECRET
from exchanges.venues.binance import BinanceExchange

T = TypeVar("T")

FAST = {
    "stream_backoff_initial": 0.05,
    "stream_backoff_max": 0.3,
    "stream_stable_after": 5.0,
    "stream_poll_interval": 0.2,
    "request_timeout": 3.0,
}


def fast_settings(**overrides: Any) -> Settings:
    return Settings(**{**FAST, **overrides})


class Recorder(Generic[T]):
    """Collects what a callback receives; ``until`` waits (bounded) for a condition."""

    def __init__(self) -> None:
        self.items: list[T] = []
        self._changed = asyncio.Event()

    def __call__(self, item: T) -> None:
        self.items.append(item)
        self._changed.set()

    async def until(self, check: Callable[[list[T]], bool], within: float = 10.0) -> None:
        async with asyncio.timeout(within):
            while not check(self.items):
                self._changed.clear()
                await self._changed.wait()


class Events(Recorder[StreamEvent]):
    def kinds(self) -> list[str]:
        return [f"{e.kind.value}:{e.state.value}" for e in self.items]


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=7, rate=0) as simulator:
        yield simulator


def adapter(sim: Simulator, **overrides: Any) -> BinanceExchange:
    """The demo account's adapter on ``sim`` with fast settings (``overrides`` on top)."""
    credentials = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}
    return BinanceExchange(
        endpoint=sim.endpoint,
        credentials=credentials,
        account="demo",
        settings=fast_settings(**overrides),
    )


@pytest_asyncio.fixture
async def ex(sim: Simulator) -> AsyncIterator[BinanceExchange]:
    async with adapter(sim) as exchange:
        yield exchange


def engine_trade_ids(sim: Simulator, symbol: str) -> list[str]:
    """Every trade the simulator's engine made for ``symbol``, as strings, in order."""
    return [str(t.trade_id) for t in sim.state.engine(symbol).trades]


async def subscribed(sim: Simulator, *streams: str, within: float = 10.0) -> None:
    """Wait until the simulator has a subscriber for each stream (``btcusdt@trade``)."""
    async with asyncio.timeout(within):
        for stream in streams:
            await sim.wait_subscribed(stream)


def leftover_tasks() -> list[str]:
    """Tasks still running, the simulator's own (``sim-*``) and this one's aside."""
    current = asyncio.current_task()
    return sorted(
        name
        for t in asyncio.all_tasks()
        if t is not current and not t.done() and not (name := t.get_name()).startswith("sim")
    )
