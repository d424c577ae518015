"""One public stream of one adapter, shared with the host's other processes through Redis.

Its local subscribers attach to it as they would to a :class:`core.SupervisedStream`
(it is a :class:`core.BoundStream`). It plays one of three roles:

* **holder** (it took the lease): it runs the supervised stream of this process (through
  ``open_source``: the supervisor, its repairs and reconnects, unchanged), delivers its
  records to the local subscribers and publishes them, and its events, to the Redis
  Stream (``XADD MAXLEN ~``, pipelined, never awaited by the supervisor: a slow Redis
  only grows a bounded outbox). It renews the lease every third of its TTL and stops
  publishing the moment it cannot.
* **reader** (another process holds it): ``XREAD BLOCK`` from its own position; records
  of an older fence are ignored; records skipped (the reader fell behind ``MAXLEN``) are
  counted and reported as a ``GAP``. Every third of the TTL it tries to take the lease: a
  dead holder's expires, and the reader that takes it drains what was published, then
  opens its own supervised stream seeded with the last records published (trades: the
  first live batch shows the hole since the last published id, which the supervisor's
  repair reads back over REST).
* **local** (Redis failed): its own supervised stream, seeded the same way, logged once
  (``sharing.degraded``); once Redis answers it takes the lease, or reads again when the
  holder's stream still holds what it last delivered.

This module holds the roles and their switches (start, takeover, Redis failing and
recovering, close); each role's side is in :mod:`._holder` and :mod:`._reader`, and what
they share (bookkeeping, subscribers, delivery through the channel's policy: a record is
delivered once, whichever role delivered it) in :mod:`._delivery`.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress
from typing import Any, TypeVar

from core._errors import ExchangeError
from core._streams import StreamState
from exchanges.sharing._codec import decode
from exchanges.sharing._delivery import log
from exchanges.sharing._holder import StreamHolder
from exchanges.sharing._reader import StreamReader

T = TypeVar("T")


class SharedStream(StreamHolder[T], StreamReader[T]):
    """One public stream shared through Redis: its roles, how it switches, how it closes."""

    async def start(self) -> None:
        """Take the lease or find the holder (bounded by the client's timeouts), then run."""
        try:
            if await self.lease.take():
                await self._become_holder()
            else:
                await self._begin_reading()
        except self.connection.errors as exc:
            self.connection.mark_degraded(exc)
            await self._become_local()
        self._run_task = asyncio.get_running_loop().create_task(
            self._run(), name=f"shared-stream:{self.key}"
        )

    async def _run(self) -> None:
        next_check = time.monotonic() + self.renew_every
        while not self._closing:
            try:
                if self.role == "holder":
                    await self._hold()
                elif self.role == "local":
                    await asyncio.sleep(self.renew_every)
                    await self._try_sharing_again()
                else:
                    if time.monotonic() >= next_check:
                        next_check = time.monotonic() + self.renew_every
                        if await self.lease.take():
                            await self._become_holder()
                            continue
                        current = await self.lease.current()
                        self.holder = current.name if current is not None else None
                    await self._read(block=True)
                    self.connection.mark_recovered()
            except Exception as exc:
                if self._redis_failed(exc):
                    await self._on_redis_error(exc)
                    continue
                if self.is_closing():
                    return
                if isinstance(exc, ExchangeError):  # our adapter closing: the stream ends
                    self._fail(exc)
                    return
                log.exception("fanout.unexpected_error", stream=str(self.key))
                await asyncio.sleep(1.0)

    def _redis_failed(self, exc: BaseException) -> bool:
        return isinstance(exc, self.connection.errors)

    # ------------------------------------------------------------------ taking over
    async def _become_holder(self) -> None:
        """We took the lease: read what the last holder published, then stream it here."""
        if self.role == "reader":
            while await self._read(block=False):
                pass
            if self._floor:
                self.takeovers += 1
                log.info("fanout.takeover", stream=str(self.key), fence=self.lease.fence,
                         previous_fence=self._floor)  # fmt: skip
        self._fenced_in()
        if self._source is None:
            await self._open()

    # ------------------------------------------------------------------ Redis failing
    async def _on_redis_error(self, exc: BaseException) -> None:
        self.connection.mark_degraded(exc)
        self.counters.last_error = f"redis: {type(exc).__name__}"
        if self.role == "holder":
            self._publishing = False  # the supervised stream goes on for our subscribers
        elif self.role == "reader":
            await self._become_local()
        await asyncio.sleep(self.renew_every)

    async def _become_local(self) -> None:
        self.lease.drop()
        self.role, self.holder = "local", None
        self._floor, self._expected = 0, None  # a restarted Redis counts fences anew
        if self._source is None:
            await self._open()

    async def _try_sharing_again(self) -> None:
        """Local: take the lease, or read again once the holder's stream holds what we last
        delivered (else stay on our own stream)."""
        if await self.lease.take():
            log.info("fanout.holding_again", stream=str(self.key), fence=self.lease.fence)
            self._fenced_in()
            return
        self.connection.mark_recovered()
        current = await self.lease.current()
        rows = await self.connection.client.xrange(self.stream_key, "-", "+", count=50)
        for _entry_id, fields in rows:
            entry = decode(self.key, fields[b"m"])
            if entry.records:
                if self._covers(entry.records[0]):
                    self.holder = current.name if current is not None else None
                    await self._close_source()
                    self.role, self._position = "reader", "0-0"
                    log.info("fanout.reading_again", stream=str(self.key))
                return

    def _covers(self, first: Any) -> bool:
        """Whether the holder's oldest record kept is no newer than our last delivered."""
        if not self._filter.events or not self._tail:
            return True
        last = self._tail[-1]
        a, b = getattr(first, "id", None), getattr(last, "id", None)
        if isinstance(a, str) and isinstance(b, str) and a.isdigit() and b.isdigit():
            return int(a) <= int(b)
        return bool(first.timestamp is not None and first.timestamp <= last.timestamp)

    # ------------------------------------------------------------------ shutdown
    async def wait_closed(self) -> None:
        await self._closed.wait()

    async def close(self, grace: float = 2.0) -> None:
        if self._closing:
            await self._closed.wait()
            return
        self._closing = True
        try:
            task = self._run_task
            if task is not None and task is not asyncio.current_task():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            await self._close_source()
            self._flush_batch()
            flusher = self._flusher
            if flusher is not None:
                await asyncio.wait([flusher], timeout=grace)
            if self.lease.held:
                with suppress(*self.connection.errors):
                    async with asyncio.timeout(grace):
                        await self.lease.release()  # a successor need not wait for the TTL
            if self.state is not StreamState.FAILED:
                self._set_state(StreamState.CLOSED)
            for sub in self._subs:
                sub.end()
            me = asyncio.current_task()
            tasks = [t for t in self._dispatchers if t is not me and not t.done()]
            for t in tasks:
                t.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=grace)
        finally:
            self._closed.set()
            if self._on_closed is not None:
                self._on_closed(self)
