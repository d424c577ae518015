"""Faults on demand: ``sim.faults.<kind>(...)``.

Each fault is scoped (a stream name such as ``btcusdt@trade``, a socket path such as
``/ws-api/v3``, a REST path such as ``/api/v3/depth``, or ``None`` for everything) and
timed (``duration`` seconds and/or ``count`` occurrences; neither means "until
:meth:`Faults.clear`"). The server consults :meth:`Faults.take` at the points where each
fault acts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class FaultKind(StrEnum):
    STALL = "stall"  # streams: data withheld, pings still answered
    PING_SILENCE = "ping_silence"  # streams: no pongs, no server pings
    SEQUENCE_GAP = "sequence_gap"  # depth diff streams: one update is skipped
    MALFORMED_FRAME = "malformed_frame"  # streams: a frame that is not JSON
    HTTP_ERROR = "http_error"  # REST: 5xx answers
    RATE_LIMITED = "rate_limited"  # REST: 429 with Retry-After
    BANNED = "banned"  # REST: 418 with Retry-After
    DELAY = "delay"  # REST: answers held back
    DROP_ORDER_RESPONSE = "drop_order_response"  # REST: order placed, answer never sent
    RESET = "reset"  # REST: the TCP connection is reset instead of answered


@dataclass
class Fault:
    kind: FaultKind
    scope: str | None = None
    until: float | None = None  # time.monotonic()
    count: int | None = None
    status: int = 503
    retry_after: int = 1
    seconds: float = 0.0

    def matches(self, scopes: tuple[str, ...]) -> bool:
        return self.scope is None or self.scope in scopes

    def expired(self, now: float) -> bool:
        return (self.until is not None and now >= self.until) or self.count == 0


DropConnections = Callable[[str | None, bool], int]


class Faults:
    def __init__(self, drop: DropConnections, shift_clock: Callable[[int], None]) -> None:
        self._faults: list[Fault] = []
        self._drop = drop
        self._shift_clock = shift_clock
        self.released = asyncio.Event()
        """Set when faults are cleared or the simulator closes: held answers give up."""

    def _add(
        self,
        kind: FaultKind,
        scope: str | None,
        duration: float | None,
        count: int | None,
        **extra: int | float,
    ) -> Fault:
        until = time.monotonic() + duration if duration is not None else None
        fault = Fault(kind, scope, until, count, **extra)  # type: ignore[arg-type]
        self._faults.append(fault)
        self.released.clear()
        return fault

    def take(self, kind: FaultKind, *scopes: str) -> Fault | None:
        """The first live fault of ``kind`` matching one of ``scopes``, consuming one
        occurrence of it."""
        now = time.monotonic()
        self._faults = [f for f in self._faults if not f.expired(now)]
        for fault in self._faults:
            if fault.kind is kind and fault.matches(scopes):
                if fault.count is not None:
                    fault.count -= 1
                return fault
        return None

    def active(self, kind: FaultKind, *scopes: str) -> bool:
        now = time.monotonic()
        return any(
            f.kind is kind and f.matches(scopes) and not f.expired(now) for f in self._faults
        )

    def clear(self) -> None:
        """Remove every fault and reset the clock shift."""
        self._faults.clear()
        self._shift_clock(0)
        self.released.set()

    # ---- the faults --------------------------------------------------------------------

    def drop_connections(self, scope: str | None = None, *, abrupt: bool = True) -> int:
        """Close every matching WebSocket now: ``abrupt`` resets the TCP connection, else a
        close frame (1001) is sent. Returns how many were dropped."""
        return self._drop(scope, abrupt)

    def stall(self, scope: str | None = None, *, duration: float | None = None) -> Fault:
        """Withhold stream data (pings and request replies still flow)."""
        return self._add(FaultKind.STALL, scope, duration, None)

    def silence_pings(self, scope: str | None = None, *, duration: float | None = None) -> Fault:
        """Stop answering the client's pings and stop sending the server's."""
        return self._add(FaultKind.PING_SILENCE, scope, duration, None)

    def skip_sequence(self, stream: str | None = None, *, count: int = 1) -> Fault:
        """Skip ``count`` depth diff updates on the wire (a gap in U/u)."""
        return self._add(FaultKind.SEQUENCE_GAP, stream, None, count)

    def malformed_frame(self, scope: str | None = None, *, count: int = 1) -> Fault:
        """Send ``count`` frames that are not valid JSON instead of data."""
        return self._add(FaultKind.MALFORMED_FRAME, scope, None, count)

    def http_errors(
        self,
        path: str | None = None,
        *,
        status: int = 503,
        count: int | None = 1,
        duration: float | None = None,
    ) -> Fault:
        """Answer REST requests with ``status`` and a gateway's HTML page (a 5xx burst)."""
        return self._add(FaultKind.HTTP_ERROR, path, duration, count, status=status)

    def rate_limited(
        self, path: str | None = None, *, retry_after: int = 1, count: int | None = 1
    ) -> Fault:
        """Answer 429 with ``Retry-After``."""
        return self._add(FaultKind.RATE_LIMITED, path, None, count, retry_after=retry_after)

    def banned(
        self, path: str | None = None, *, retry_after: int = 120, count: int | None = 1
    ) -> Fault:
        """Answer 418 (IP banned) with ``Retry-After``."""
        return self._add(FaultKind.BANNED, path, None, count, retry_after=retry_after)

    def delay(
        self,
        seconds: float,
        path: str | None = None,
        *,
        count: int | None = None,
        duration: float | None = None,
    ) -> Fault:
        """Hold REST answers back by ``seconds``."""
        return self._add(FaultKind.DELAY, path, duration, count, seconds=seconds)

    def reset_requests(self, path: str | None = None, *, count: int | None = 1) -> Fault:
        """Reset the TCP connection of REST requests instead of answering them; the handler
        never runs (an order is not placed, a cancel not applied). ``path`` may name a
        method too: ``"DELETE /api/v3/order"`` resets cancels only. (aiohttp's client
        silently retries an idempotent request once: ``count=2`` fails a GET or a DELETE.)"""
        return self._add(FaultKind.RESET, path, None, count)

    def drop_order_response(self, *, count: int = 1) -> Fault:
        """Accept the next ``count`` orders (REST or WebSocket API ``order.place``) but never
        answer: the client times out."""
        return self._add(FaultKind.DROP_ORDER_RESPONSE, None, None, count)

    def shift_clock(self, ms: int) -> None:
        """Move the server's clock by ``ms`` (signed requests then see -1021)."""
        self._shift_clock(ms)
