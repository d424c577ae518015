"""What every role of a shared stream keeps: its bookkeeping, subscribers and delivery.

:class:`StreamDelivery` holds the state of one public stream shared through Redis (its
counters, lease, position and fence, the records last delivered), its local subscribers
(attach, detach, stats and health) and the one path records and events take to them:
through the channel's policy (:func:`core._policies.policy_for`), so that a record
delivered once is never delivered again, whichever role delivered it. The roles build on
it: :mod:`._reader`, :mod:`._holder`, and :mod:`._shared_stream` which switches them.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import replace
from typing import Any, Generic, Literal, TypeVar

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
from exchanges.sharing._connection import Connection
from exchanges.sharing._lease import Lease

T = TypeVar("T")
log = get_logger("exchanges.sharing._shared_stream")  # one logger for every role, as before

Role = Literal["holder", "reader", "local"]
#: attach an internal subscription to this process's supervisor, its policy seeded with
#: the records last delivered (so the supervised stream repairs from them)
OpenSource = Callable[[Subscription[Any], float | None, Sequence[Any]], Awaitable[None]]


LEASE_TTL = 3.0  # seconds; renewed every third
MAXLEN = 10_000  # entries kept per stream (approximately: MAXLEN ~)
TAIL = 2_000  # records remembered to seed a successor's policy (events; 1 for states)


class StreamDelivery(Generic[T]):
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
        on_closed: Callable[[Any], None] | None = None,  # called with the SharedStream
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

    async def close(self, grace: float = 2.0) -> None:
        """End the stream for every subscriber (:class:`._shared_stream.SharedStream` does)."""
        raise NotImplementedError

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

    def _fail(self, error: BaseException) -> None:
        self.error = error
        for sub in self._subs:
            sub.end(error)
