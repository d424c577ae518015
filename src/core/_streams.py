"""The vocabulary of supervised streams: keys, states, events, gaps and statistics.

A supervised stream is one (channel, symbol[, timeframe]) of one adapter, shared by all of
its subscribers. Its life::

    CONNECTING --first data--> LIVE --silence past the budget--> STALE
        STALE --a REST read shows nothing newer (quiet market)--> LIVE
        STALE --a REST read shows newer data (dead feed)--> RECONNECTING --> LIVE ...
    LIVE --error--> RECONNECTING --(backoff; REST polling while it keeps failing)--> LIVE
    any --close()--> CLOSED;  any --an error retrying cannot fix--> FAILED
    POLLING: the venue cannot stream the channel, or its WebSocket keeps failing.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum


class Channel(StrEnum):
    TICKER = "ticker"
    TRADES = "trades"
    ORDER_BOOK = "order_book"
    OHLCV = "ohlcv"
    BALANCE = "balance"
    ORDERS = "orders"
    MY_TRADES = "my_trades"

    @property
    def private(self) -> bool:
        return self in (Channel.BALANCE, Channel.ORDERS, Channel.MY_TRADES)


class StreamState(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    STALE = "stale"
    RECONNECTING = "reconnecting"
    POLLING = "polling"
    CLOSED = "closed"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self in (StreamState.CLOSED, StreamState.FAILED)


@dataclass(frozen=True, slots=True)
class StreamKey:
    """What a supervised stream carries; one stream per key per adapter."""

    channel: Channel
    symbol: str | None = None
    timeframe: str | None = None

    def __str__(self) -> str:
        parts = [self.channel.value, self.symbol or "*"]
        if self.timeframe:
            parts.append(self.timeframe)
        return ":".join(parts)


@dataclass(frozen=True, slots=True)
class Gap:
    """A hole in an event stream (trades, fills, orders): what is missing, and whether it
    was repaired over REST. Bounds are trade ids where the venue numbers them in sequence,
    else exchange timestamps (ms)."""

    key: StreamKey
    repaired: bool
    first_id: str | None = None
    last_id: str | None = None
    since: int | None = None
    until: int | None = None
    missing: int | None = None  # items still missing (None: unknown)
    recovered: int = 0  # items fetched over REST and delivered
    reason: str = ""


class EventKind(StrEnum):
    STATE = "state"  # the stream changed state
    GAP = "gap"  # a hole in the stream: repaired or not (``gap``)
    OVERFLOW = "overflow"  # this subscriber's queue dropped its oldest items (``count``)
    QUIET = "quiet"  # silence past the budget, and REST shows nothing newer


@dataclass(frozen=True, slots=True)
class StreamEvent:
    kind: EventKind
    key: StreamKey
    state: StreamState
    reason: str = ""
    gap: Gap | None = None
    count: int = 0
    at: float = field(default_factory=time.time)


class Latency:
    """Exchange-to-delivery latency of the last ``size`` items (ms)."""

    __slots__ = ("_samples",)

    def __init__(self, size: int = 2048) -> None:
        self._samples: deque[float] = deque(maxlen=size)

    def add(self, ms: float) -> None:
        self._samples.append(ms)

    def percentile(self, q: float) -> float | None:
        if not self._samples:
            return None
        ordered = sorted(self._samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass(slots=True)
class StreamCounters:
    """Mutable counters of one supervised stream (read them through a snapshot)."""

    messages: int = 0  # batches received (WebSocket messages or polls with news)
    items: int = 0  # records received and passed on
    duplicates: int = 0  # records received twice (e.g. stream and backfill) and dropped
    reconnects: int = 0
    resyncs: int = 0  # order books re-snapshotted after a sequence gap
    gaps_repaired: int = 0
    gaps_unrepaired: int = 0
    backfilled: int = 0  # records recovered over REST
    polls: int = 0
    last_message_at: float | None = None  # time.monotonic()
    last_error: str | None = None
    missing: int = 0  # records reported missing by unrepaired gaps (those with a count)


@dataclass(frozen=True, slots=True)
class StreamStats:
    """A snapshot of a stream's statistics, seen by one subscriber."""

    key: StreamKey
    state: StreamState
    messages: int
    items: int
    duplicates: int
    reconnects: int
    resyncs: int
    gaps_repaired: int
    gaps_unrepaired: int
    backfilled: int
    polls: int
    last_message_age: float | None  # seconds
    last_error: str | None
    subscribers: int
    # this subscriber's own
    delivered: int = 0
    dropped: int = 0  # oldest items dropped because this subscriber's queue was full
    queued: int = 0
    callback_errors: int = 0
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    # the stream's again
    missing: int = 0  # records reported missing in GAP events and never delivered
    late: int = 0  # records delivered after a GAP had reported them missing


@dataclass(frozen=True, slots=True)
class StreamHealth:
    key: StreamKey
    state: StreamState
    last_message_age: float | None
    reconnects: int
    gaps_unrepaired: int
    subscribers: int
    last_error: str | None
    #: with ``EXCHANGES_REDIS_URL``, for a public stream: ``"holder"`` (this process holds
    #: the connection and publishes it), ``"reader"`` (it reads another process's) or
    #: ``"local"`` (Redis failed: its own connection); ``None``: not shared
    role: str | None = None
    holder: str | None = None  # the holder's pid@host


@dataclass(frozen=True, slots=True)
class Health:
    """The adapter's streams at a glance: ``ok`` when every stream is live (or polling)."""

    venue: str
    account: str | None
    streams: tuple[StreamHealth, ...]

    @property
    def ok(self) -> bool:
        return all(s.state in (StreamState.LIVE, StreamState.POLLING) for s in self.streams)
