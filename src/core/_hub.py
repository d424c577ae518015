"""``StreamHub``: the subscriber side of one supervised stream.

Who is attached (each subscriber behind its own bounded queue), what they are told (records
in order, ``STATE`` / ``GAP`` / ``QUIET`` events, to them and to the adapter's listeners),
and the counts they read (``stats_for``, ``health``). The connection side, which feeds it,
is :class:`core.SupervisedStream`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Generic, TypeVar

from core._logging import get_logger
from core._policies import Policy
from core._streams import (
    EventKind,
    Gap,
    StreamCounters,
    StreamEvent,
    StreamHealth,
    StreamKey,
    StreamState,
    StreamStats,
)
from core._subscription import EventListener, Subscriber

T = TypeVar("T")
log = get_logger(__name__)


class StreamHub(Generic[T]):
    """The subscribers of one stream (venue, channel, symbol[, timeframe]) and what they
    are told."""

    def __init__(
        self,
        key: StreamKey,
        policy: Policy[T],
        *,
        venue: str,
        listeners: Sequence[EventListener] = (),
    ) -> None:
        self.key = key
        self.venue = venue
        self.policy = policy
        self.state = StreamState.CONNECTING
        self.error: BaseException | None = None
        self.counters = StreamCounters()
        self._subs: list[Subscriber[T]] = []
        self._listeners = listeners
        self._closing = False

    def is_closing(self) -> bool:
        return self._closing

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    def _age(self) -> float | None:
        """Seconds since the last message (None before the first)."""
        at = self.counters.last_message_at
        return None if at is None else time.monotonic() - at

    def stats_for(self, sub: Subscriber[T]) -> StreamStats:
        c = self.counters
        return StreamStats(
            key=self.key,
            state=self.state,
            messages=c.messages,
            items=c.items,
            duplicates=c.duplicates + getattr(self.policy, "duplicates", 0),
            reconnects=c.reconnects,
            resyncs=c.resyncs,
            gaps_repaired=c.gaps_repaired,
            gaps_unrepaired=c.gaps_unrepaired,
            backfilled=c.backfilled,
            polls=c.polls,
            last_message_age=self._age(),
            last_error=c.last_error,
            subscribers=len(self._subs),
            delivered=sub.delivered,
            dropped=sub.dropped,
            queued=sub.queued,
            callback_errors=sub.callback_errors,
            latency_p50_ms=sub.latency.percentile(0.5),
            latency_p99_ms=sub.latency.percentile(0.99),
            missing=c.missing - getattr(self.policy, "late", 0),
            late=getattr(self.policy, "late", 0),
        )

    def health(self) -> StreamHealth:
        c = self.counters
        return StreamHealth(
            self.key, self.state, self._age(), c.reconnects, c.gaps_unrepaired, len(self._subs),
            c.last_error,
        )  # fmt: skip

    # ------------------------------------------------------------------ events
    def _emit(self, kind: EventKind, reason: str = "", gap: Gap | None = None) -> None:
        event = StreamEvent(kind, self.key, self.state, reason=reason, gap=gap)
        for sub in self._subs:
            sub.notify(event)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("stream.listener_failed", stream=str(self.key))

    def _set_state(self, state: StreamState, reason: str = "") -> None:
        if state is self.state:
            return
        previous, self.state = self.state, state
        level = log.warning if state in (StreamState.STALE, StreamState.RECONNECTING) else log.info
        if state is StreamState.FAILED:
            level = log.error
        level(
            "stream.state",
            venue=self.venue,
            stream=str(self.key),
            state=state.value,
            previous=previous.value,
            reason=reason or None,
        )
        self._emit(EventKind.STATE, reason)

    def _gap(self, gap: Gap) -> None:
        c = self.counters
        c.backfilled += gap.recovered
        if gap.repaired:
            c.gaps_repaired += 1
            log.info("stream.gap_repaired", venue=self.venue, stream=str(self.key),
                     recovered=gap.recovered)  # fmt: skip
        else:
            c.gaps_unrepaired += 1
            c.missing += gap.missing or 0
            log.error("stream.gap", venue=self.venue, stream=str(self.key),
                      first_id=gap.first_id, last_id=gap.last_id, since=gap.since,
                      missing=gap.missing, reason=gap.reason)  # fmt: skip
        self._emit(EventKind.GAP, gap.reason, gap)

    # ------------------------------------------------------------------ delivery
    def _publish(self, items: Sequence[T]) -> None:
        if not items:
            return
        self.counters.items += len(items)
        state, key = self.state, self.key
        for sub in self._subs:
            sub.push(items, key, state)
