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

Every delivery goes through a policy of the channel (:func:`core._policies.policy_for`):
a record delivered once (by id, nonce or timestamp) is never delivered again, whichever
role delivered it, and an order book older than the one served is never served.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import replace
from typing import Any, Generic, Literal, TypeVar

from core._errors import ExchangeError
from core._logging import get_logger
from core._policies import policy_for
from core._streams import (
    EventKind,
    Gap,
    Latency,
    StreamCounters,
    StreamEvent,
    StreamHealth,
    StreamKey,
    StreamState,
    StreamStats,
)
from core._subscription import Subscriber, Subscription
from exchanges.sharing._codec import Entry, decode, encode_event, encode_records
from exchanges.sharing._connection import Connection
from exchanges.sharing._lease import Lease

T = TypeVar("T")
log = get_logger(__name__)

Role = Literal["holder", "reader", "local"]
#: attach an internal subscription to this process's supervisor, its policy seeded with
#: the records last delivered (so the supervised stream repairs from them)
OpenSource = Callable[[Subscription[Any], float | None, Sequence[Any]], Awaitable[None]]

LEASE_TTL = 3.0  # seconds; renewed every third
MAXLEN = 10_000  # entries kept per stream (approximately: MAXLEN ~)
READ_COUNT = 1_000  # entries per XREAD
OUTBOX_MAX = 10_000  # entries waiting for Redis before the oldest are dropped (counted)
TAIL = 2_000  # records remembered to seed a successor's policy (events; 1 for states)


