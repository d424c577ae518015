"""The guard's side of the budget: ccxt's rate-limit hook books each request before it is
sent, and the venue's answers are written back (used weight, a 429's pause, a 418's ban).

ccxt's ``fetch2`` calls ``throttle(cost)`` before every REST request when
``enableRateLimit`` is on, with the endpoint's cost from its ``describe()['api']`` (binance:
``calculate_rate_limiter_cost``, by limit and by symbol). The adapter hands ccxt
:meth:`Reservations.throttle` as that hook through ccxt's constructor config, so the cost is
ccxt's own, per request actually sent (a ``load_markets`` of several requests books each),
for any ccxt id. The guarded call it belongs to (method, priority, start) travels in a
context variable; a request ccxt makes on its own (a stream's snapshot) books as a read.
After the reservation, ccxt's own throttle runs as it would without us.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from core import Banned, RateLimited
from exchanges.sharing._budget import LOCAL, Ask, BudgetBackend, Outcome
from exchanges.trading._ratelimit import (
    IpBudget,
    Priority,
    VenueLimits,
    current_priority,
    repair_deadline,
)


class WaitBounds(Protocol):
    """How long a read may wait (:class:`exchanges.trading.RetryPolicy` is one)."""

    @property
    def max_retry_after(self) -> float: ...
    @property
    def budget(self) -> float: ...


class BudgetedGuard(Protocol):
    """What reservations read of the guard they serve (:class:`exchanges.trading.Guard`,
    which imports this module)."""

    @property
    def budget(self) -> IpBudget: ...
    @property
    def budget_window(self) -> float: ...
    @property
    def client(self) -> Any: ...
    @property
    def limits(self) -> VenueLimits: ...
    @property
    def weight_limit(self) -> int | None: ...
    @property
    def limit_override(self) -> int | None: ...
    @property
    def threshold(self) -> float: ...
    @property
    def policy(self) -> WaitBounds: ...


#: the guarded call a ccxt request belongs to: (method, priority, started monotonic)
_CALL: contextvars.ContextVar[tuple[str, Priority, float] | None] = contextvars.ContextVar(
    "exchanges_guarded_call", default=None
)
_UNSENT = "_exchanges_unsent"


@contextmanager
def guarded_call(method: str, priority: Priority, started: float) -> Iterator[None]:
    """Requests ccxt makes inside this block belong to ``method`` at ``priority``."""
    token = _CALL.set((method, priority, started))
    try:
        yield
    finally:
        _CALL.reset(token)


def unsent(exc: BaseException) -> bool:
    """Whether ``exc`` is our own budget's refusal (the venue saw nothing)."""
    return bool(getattr(exc, _UNSENT, False))


def _mark_unsent(exc: RateLimited) -> RateLimited:
    setattr(exc, _UNSENT, True)
    return exc


class Reservations:
    """One guard's use of its route's budget, booked in :attr:`backend`."""

    def __init__(self, guard: BudgetedGuard) -> None:
        self._guard = guard
        #: where reservations are booked: this process, or Redis (set by the adapter)
        self.backend: BudgetBackend = LOCAL
        self._used: int | None = None
        self._pause: float | None = None
        self._ban: float | None = None

    def _backend(self) -> tuple[str, BudgetBackend]:
        budget = self._guard.budget
        return budget.key, (self.backend if budget.shareable else LOCAL)

    # ------------------------------------------------------------------ terms
    @property
    def window(self) -> float:
        """Seconds in one window (the setting, else the venue's)."""
        return self._guard.budget_window

    def terms(self) -> tuple[float, float]:
        """(weight allowed per window, venue weight per unit of ccxt's cost): the venue's
        documented limit in its own weight where we know its scale, else ccxt's own rate in
        ccxt's cost units (``window / rateLimit`` per window)."""
        guard = self._guard
        client = guard.client
        default_type = str((getattr(client, "options", None) or {}).get("defaultType"))
        factor = guard.limits.cost_weight.get(default_type)
        limit = guard.weight_limit
        if factor is not None and limit is not None:
            return float(limit), factor
        rate = float(getattr(client, "rateLimit", 0) or 0)
        own = self.window * 1000 / rate if rate > 0 else 1e9
        return float(guard.limit_override or own), 1.0

    def share_of(self, priority: Priority) -> float:
        """Orders: the whole window; reads: the threshold; repairs: half of it."""
        if priority is Priority.ORDER:
            return 1.0
        threshold = self._guard.threshold
        return threshold / 2 if priority is Priority.REPAIR else threshold

    # ------------------------------------------------------------------ before sending
    async def throttle(self, cost: float | None = None) -> None:
        """ccxt's rate-limit hook: book the request, sleep until it is due, or refuse it
        unsent (:class:`core.RateLimited`, :class:`core.Banned`); then ccxt's throttle."""
        guard = self._guard
        # a request ccxt makes on its own (a book stream's snapshot) books at the priority
        # of what it runs under: a repair inside repairing(), else a read
        call = _CALL.get() or ("request", current_priority(), time.monotonic())
        method, priority, started = call
        budget = guard.budget
        limit, factor = self.terms()
        policy = guard.policy
        allowed = min(policy.max_retry_after, policy.budget - (time.monotonic() - started))
        deadline = repair_deadline() if priority is Priority.REPAIR else None
        if deadline is not None:  # a repair waits for the budget no longer than it may take
            allowed = min(allowed, deadline - time.monotonic())
        ask = Ask(
            key=budget.key,
            weight=(1.0 if cost is None else float(cost)) * factor,
            limit=limit,
            share=self.share_of(priority),
            window=self.window,
            max_wait=max(0.0, allowed),
            honour_pause=priority is not Priority.ORDER,
        )
        grant = await self._backend()[1].reserve(ask)
        now = time.time()
        if grant.banned_until > now:  # mirrored: this process's check() fails fast too
            budget.ban(grant.banned_until)
        if grant.paused_until > now:
            budget.pause(grant.paused_until - now)
        if grant.outcome is Outcome.BANNED:
            raise _mark_unsent(
                Banned(
                    f"{method}() not sent: banned by the venue for another {grant.delay:.0f} s",
                    venue=budget.venue,
                    method=method,
                    retry_after=grant.delay,
                    until=grant.banned_until,
                )
            )
        if grant.outcome is Outcome.REFUSED:
            raise _mark_unsent(
                RateLimited(
                    f"{method}() not sent: the request budget ({limit:g} weight per "
                    f"{self.window:g} s, {ask.share:.0%} of it for this priority) has room "
                    f"in {grant.delay:.1f} s",
                    venue=budget.venue,
                    method=method,
                    retry_after=grant.delay,
                )
            )
        if grant.delay > 0:
            await asyncio.sleep(grant.delay)
        throttler = getattr(guard.client, "throttler", None)
        if throttler is not None:
            await throttler(cost)  # ccxt's own leaky bucket, as without us

    # ------------------------------------------------------------------ after the answer
    def report_used(self, used: int) -> None:
        self._used = used

    def report_pause(self, seconds: float) -> None:
        self._pause = seconds

    def report_ban(self, until: float) -> None:
        self._ban = until

    async def share(self) -> None:
        """Write what the last answer said to the backend (correcting its count upward)."""
        used, pause, ban = self._used, self._pause, self._ban
        self._used = self._pause = self._ban = None
        if used is None and pause is None and ban is None:
            return
        key, backend = self._backend()
        if used is not None:
            await backend.record_used(key, used, self.window)
        if pause is not None:
            await backend.pause(key, pause)
        if ban is not None:
            await backend.ban(key, ban)
