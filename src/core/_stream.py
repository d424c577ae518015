"""``SupervisedStream``: the connection side of one supervised stream, the loop ccxt.pro
leaves to its callers: a session that watches and hands each batch to the stream's policy,
reconnection with capped jittered backoff (at least the venue's ``Retry-After``, until a
ban ends), the read-back after a reconnect, REST polling when the venue cannot stream or
the WebSocket keeps failing, and a shutdown that cancels every task. What subscribers are
told is :class:`core._hub.StreamHub`'s; the watchdog is :class:`core._staleness.Staleness`;
:class:`core.Supervisor` holds one such stream per key (see its module for the whole
picture).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext, suppress
from typing import Any, TypeVar

from core._errors import (
    AuthenticationError,
    BadRequest,
    Banned,
    ConfigurationError,
    ExchangeClosed,
    ExchangeError,
    NotSupported,
    RateLimited,
    StreamOutOfSync,
    TransientError,
)
from core._feed import Feed
from core._logging import get_logger
from core._policies import EventPolicy, Policy
from core._repair import Repairs
from core._settings import Settings
from core._staleness import Staleness
from core._streams import (
    Gap,
    StreamKey,
    StreamState,
)
from core._subscription import EventListener, Subscriber, Subscription

T = TypeVar("T")
log = get_logger(__name__)

#: errors that retrying cannot fix: the stream fails with them
FATAL = (AuthenticationError, BadRequest, NotSupported, ConfigurationError)


class StreamStale(TransientError):
    """A stream that sent nothing within its budget while the venue had news."""


class SupervisedStream(Staleness[T]):
    def __init__(
        self,
        key: StreamKey,
        feed: Feed[T],
        policy: Policy[T],
        settings: Settings,
        *,
        venue: str,
        stale_after: float | None,
        listeners: Sequence[EventListener] = (),
        on_empty: Callable[[SupervisedStream[Any]], None] | None = None,
    ) -> None:
        super().__init__(key, policy, venue=venue, listeners=listeners)
        self.feed = feed
        self.settings = settings
        self.stale_after = stale_after
        self._on_empty = on_empty
        self._dispatchers: set[asyncio.Task[None]] = set()
        self._run_task: asyncio.Task[None] | None = None
        self._session_task: asyncio.Task[None] | None = None
        self._watchdog_task: asyncio.Task[None] | None = None
        self._activity = time.monotonic()
        self._session_started_ms = 0
        self._repairs: Repairs[T] | None = None
        if isinstance(policy, EventPolicy) and policy.sequential:
            self._repairs = Repairs(key, feed, policy, timeout=settings.stream_repair_timeout,
                                    publish=self._publish, report=self._gap)  # fmt: skip
        self._closed = asyncio.Event()
        self._detaching: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ subscribers
    def start(self) -> None:
        self.policy.origin_ms = int(time.time() * 1000)
        loop = asyncio.get_running_loop()
        self._run_task = loop.create_task(self._run(), name=f"stream:{self.key}")
        if self.stale_after and self.feed.can_stream:
            self._watchdog_task = loop.create_task(
                self._watchdog(), name=f"stream-watchdog:{self.key}"
            )

    def attach(self, subscription: Subscription[T], stale_after: float | None) -> None:
        self._subs.append(subscription.subscriber)
        if stale_after is not None and (self.stale_after is None or stale_after < self.stale_after):
            self.stale_after = stale_after
            if self._watchdog_task is None and self._run_task is not None and self.feed.can_stream:
                self._watchdog_task = asyncio.get_running_loop().create_task(
                    self._watchdog(), name=f"stream-watchdog:{self.key}"
                )
        subscription.bind(self)
        task = subscription._task
        if task is not None:
            self._dispatchers.add(task)
            task.add_done_callback(self._dispatchers.discard)

    async def detach(self, sub: Subscriber[T]) -> None:
        with suppress(ValueError):
            self._subs.remove(sub)
        if not self._subs and not self.is_closing():
            if self._on_empty is not None:
                self._on_empty(self)
            await self.close(unwatch=True)

    def detach_soon(self, sub: Subscriber[T]) -> None:
        """From a finalizer (no await): detach on the loop, if it still runs."""
        task = self._run_task
        if task is None or task.done():
            return
        loop = task.get_loop()
        if loop.is_closed():
            return

        def later() -> None:
            if not self.is_closing():
                task = loop.create_task(self.detach(sub), name=f"stream-detach:{self.key}")
                self._detaching.add(task)
                task.add_done_callback(self._detaching.discard)

        loop.call_soon_threadsafe(later)

    async def _take(self, batch: Sequence[T]) -> None:
        c = self.counters
        c.messages += 1
        self._activity = c.last_message_at = time.monotonic()
        if self.state is not StreamState.LIVE and self.state is not StreamState.POLLING:
            self._set_state(StreamState.LIVE)
        items, holes = self.policy.accept(batch)
        repairs = self._repairs
        if repairs is not None and (holes or repairs.pending):
            repairs.submit(items, holes)
        else:
            self._publish(items)
        feed = self.feed
        if feed.overflowed and not feed.sequential_ids:
            feed.overflowed = 0
            until = getattr(self.policy.last, "timestamp", None)
            reason = "ccxt's cache overflowed between two reads: records were lost"
            self._gap(Gap(self.key, False, until=until, reason=reason))

    def _deliver(self, items: list[T]) -> None:
        """Records read back over REST: behind any open hole, else passed on now."""
        repairs = self._repairs
        if repairs is not None and repairs.pending:
            repairs.submit(items, ())
        else:
            self._publish(items)

    async def _recover(self) -> None:
        """After a reconnect: read back what the outage hid. A failure is reported (a
        ``GAP``), never the end of the stream: the stream's own errors come from its
        watch."""
        repairs = self._repairs
        if repairs is not None and repairs.can_recover():
            self.counters.backfilled += await repairs.recover()
            return
        timeout = self.settings.stream_repair_timeout
        try:
            async with asyncio.timeout(timeout):
                with self.feed.repairing(time.monotonic() + timeout):
                    items, gap = await self.policy.recover(self.feed)
        except (ExchangeError, TimeoutError) as exc:  # any: refused credentials too
            since = getattr(self.policy.last, "timestamp", None)
            reason = f"backfill failed: {type(exc).__name__}: {exc}"
            items, gap = [], Gap(self.key, False, since=since, reason=reason)
        if gap is not None:
            self._gap(gap)
        if items:
            self.counters.backfilled += len(items)
            self._deliver(items)

    # ------------------------------------------------------------------ the loop
    async def _run(self) -> None:
        settings = self.settings
        if not self.feed.can_stream:
            await self._poll(until=None, reason="the venue cannot stream this channel")
            return  # closed, or failed
        attempt = 0
        sessions = 0
        while not self.is_closing():
            started = time.monotonic()
            try:
                self._session_task = asyncio.get_running_loop().create_task(
                    self._session(recover=sessions > 0), name=f"stream-session:{self.key}"
                )
                sessions += 1
                await self._session_task
                error: BaseException = StreamStale("the stream ended")
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if self.is_closing() or (task is not None and task.cancelling()):
                    raise
                error = StreamStale(f"no data for {self.stale_after} s while the venue had news")
            except ExchangeClosed:
                return
            except FATAL as exc:
                self._fail(exc)
                return
            except ExchangeError as exc:
                error = exc
            except Exception as exc:  # a bug or an unexpected shape in the venue client
                log.exception("stream.unexpected_error", venue=self.venue, stream=str(self.key))
                error = exc
            if self.is_closing():
                return
            c = self.counters
            c.last_error = f"{type(error).__name__}: {error}"
            if time.monotonic() - started >= settings.stream_stable_after:
                attempt = 0
            attempt += 1
            if isinstance(error, StreamOutOfSync):
                c.resyncs += 1
            else:
                c.reconnects += 1
            self._set_state(StreamState.RECONNECTING, c.last_error)
            delay = self._backoff(attempt, error)
            if attempt > settings.stream_fallback_after:
                await self._poll(until=time.monotonic() + delay, reason="the stream keeps failing")
                if self.state is StreamState.FAILED:
                    return
            elif delay > 0:
                await asyncio.sleep(delay)

    def _backoff(self, attempt: int, error: BaseException) -> float:
        s = self.settings
        if isinstance(error, StreamOutOfSync) and attempt == 1:
            return 0.0  # resubscribe (and re-snapshot) at once
        ceiling = min(s.stream_backoff_max, s.stream_backoff_initial * 2 ** (attempt - 1))
        delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not crypto
        if isinstance(error, Banned) and error.until is not None:
            delay = max(delay, error.until - time.time())
        elif isinstance(error, RateLimited) and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        return delay

    async def _session(self, *, recover: bool) -> None:
        feed = self.feed
        self._activity = time.monotonic()
        self._session_started_ms = int(time.time() * 1000)
        first = asyncio.ensure_future(feed.watch())  # subscribes
        try:
            # live once connected and subscribed: a quiet market sends nothing to prove it
            with suppress(TimeoutError):  # else the pending watch() will say what failed
                async with asyncio.timeout(self.settings.request_timeout):
                    if await feed.connected() and not first.done():
                        self._set_state(StreamState.LIVE)
            if recover:
                await self._recover()
            batch = await first
        finally:
            if not first.done():
                first.cancel()
            with suppress(BaseException):  # also read a watch that failed while recovering
                await first
        await self._take(batch)
        while True:
            await self._take(await feed.watch())

    async def _poll(self, *, until: float | None, reason: str) -> None:
        """REST polling until ``until`` (monotonic), or for ever."""
        self._set_state(StreamState.POLLING, reason)
        interval = self.settings.stream_poll_interval
        # polls standing in for a failing WebSocket are upkeep, as repairs are: they yield
        # the venue's budget first; a channel only ever polled reads at the normal priority
        while not self.is_closing() and (until is None or time.monotonic() < until):
            try:
                with self.feed.repairing() if until is not None else nullcontext():
                    items, holes = await self.policy.poll(self.feed)
            except FATAL as exc:
                self._fail(exc)
                return
            except ExchangeError as exc:
                self.counters.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("stream.poll_failed", venue=self.venue, stream=str(self.key),
                            error=self.counters.last_error)  # fmt: skip
            else:
                c = self.counters
                c.polls += 1
                self._activity = time.monotonic()
                if items or holes:
                    c.messages += 1
                    c.last_message_at = self._activity
                    repairs = self._repairs
                    if repairs is not None and (holes or repairs.pending):
                        repairs.submit(items, holes)
                    else:
                        self._publish(items)
            wait = interval if until is None else min(interval, until - time.monotonic())
            if wait > 0:
                await asyncio.sleep(wait)

    def _fail(self, exc: BaseException) -> None:
        self.error = exc
        self.counters.last_error = f"{type(exc).__name__}: {exc}"
        self._set_state(StreamState.FAILED, self.counters.last_error)
        self._flush_repairs(f"the stream failed: {self.counters.last_error}")
        for sub in self._subs:
            sub.end(exc)
        watchdog = self._watchdog_task
        if watchdog is not None and watchdog is not asyncio.current_task():
            watchdog.cancel()

    # ------------------------------------------------------------------ shutdown
    def _tasks(self) -> Iterator[asyncio.Task[Any]]:
        repair = self._repairs.task if self._repairs is not None else None
        for task in (self._run_task, self._session_task, self._watchdog_task, repair):
            if task is not None:
                yield task
        yield from self._dispatchers

    def _flush_repairs(self, reason: str) -> None:
        """The stream stops: open holes are reported, records held behind them passed on."""
        repairs = self._repairs
        if repairs is None:
            return
        task = repairs.task
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
        repairs.flush(reason)

    async def wait_closed(self) -> None:
        await self._closed.wait()

    async def close(
        self,
        *,
        unwatch: bool = False,
        grace: float = 5.0,
        spare: asyncio.Task[Any] | None = None,
    ) -> None:
        """Stop for good: cancel every task (but ``spare``: the task that asked, when it is
        a subscriber's callback), end the subscribers, optionally un-watch."""
        if self.is_closing():
            await self._closed.wait()
            return
        self._closing = True
        try:
            await self._shut(unwatch, grace, spare or asyncio.current_task())
        finally:
            self._closed.set()

    async def _shut(self, unwatch: bool, grace: float, spare: asyncio.Task[Any] | None) -> None:
        tasks = [t for t in self._tasks() if t is not spare and not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace)
        if self.state is not StreamState.FAILED:
            self._set_state(StreamState.CLOSED)
        self._flush_repairs("the stream closed before the repair")
        for sub in self._subs:
            sub.end()
        if unwatch and self.feed.can_stream:
            try:
                async with asyncio.timeout(grace):
                    await self.feed.unwatch()
            except (ExchangeError, TimeoutError) as exc:
                log.debug("stream.unwatch_failed", stream=str(self.key), error=type(exc).__name__)
