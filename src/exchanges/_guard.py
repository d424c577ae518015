"""Retries for reads, Retry-After, a ban breaker and clock resync: one guard per adapter.

* **Reads** (``fetch_*``) that fail with a retryable error (:func:`core.is_retryable`) are
  retried with capped exponential backoff and full jitter (tenacity), bounded in attempts
  and in total time. A ``Retry-After`` the venue sent (ccxt ignores it on REST) is waited
  for, when it fits in the budget; longer, the :class:`core.RateLimited` is raised with
  ``retry_after`` for the caller to decide.
* **Writes** are never retried here: ``place_order`` settles a lost answer by client id.
* **Bans** (HTTP 418, :class:`core.Banned`) open a breaker: until the ban's end, every call
  fails at once with ``Banned.until``, and no request reaches the venue.
* **Clock**: a refused timestamp (:class:`core.InvalidNonce`, binance -1021) resyncs the
  offset to the venue's clock (ccxt's ``load_time_difference``) and retries once; writes
  too, since the venue refused the request.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
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
    get_logger,
    is_retryable,
    translate_errors,
)

T = TypeVar("T")
log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4  # first call included
    base: float = 0.2  # seconds, doubled each retry
    cap: float = 5.0  # longest backoff between two attempts
    budget: float = 20.0  # total seconds a read may spend retrying
    max_retry_after: float = 10.0  # a longer Retry-After is the caller's decision
    default_ban: float = 120.0  # breaker length when a ban carries no Retry-After


def _retry_after(headers: Any) -> float | None:
    if not headers:
        return None
    for name, value in dict(headers).items():
        if str(name).lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


class Guard:
    """The resilience state of one adapter (its ccxt client's last response headers, the
    ban breaker)."""

    def __init__(self, venue: str, client: Any, policy: RetryPolicy | None = None) -> None:
        self._venue = venue
        self._client = client
        self.policy = policy or RetryPolicy()
        self.banned_until: float | None = None  # epoch seconds

    def check(self, method: str) -> None:
        """Fail fast while a ban is running: no request is sent."""
        until = self.banned_until
        if until is None:
            return
        remaining = until - time.time()
        if remaining <= 0:
            self.banned_until = None
            return
        raise Banned(
            f"{method}() not sent: banned by the venue for another {remaining:.0f} s",
            venue=self._venue,
            method=method,
            retry_after=remaining,
            until=until,
        )

    def observe(self, exc: ExchangeError) -> None:
        """Complete a rate-limit error from the response headers; open the breaker on a ban."""
        if not isinstance(exc, RateLimited):
            return
        if exc.retry_after is None:
            exc.retry_after = _retry_after(getattr(self._client, "last_response_headers", None))
        if isinstance(exc, Banned):
            length = exc.retry_after if exc.retry_after is not None else self.policy.default_ban
            exc.until = time.time() + length
            self.banned_until = max(self.banned_until or 0.0, exc.until)
            log.error("venue.banned", venue=self._venue, seconds=round(length, 1))

    def _wait(self, state: RetryCallState) -> float:
        policy = self.policy
        backoff = random.uniform(0, min(policy.cap, policy.base * 2 ** (state.attempt_number - 1)))  # noqa: S311
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return max(backoff, exc.retry_after)
        return backoff

    def _should_retry(self, exc: BaseException) -> bool:
        too_long = (
            isinstance(exc, RateLimited)
            and exc.retry_after is not None
            and exc.retry_after > self.policy.max_retry_after
        )
        return not too_long and is_retryable(exc)

    async def call(self, method: str, make: Callable[[], Awaitable[T]], *, retry: bool) -> T:
        """Run ``make()`` (a fresh awaitable per attempt, already translated into this
        library's errors) under the breaker, retrying reads, resyncing the clock once."""
        try:
            return await self._attempts(method, make, retry=retry)
        except InvalidNonce:
            await self.resync_clock()
            return await self._attempts(method, make, retry=retry)

    async def _attempts(self, method: str, make: Callable[[], Awaitable[T]], *, retry: bool) -> T:
        policy = self.policy
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
                try:
                    return await make()
                except ExchangeError as exc:
                    self.observe(exc)
                    raise
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def resync_clock(self) -> None:
        """Measure the offset to the venue's clock (ccxt's ``load_time_difference``)."""
        if not getattr(self._client, "has", {}).get("fetchTime"):
            return
        with translate_errors(self._venue, "resync_clock"):
            offset = await self._client.load_time_difference()
        log.warning("clock.resynced", venue=self._venue, offset_ms=offset)
