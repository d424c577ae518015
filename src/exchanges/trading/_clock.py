"""The offset between this machine's clock and the venue's, kept measured.

Signed requests carry a timestamp the venue checks against its own clock (binance refuses
one more than 1 s ahead, or older than ``recvWindow``: -1021). ccxt signs with
``now - options["timeDifference"]``, which it measures in ``load_time_difference`` (the
venue's ``fetchTime``) but, by default, never. :class:`ClockSync` measures it when an
adapter with credentials connects, then every ``interval`` seconds in one task that
``close()`` cancels. A public adapter signs nothing, so it spends no request on this.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from core import ExchangeError, get_logger, translate_errors

log = get_logger(__name__)


class ClockSync:
    """The last measured offset to the venue's clock and the task that keeps it fresh."""

    def __init__(self, venue: str, client: Any, interval: float) -> None:
        self._venue = venue
        self._client = client
        self.interval = interval
        #: local clock minus the venue's, in ms (ccxt's ``timeDifference``); None until
        #: measured
        self.offset_ms: int | None = None
        #: how many measurements succeeded
        self.syncs = 0
        self._next: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def available(self) -> bool:
        """Whether the venue tells its time (ccxt ``has["fetchTime"]``)."""
        return bool((getattr(self._client, "has", None) or {}).get("fetchTime"))

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def measure(self) -> int | None:
        """Ask the venue its time and set ccxt's offset; None when the venue cannot tell."""
        if not self.available:
            return None
        with translate_errors(self._venue, "sync_clock"):
            offset = await self._client.load_time_difference()
        self.offset_ms = int(offset)
        self.syncs += 1
        if self._next is not None:
            self._next.set()
            self._next = None
        return self.offset_ms

    def adopt(self, offset_ms: int) -> None:
        """Use an offset measured by another adapter on the same route (no request)."""
        options = getattr(self._client, "options", None)
        if isinstance(options, dict):
            options["timeDifference"] = offset_ms
        self.offset_ms = offset_ms

    def next_sync(self) -> asyncio.Event:
        """An event set by the next successful measurement."""
        if self._next is None:
            self._next = asyncio.Event()
        return self._next

    def start(self, sync: Callable[[], Awaitable[object]]) -> None:
        """Run ``sync`` every ``interval`` seconds until :meth:`close` (0: never)."""
        if self.interval <= 0 or self.running:
            return
        self._task = asyncio.create_task(self._run(sync), name=f"clock-sync:{self._venue}")

    async def _run(self, sync: Callable[[], Awaitable[object]]) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await sync()
            except ExchangeError as exc:  # the next round tries again; -1021 still resyncs
                log.warning("clock.sync_failed", venue=self._venue, error=type(exc).__name__)

    async def close(self) -> None:
        """Cancel the periodic task and wait for it to end. Idempotent."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # our caller was cancelled too: not ours to swallow