class SharedStream(Generic[T]):
    def __init__(
        self,
        key: StreamKey,
        connection: Connection,
        name: str,
        open_source: OpenSource,
        *,
        stale_after: float | None = None,
        ttl: float = LEASE_TTL,
        maxlen: int = MAXLEN,
        on_closed: Callable[[SharedStream[Any]], None] | None = None,
    ) -> None:
        self.key = key
        self.connection = connection
        self.stream_key = f"{name}:stream"
        self.lease = Lease(connection, name, ttl)
        self.ttl = ttl
        self.maxlen = maxlen
        self.state = StreamState.CONNECTING
        self.error: BaseException | None = None
        self.role: Role = "reader"
        self.holder: str | None = None  # pid@host of the holder, as last seen
        self.counters = StreamCounters()
        self.missed = 0  # records a reader skipped (behind MAXLEN or a holder's outbox)
        self.fenced = 0  # entries ignored: from an older holder
        self.published = 0  # entries written
        self.unpublished = 0  # entries dropped: Redis failing or the outbox full
        self.takeovers = 0
        #: holder-to-consumer delay of entries read (ms: holder's clock to this one's)
        self.hop = Latency()
        self._open_source = open_source
        self._stale_after = stale_after
        self._on_closed = on_closed
        self._subs: list[Subscriber[T]] = []
        self._filter = policy_for(key, sequential=False)
        self._tail: deque[Any] = deque(maxlen=TAIL if self._filter.events else 1)
        self._source: Subscription[T] | None = None
        self._position = "0-0"
        self._floor = 0  # the newest fence seen
        self._expected: int | None = None  # the next seq of that fence
        self._seq = 0  # records published under our fence
        self._valid_until = 0.0  # monotonic: the lease is surely ours until then
        self._publishing = False
        self._batch: list[T] = []
        self._outbox: deque[bytes] = deque()
        self._flusher: asyncio.Task[None] | None = None
        self._run_task: asyncio.Task[None] | None = None
        self._dispatchers: set[asyncio.Task[None]] = set()
        self._closing = False
        self._closed = asyncio.Event()

    def __repr__(self) -> str:
        return f"<SharedStream {self.key} {self.role} state={self.state.value}>"

    @property
    def renew_every(self) -> float:
        return self.ttl / 3

    def is_closing(self) -> bool:
        return self._closing

    # ------------------------------------------------------------------ subscribers
    def attach(self, subscription: Subscription[T], stale_after: float | None) -> None:
        self._subs.append(subscription.subscriber)
        if stale_after is not None and (
            self._stale_after is None or stale_after < self._stale_after
        ):
            self._stale_after = stale_after
        subscription.bind(self)
        task = subscription._task
        if task is not None:
            self._dispatchers.add(task)
            task.add_done_callback(self._dispatchers.discard)
        if self.state is not StreamState.CONNECTING and self._tail and not self._filter.events:
            subscription.subscriber.push([self._tail[-1]], self.key, self.state)  # the newest

    async def detach(self, sub: Subscriber[T]) -> None:
        with suppress(ValueError):
            self._subs.remove(sub)
        if not self._subs and not self._closing:
            await self.close()

    def detach_soon(self, sub: Subscriber[T]) -> None:
        task = self._run_task
        if task is None or task.done() or task.get_loop().is_closed():
            return
        loop = task.get_loop()

        def later() -> None:
            if not self._closing:
                detaching = loop.create_task(self.detach(sub), name=f"shared-detach:{self.key}")
                self._dispatchers.add(detaching)
                detaching.add_done_callback(self._dispatchers.discard)

        loop.call_soon_threadsafe(later)

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    def _age(self) -> float | None:
        at = self.counters.last_message_at
        return None if at is None else time.monotonic() - at

    def stats_for(self, sub: Subscriber[T]) -> StreamStats:
        own: dict[str, Any] = {
            "subscribers": len(self._subs),
            "delivered": sub.delivered,
            "dropped": sub.dropped,
            "queued": sub.queued,
            "callback_errors": sub.callback_errors,
            "latency_p50_ms": sub.latency.percentile(0.5),
            "latency_p99_ms": sub.latency.percentile(0.99),
        }
        source = self._source
        if source is not None:
            base = source.stats
            return replace(base, state=self.state, gaps_unrepaired=base.gaps_unrepaired
                           + self.counters.gaps_unrepaired, **own)  # fmt: skip
        c = self.counters
        return StreamStats(
            self.key, self.state, c.messages, c.items, 0, c.reconnects, c.resyncs,
            c.gaps_repaired, c.gaps_unrepaired, c.backfilled, c.polls, self._age(),
            c.last_error, **own,
        )  # fmt: skip

    def health(self) -> StreamHealth:
        stats = self.stats_for(Subscriber(1))
        return StreamHealth(
            self.key, self.state, stats.last_message_age, stats.reconnects,
            stats.gaps_unrepaired, len(self._subs), stats.last_error,
            role=self.role, holder=self.holder,
        )  # fmt: skip

    # ------------------------------------------------------------------ delivery
    def _deliver(self, items: Sequence[T]) -> None:
        fresh, _ = self._filter.accept(items)
        if not fresh:
            return
        c = self.counters
        c.messages += 1
        c.items += len(fresh)
        c.last_message_at = time.monotonic()
        self._tail.extend(fresh)
        state, key = self.state, self.key
        for sub in self._subs:
            sub.push(fresh, key, state)

    def _notify(self, event: StreamEvent) -> None:
        for sub in self._subs:
            sub.notify(event)

    def _set_state(self, state: StreamState, reason: str = "") -> None:
        if state is not self.state:
            self.state = state
            self._notify(StreamEvent(EventKind.STATE, self.key, state, reason=reason))

    def _missing(self, count: int, reason: str) -> None:
        self.missed += count
        if not self._filter.events:
            return  # a state: the newest supersedes what was skipped
        self.counters.gaps_unrepaired += 1
        last = self._tail[-1] if self._tail else None
        gap = Gap(self.key, False, first_id=None, last_id=None, missing=count,
                  since=getattr(last, "timestamp", None), reason=reason)  # fmt: skip
        log.error("fanout.gap", stream=str(self.key), missing=count, reason=reason)
        self._notify(StreamEvent(EventKind.GAP, self.key, self.state, reason=reason, gap=gap))

    # ------------------------------------------------------------------ start and run
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

    async def _begin_reading(self) -> None:
        self.role = "reader"
        current = await self.lease.current()
        self.holder = current.name if current is not None else None
        client = self.connection.client
        last = await client.xrevrange(self.stream_key, "+", "-", count=1)
        if last:
            entry_id, fields = last[0]
            self._position = entry_id.decode()
            entry = decode(self.key, fields[b"m"])
            self._floor = entry.fence
            self._expected = entry.seq + len(entry.records or ())
            self._set_state(entry.state)
            if entry.records and not self._filter.events:  # a state: serve the newest at once
                self._deliver(entry.records[-1:])

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

    # ------------------------------------------------------------------ reader
    async def _read(self, *, block: bool) -> int:
        """One XREAD from our position; the number of entries read."""
        reply = await self.connection.client.xread(
            {self.stream_key: self._position},
            count=READ_COUNT,
            block=max(1, int(self.renew_every * 1000)) if block else None,
        )
        read = 0
        now = time.time()
        for _stream, entries in reply or ():
            for entry_id, fields in entries:
                self._position = entry_id.decode()
                read += 1
                try:
                    entry = decode(self.key, fields[b"m"])
                except (ValueError, KeyError):
                    log.error("fanout.bad_entry", stream=str(self.key), id=self._position)
                    continue
                self.hop.add((now - entry.sent_at) * 1000)
                self._take(entry)
        return read

    def _take(self, entry: Entry) -> None:
        if entry.fence < self._floor:
            self.fenced += 1  # an older holder that has not noticed it lost the lease
            return
        if entry.fence > self._floor:
            self._floor, self._expected = entry.fence, None  # a new holder: it repairs
        if self._expected is not None and entry.seq > self._expected:
            self._missing(entry.seq - self._expected,
                          f"behind the shared stream: {entry.seq - self._expected} records "
                          f"trimmed (MAXLEN ~{self.maxlen}) or unpublished")  # fmt: skip
        if entry.records is not None:
            self._expected = entry.seq + len(entry.records)
            self._set_state(entry.state)
            self._deliver(entry.records)
            return
        self._expected = entry.seq
        event = entry.event
        assert event is not None
        if event.kind is EventKind.STATE:
            self._set_state(event.state, event.reason)
            if event.state is StreamState.FAILED:
                self._fail(ExchangeError(event.reason or "the shared stream failed"))
        else:
            if event.gap is not None:
                if event.gap.repaired:
                    self.counters.gaps_repaired += 1
                else:
                    self.counters.gaps_unrepaired += 1
            self._notify(event)

    def _fail(self, error: BaseException) -> None:
        self.error = error
        for sub in self._subs:
            sub.end(error)

    # ------------------------------------------------------------------ holder
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

    def _fenced_in(self) -> None:
        self.role = "holder"
        self.holder = self.lease.holder
        self._floor, self._expected, self._seq = self.lease.fence, None, 0
        self._valid_until = time.monotonic() + self.ttl
        self._publishing = True
        self.connection.mark_recovered()

    async def _open(self) -> None:
        source: Subscription[T] = Subscription(
            self.key,
            lambda sub: self._open_source(sub, self._stale_after, list(self._tail)),
            queue_size=1,
            callback=self._on_record,
            on_event=self._on_event,
        )
        await source.start()
        self._source = source
        if source.state is not self.state:
            self._set_state(source.state)

    async def _close_source(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            await source.cancel()

    async def _hold(self) -> None:
        started = time.monotonic()
        await asyncio.sleep(self.renew_every)
        if await self.lease.renew():
            self._valid_until = started + self.ttl
            if not self._publishing:
                self._publishing = True
                self.connection.mark_recovered()
            return
        self._publishing = False
        if await self.lease.take():  # expired (or Redis restarted) and nobody took it
            self._fenced_in()
            return
        log.warning("fanout.lease_lost", stream=str(self.key), fence=self._floor)
        await self._close_source()
        self.role = "reader"

    def _on_record(self, item: T) -> None:
        """The supervised stream's records, one by one (in line): a batch per loop turn."""
        if not self._batch:
            asyncio.get_running_loop().call_soon(self._flush_batch)
        self._batch.append(item)

    def _flush_batch(self) -> None:
        batch, self._batch = self._batch, []
        if not batch:
            return
        self._deliver(batch)
        self._publish(encode_records(self.key, self._floor, self._seq, self.state, time.time(),
                                     batch))  # fmt: skip
        self._seq += len(batch)

    def _on_event(self, event: StreamEvent) -> None:
        self._flush_batch()  # records before the event that follows them
        if event.kind is EventKind.OVERFLOW or event.state is StreamState.CLOSED:
            return  # our inline subscriber never overflows; we close the source ourselves
        if event.kind is EventKind.STATE:
            self._set_state(event.state, event.reason)
            if event.state is StreamState.FAILED and self._source is not None:
                self._fail(self._source.error or ExchangeError(event.reason))
        else:
            self._notify(event)
        if not self._closing:
            self._publish(encode_event(self.key, self._floor, self._seq, time.time(), event))

    def _publish(self, message: bytes) -> None:
        if self.role != "holder" or not self._publishing or time.monotonic() > self._valid_until:
            if self.role == "holder":
                self.unpublished += 1
            return
        outbox = self._outbox
        outbox.append(message)
        if len(outbox) > OUTBOX_MAX:
            outbox.popleft()
            self.unpublished += 1
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(
                self._flush(), name=f"shared-publish:{self.key}"
            )

    async def _flush(self) -> None:
        client = self.connection.client
        try:
            while self._outbox:
                messages = list(self._outbox)
                self._outbox.clear()
                pipe = client.pipeline(transaction=False)
                for message in messages:
                    pipe.xadd(self.stream_key, {"m": message}, maxlen=self.maxlen,
                              approximate=True)  # fmt: skip
                try:
                    ids = await pipe.execute()
                except self.connection.errors as exc:
                    self.unpublished += len(messages) + len(self._outbox)
                    self._outbox.clear()
                    self._publishing = False
                    self.connection.mark_degraded(exc)
                    return
                self.published += len(messages)
                self._position = ids[-1].decode()
        finally:
            self._flusher = None

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
