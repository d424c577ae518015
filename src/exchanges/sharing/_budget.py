"""The request budget as reservations: one interface, two backends.

Before a REST request is sent it *reserves* its weight in the budget of its route to the
venue host (see :mod:`exchanges.trading._ratelimit`). The budget is counted in fixed windows of
``window`` seconds aligned on the epoch (binance's minutes), each holding ``limit`` weight,
shared by priority:

* **orders** may book the whole window (``share`` 1.0);
* **reads** up to ``rate_limit_threshold`` of it (0.8 by default);
* **repairs** (a stream's backfill and resync reads) up to half of that.

A reservation books the first window, from the current one on, whose booked weight plus
this request's stays under the caller's share (an empty window always takes one request,
however heavy). It answers *when* that window starts: the caller sleeps that long, then
sends; nobody polls. When that is later than the caller may wait (``max_wait``), nothing is
booked and the caller raises :class:`core.RateLimited` with ``retry_after``, unsent.

While a 429's pause runs, reads and repairs start no earlier than its end (orders go on,
as before); while a ban runs, every reservation is refused with the ban's end. The venue's
used-weight headers correct the current window's count *upward* (never down: requests in
flight are in our count and not yet in the venue's).

:class:`InProcessBudget` keeps this in the process (the embedded default);
``RedisBudget`` (:mod:`exchanges.sharing._redis_budget`) runs the same steps as one Lua
script on the server's clock, so every process on the host shares one budget. One contract
test suite (``tests/sharing/test_budget_contract.py``) runs against both.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

#: how many windows past the current one a reservation may book
AHEAD = 4


class Outcome(IntEnum):
    GRANTED = 0
    REFUSED = 1  # not booked: due later than the caller may wait
    BANNED = 2


@dataclass(frozen=True, slots=True)
class Ask:
    """One request's reservation: ``weight`` against ``share`` of ``limit`` per ``window``
    seconds, waiting at most ``max_wait`` seconds; ``honour_pause``: reads and repairs
    start after a running 429 pause, orders do not."""

    key: str
    weight: float
    limit: float
    share: float
    window: float
    max_wait: float
    honour_pause: bool

    @property
    def cap(self) -> float:
        return self.limit * self.share


@dataclass(frozen=True, slots=True)
class Grant:
    """The answer: ``delay`` seconds until the booked window starts (GRANTED), or until the
    first one that would take it (REFUSED), or until the ban ends (BANNED). ``banned_until``
    and ``paused_until`` are the shared state (epoch seconds, 0: none) for the caller to
    mirror; ``window_start`` is the booked (or first fitting) window's start."""

    outcome: Outcome
    delay: float
    banned_until: float = 0.0
    paused_until: float = 0.0
    window_start: float = 0.0


class BudgetBackend(Protocol):
    """Where reservations are booked. Times are epoch seconds on the backend's clock."""

    @property
    def name(self) -> str:
        """``"local"`` (this process) or ``"redis"``."""
        ...

    async def reserve(self, ask: Ask) -> Grant: ...

    async def record_used(self, key: str, used: float, window: float) -> None:
        """The venue reported ``used`` weight in its current window: raise our count to it."""
        ...

    async def pause(self, key: str, seconds: float) -> None:
        """A 429: reads and repairs start no earlier than ``seconds`` from now."""
        ...

    async def ban(self, key: str, until: float) -> None:
        """A 418: every reservation is refused until ``until`` (epoch seconds)."""
        ...


@dataclass(slots=True)
class _Ledger:
    windows: dict[int, float] = field(default_factory=dict)  # window index -> booked weight
    paused_until: float = 0.0
    banned_until: float = 0.0


class InProcessBudget:
    """The reservation logic in this process (the embedded default): the same steps as
    the Redis script, on ``clock`` (``time.time``)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._ledgers: dict[str, _Ledger] = {}

    @property
    def name(self) -> str:
        return "local"

    def _ledger(self, key: str) -> _Ledger:
        ledger = self._ledgers.get(key)
        if ledger is None:
            ledger = self._ledgers[key] = _Ledger()
        return ledger

    def reserve_now(self, ask: Ask) -> Grant:
        """:meth:`reserve` without awaiting (it never waits: it only books)."""
        now = self._clock()
        ledger = self._ledger(ask.key)
        if ledger.banned_until > now:
            return Grant(
                Outcome.BANNED, ledger.banned_until - now, ledger.banned_until, ledger.paused_until
            )
        start = now
        if ask.honour_pause and ledger.paused_until > start:
            start = ledger.paused_until
        first = math.floor(start / ask.window)
        for old in [k for k in ledger.windows if k < math.floor(now / ask.window)]:
            del ledger.windows[old]
        for index in range(first, first + AHEAD + 1):
            begin = index * ask.window
            due = max(start, begin) - now
            if due > ask.max_wait:
                return Grant(Outcome.REFUSED, due, ledger.banned_until, ledger.paused_until, begin)
            used = ledger.windows.get(index, 0.0)
            if used + ask.weight <= ask.cap or used == 0:
                ledger.windows[index] = used + ask.weight
                return Grant(Outcome.GRANTED, due, ledger.banned_until, ledger.paused_until, begin)
        begin = (first + AHEAD + 1) * ask.window
        return Grant(Outcome.REFUSED, begin - now, ledger.banned_until, ledger.paused_until, begin)

    async def reserve(self, ask: Ask) -> Grant:
        return self.reserve_now(ask)

    def record_used_now(self, key: str, used: float, window: float) -> None:
        ledger = self._ledger(key)
        index = math.floor(self._clock() / window)
        if used > ledger.windows.get(index, 0.0):
            ledger.windows[index] = float(used)

    async def record_used(self, key: str, used: float, window: float) -> None:
        self.record_used_now(key, used, window)

    async def pause(self, key: str, seconds: float) -> None:
        ledger = self._ledger(key)
        ledger.paused_until = max(ledger.paused_until, self._clock() + seconds)

    async def ban(self, key: str, until: float) -> None:
        ledger = self._ledger(key)
        ledger.banned_until = max(ledger.banned_until, until)

    def used(self, key: str, window: float) -> float:
        """Weight booked in the current window (tests, benchmarks)."""
        index = math.floor(self._clock() / window)
        return self._ledger(key).windows.get(index, 0.0)

    def clear(self) -> None:
        self._ledgers.clear()


#: the process's own budget: every adapter without a Redis URL (and every one whose Redis
#: is unreachable mid-run) books here
LOCAL = InProcessBudget()
