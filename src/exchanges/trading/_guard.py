"""Retries for reads, rate limits, a ban breaker and the venue's clock: one guard per adapter.

* **Reads** (``fetch_*``) that fail with a retryable error (:func:`core.is_retryable`) are
  retried with capped exponential backoff and full jitter (tenacity), bounded in attempts
  and in total time. A ``Retry-After`` the venue sent (ccxt ignores it on REST) is waited
  for, when it fits in the budget; longer, the :class:`core.RateLimited` is raised with
  ``retry_after`` for the caller to decide.
* **Writes** are never retried here: ``place_order`` settles a lost answer by client id.
* **Rate limits** are per IP, so their state is shared by every adapter on the same route
  to the venue (:mod:`exchanges.trading._ratelimit`). After every REST answer the guard reads the
  used weight the venue reports (binance ``X-MBX-USED-WEIGHT-1M``, read by
  :mod:`exchanges.trading._headers`). Past
  ``rate_limit_threshold`` of the limit, reads wait for the window to reset; after a 429,
  reads wait until its ``Retry-After`` has passed: all accounts on the route, not only the
  call that failed. A wait longer than the read may take raises :class:`core.RateLimited`
  with ``retry_after`` instead, and nothing is sent. Writes are never held back.
* **Reservations**: before each REST request is sent, ccxt's rate-limit hook books its
  weight (ccxt's per-endpoint cost) in the route's budget by priority, and the request
  sleeps until it is due or is refused unsent (:mod:`exchanges.trading._reserve`). With
  ``EXCHANGES_REDIS_URL`` that budget, 429 pauses and 418 bans included, is every
  process's on the host.
* **Bans** (HTTP 418, :class:`core.Banned`) open the route's breaker: until the ban's end,
  every call of every adapter on it fails at once with ``Banned.until``, and no request
  reaches the venue.
* **Clock**: adapters with credentials measure the offset to the venue's clock at connect
  and every ``clock_sync_interval`` seconds (:mod:`exchanges.trading._clock`). A refused timestamp
  (:class:`core.InvalidNonce`, binance -1021) still resyncs and retries once; writes too,
  since the venue refused the request.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
)

from core import (
    Banned,
    ExchangeError,
    InvalidNonce,
    RateLimited,
    Settings,
    get_logger,
    get_settings,
    is_retryable,
)
from exchanges.trading._clock import ClockSync
from exchanges.trading._headers import budget_headers, retry_after
from exchanges.trading._ratelimit import (
    IpBudget,
    Priority,
    VenueLimits,
    budget_for,
    repair_deadline,
    venue_limits,
)
from exchanges.trading._reserve import Reservations, guarded_call, unsent

T = TypeVar("T")
log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4  # first call included
    base: float = 0.2  # seconds, doubled each retry
    cap: float = 5.0  # longest backoff between two attempts
    budget: float = 20.0  # total seconds a read may spend retrying
    max_retry_after: float = 10.0  # a longer Retry-After (or rate-limit wait) is the caller's
    default_ban: float = 120.0  # breaker length when a ban carries no Retry-After


class Guard:
    """The resilience state of one adapter: its view of the shared rate-limit budget and
    ban breaker, its account's order counts, and its clock offset."""

    def __init__(
        self,
        venue: str,
        client: Any,
        policy: RetryPolicy | None = None,
        *,
        settings: Settings | None = None,
    ) -> None:
        self._venue = venue
        self._client = client
        self.policy = policy or RetryPolicy()
        settings = settings or get_settings()
        self._threshold = settings.rate_limit_threshold
        self._window = settings.rate_limit_window or None
        self._limits = venue_limits(venue)
        self._limit_override = settings.rate_limit_weight or None
        self._clock = ClockSync(venue, client, settings.clock_sync_interval)
        #: per account (binance counts orders per account): the venue's order counts by
        #: interval as last reported (``{"10s": 3, "1d": 17}``)
        self.order_counts: dict[str, int] = {}
        self._seen_headers: object = None
        #: reservations before sending, in this process's budget or a shared one
        self.reservations = Reservations(self)

    # ------------------------------------------------------------------ shared state
    @property
    def budget(self) -> IpBudget:
        """The rate-limit budget of this adapter's route (shared; looked up on each use,
        since the client's URLs may be pointed elsewhere after construction)."""
        return budget_for(self._venue, self._client, window=self._window)

    @property
    def client(self) -> Any:
        return self._client

    @property
    def limits(self) -> VenueLimits:
        return self._limits

    @property
    def limit_override(self) -> int | None:
        return self._limit_override

    @property
    def threshold(self) -> float:
        return self._threshold

    @property
    def budget_window(self) -> float:
        """Seconds in one weight window: the setting, else the venue's."""
        return self._window or self._limits.window

    async def throttle(self, cost: float | None = None) -> None:
        """ccxt's rate-limit hook (see :class:`~exchanges.trading._reserve.Reservations`)."""
        await self.reservations.throttle(cost)

    @property
    def weight_limit(self) -> int | None:
        """Request weight allowed per window: the setting, else the venue's documented
        limit for the client's market type; None when unknown."""
        if self._limit_override is not None:
            return self._limit_override
        default_type = (getattr(self._client, "options", None) or {}).get("defaultType")
        return self._limits.limits.get(str(default_type))

    @property
    def banned_until(self) -> float | None:
        """End of the route's running ban (epoch seconds), if any."""
        budget = self.budget
        return budget.banned_until if budget.ban_remaining() is not None else None

    @property
    def clock_offset_ms(self) -> int | None:
        """Local clock minus the venue's (ms) as last measured; None until measured."""
        return self._clock.offset_ms

    @property
    def clock(self) -> ClockSync:
        return self._clock

    # ------------------------------------------------------------------ before and after
    def check(self, method: str) -> None:
        """Fail fast while a ban is running: no request is sent."""
        budget = self.budget
        remaining = budget.ban_remaining()
        if remaining is None:
            return
        raise Banned(
            f"{method}() not sent: banned by the venue for another {remaining:.0f} s",
            venue=self._venue,
            method=method,
            retry_after=remaining,
            until=budget.banned_until,
        )

    def note_response(self) -> None:
        """Read the rate-limit headers of the client's last REST answer (once per answer)."""
        headers = getattr(self._client, "last_response_headers", None)
        if not headers or headers is self._seen_headers:
            return
        self._seen_headers = headers
        used, counts = budget_headers(headers, self._limits)
        if used is not None:
            self._record_used(used)
        self.order_counts.update(counts)

    def _record_used(self, used: int) -> None:
        budget = self.budget
        budget.record_used(used)
        self.reservations.report_used(used)
        limit = self.weight_limit
        if limit is not None and used >= self._threshold * limit and budget.window_end is not None:
            budget.announce("weight", budget.window_end, used=used, limit=limit)

    def observe(self, exc: ExchangeError) -> None:
        """Complete a rate-limit error from the response headers; pause the route's reads
        after a 429; open its breaker on a ban."""
        self.note_response()
        if not isinstance(exc, RateLimited) or unsent(exc):
            return
        if exc.retry_after is None:
            exc.retry_after = retry_after(getattr(self._client, "last_response_headers", None))
        budget = self.budget
        if isinstance(exc, Banned):
            length = exc.retry_after if exc.retry_after is not None else self.policy.default_ban
            exc.until = time.time() + length
            budget.ban(exc.until)
            self.reservations.report_ban(exc.until)
            log.error("venue.banned", venue=self._venue, host=budget.host, seconds=round(length, 1))
        elif exc.retry_after is not None:
            self.reservations.report_pause(exc.retry_after)
            if budget.pause(exc.retry_after):
                budget.announce("retry_after", budget.paused_until, method=exc.method)

    async def _pace(self, method: str, started: float, priority: Priority) -> None:
        """Hold a read back while the route is slowed down (weight past the threshold, or a
        429's Retry-After); raise :class:`core.RateLimited` when the wait would not fit.
        Repairs yield first: they wait from half the threshold on, and never past their
        deadline (:func:`exchanges.trading._ratelimit.repairing`)."""
        threshold = self._threshold / 2 if priority is Priority.REPAIR else self._threshold
        while True:
            budget = self.budget
            weight = budget.weight_wait(self.weight_limit, threshold)
            pause = budget.pause_wait()
            delay = max(weight, pause)
            if delay <= 0:
                return
            reason = (
                f"the venue's Retry-After has {pause:.1f} s to run"
                if pause >= weight
                else f"request weight {budget.used}/{self.weight_limit} used, the window "
                f"resets in {weight:.1f} s"
            )
            allowed = min(
                self.policy.max_retry_after,
                self.policy.budget - (time.monotonic() - started),
            )
            deadline = repair_deadline() if priority is Priority.REPAIR else None
            if deadline is not None:  # a repair waits no longer than it may take
                allowed = min(allowed, deadline - time.monotonic())
            if delay > allowed:
                raise RateLimited(
                    f"{method}() not sent: {reason}",
                    venue=self._venue,
                    method=method,
                    retry_after=delay,
                )
            await asyncio.sleep(delay)

    # ------------------------------------------------------------------ calls
    @asynccontextmanager
    async def _answered(self) -> AsyncIterator[None]:
        """Around one request: what its answer (or its error) says about the venue's budget
        is read (:meth:`note_response`, :meth:`observe`) and written to the shared budget."""
        try:
            yield
        except ExchangeError as exc:
            self.observe(exc)
            await self.reservations.share()
            raise
        self.note_response()
        await self.reservations.share()

    def _wait(self, state: RetryCallState) -> float:
        policy = self.policy
        backoff = random.uniform(0, min(policy.cap, policy.base * 2 ** (state.attempt_number - 1)))  # noqa: S311
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return max(backoff, exc.retry_after)
        return backoff

    def _should_retry(self, exc: BaseException) -> bool:
        longest = self.policy.max_retry_after
        deadline = repair_deadline()
        if deadline is not None:  # a repair: not past its deadline either
            longest = min(longest, deadline - time.monotonic())
        too_long = (
            isinstance(exc, RateLimited)
            and exc.retry_after is not None
            and exc.retry_after > longest
        )
        return not too_long and is_retryable(exc)

    async def call(
        self,
        method: str,
        make: Callable[[], Awaitable[T]],
        *,
        retry: bool,
        priority: Priority = Priority.READ,
    ) -> T:
        """Run ``make()`` (a fresh awaitable per attempt, already translated into this
        library's errors) under the breaker, resyncing the clock once. Reads and repairs
        are paced by ``priority`` (orders are never held back) and retried when ``retry``."""
        try:
            return await self._attempts(method, make, retry=retry, priority=priority)
        except InvalidNonce:
            await self.resync_clock()
            return await self._attempts(method, make, retry=retry, priority=priority)

    async def _attempts(
        self, method: str, make: Callable[[], Awaitable[T]], *, retry: bool, priority: Priority
    ) -> T:
        policy = self.policy
        started = time.monotonic()
        retrying = AsyncRetrying(
            stop=stop_after_attempt(policy.attempts if retry else 1)
            | stop_before_delay(policy.budget),  # the next sleep counts too
            wait=self._wait,
            retry=retry_if_exception(self._should_retry),
            reraise=True,
            before_sleep=lambda state: log.info(
                "request.retry",
                venue=self._venue,
                method=method,
                attempt=state.attempt_number,
                error=type(state.outcome.exception()).__name__ if state.outcome else None,
            ),
        )
        async for attempt in retrying:
            with attempt:
                self.check(method)
                # reads are paced unless they poll on their own (retry=False: an order's
                # settling lookups, a stream's polls); repairs always; orders never
                if priority is Priority.REPAIR or (retry and priority is Priority.READ):
                    await self._pace(method, started, priority)
                async with self._answered():
                    with guarded_call(method, priority, started):
                        return await make()
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    # ------------------------------------------------------------------ clock
    def _signs(self) -> bool:
        """Whether the client holds credentials (its signed calls carry timestamps)."""
        client = self._client
        has_key = bool(getattr(client, "apiKey", None) or getattr(client, "secret", None))
        check = getattr(client, "check_required_credentials", None)
        return has_key and (not callable(check) or bool(check(False)))

    async def sync_clock(self, reason: str = "periodic") -> int | None:
        """Measure the offset to the venue's clock now (one ``fetchTime`` request); sets
        ccxt's ``timeDifference``. Fails fast with :class:`core.Banned` during a ban."""
        self.check("sync_clock")
        async with self._answered():
            offset = await self._clock.measure()
        if offset is not None:
            self.budget.clock_offset_ms = offset
            log.info("clock.synced", venue=self._venue, reason=reason, offset_ms=offset)
        return offset

    async def resync_clock(self) -> None:
        """After a refused timestamp: measure the offset again (ccxt's
        ``load_time_difference``)."""
        offset = await self.sync_clock("refused_timestamp")
        if offset is not None:
            log.warning("clock.resynced", venue=self._venue, offset_ms=offset)

    async def start(self, *, measure: bool = True) -> None:
        """At connect, for an adapter with credentials: measure the clock offset when
        ``measure`` (connect is talking to the venue anyway: it loads the markets), else
        take the offset another adapter on the same route measured, sending nothing (an
        adapter handed its markets connects without a request). A failed measurement is
        logged, not raised: a refused timestamp still resyncs. Then the periodic
        measurement starts. A public adapter signs nothing and spends nothing on this."""
        if not self._clock.available or not self._signs():
            return
        if measure:
            try:
                await self.sync_clock("connect")
            except ExchangeError as exc:
                log.warning("clock.sync_failed", venue=self._venue, error=type(exc).__name__)
        elif (offset := self.budget.clock_offset_ms) is not None:
            self._clock.adopt(offset)
        self._clock.start(self.sync_clock)

    async def close(self) -> None:
        """Stop the periodic clock measurement (the adapter's ``close()``)."""
        await self._clock.close()
