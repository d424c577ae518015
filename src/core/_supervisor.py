"""The connection supervisor: streams that stay alive, and die cleanly.

One :class:`SupervisedStream` per (channel, symbol[, timeframe]) of an adapter, shared by
all its subscribers. It owns the loop ccxt.pro leaves to its callers (see the field notes):

* **Reconnection**: after any error retrying can fix, the stream waits a capped, jittered
  exponential backoff (at least the venue's ``Retry-After``; until a ban ends), then
  resubscribes. The backoff resets once a session has stayed up ``stream_stable_after`` s.
  Errors retrying cannot fix (a bad symbol, refused credentials, an unsupported channel)
  end the stream as ``FAILED`` with the error.
* **Staleness**: a watchdog per stream; after ``stale_after`` s without data the stream is
  ``STALE`` and a REST read decides: nothing newer there is a quiet market (``QUIET``
  event, back to ``LIVE``); newer data there is a dead feed, whose connection is dropped
  (then, if that did not unblock it, its session is cancelled) and reconnected.
* **Order books** are only ever passed on as ccxt resolves them in sequence; a sequence gap
  makes ccxt drop the book, and the stream resubscribes, which re-snapshots it.
* **Events** (trades, fills, orders): after a reconnect the outage is read back over REST;
  holes in sequential trade ids (a burst that overflowed a cache) are repaired the same
  way, in a task of their own (:mod:`core._repair`) while the stream reads on; duplicates
  are dropped by id; whatever could not be repaired is a ``GAP`` event naming exactly
  what is missing. A repair that fails (any error, refused credentials included) is a
  ``GAP``, never the end of the stream; every repair read is the lowest priority of the
  venue's request budget.
* **Fallback**: a channel the venue cannot stream is polled over REST (``POLLING``); so is
  one whose WebSocket failed ``stream_fallback_after`` times in a row, until it recovers.
* **Shutdown**: :meth:`Supervisor.close` cancels every task of every stream and waits for
  them; a closed stream never reconnects.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext, suppress
from typing import Any, Generic, TypeVar

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
from core._streams import (
    EventKind,
    Gap,
    Health,
    StreamCounters,
    StreamEvent,
    StreamHealth,
    StreamKey,
    StreamState,
    StreamStats,
)
from core._subscription import EventListener, Subscriber, Subscription

T = TypeVar("T")
log = get_logger(__name__)

#: errors that retrying cannot fix: the stream fails with them
FATAL = (AuthenticationError, BadRequest, NotSupported, ConfigurationError)


class StreamStale(TransientError):
    """A stream that sent nothing within its budget while the venue had news."""


class SupervisedStream(Generic[T]):
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
        self.key = key
        self.venue = venue
        self.feed = feed
        self.policy = policy
        self.settings = settings
        self.stale_after = stale_after
        self.state = StreamState.CONNECTING
        self.error: BaseException | None = None
        self.counters = StreamCounters()
        self._subs: list[Subscriber[T]] = []
        self._listeners = listeners
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
        self._closing = False
        self._closed = asyncio.Event()
        self._detaching: set[asyncio.Task[None]] = set()

    def is_closing(self) -> bool:
        return self._closing

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

    async def _watchdog(self) -> None:
        strikes = 0
        seen = -1
        while not self.is_closing():
            budget = self.stale_after
            if not budget:
                return
            idle = time.monotonic() - self._activity
            if idle < budget:
                await asyncio.sleep(budget - idle)
                continue
            if self.state not in (
                StreamState.LIVE,
                StreamState.CONNECTING,
                StreamState.STALE,
            ):
                # reconnecting or polling: not silence to judge
                self._activity = time.monotonic()
                continue
            if self.counters.messages != seen:
                seen, strikes = self.counters.messages, 0
            previous = self.state
            self._set_state(StreamState.STALE, f"no data for {budget} s")
            dead = await self._probe()
            if self.is_closing():
                return
            self._activity = time.monotonic()
            if not dead:
                self._set_state(previous if previous is not StreamState.STALE else StreamState.LIVE)
                self._emit(EventKind.QUIET, f"no data for {budget} s; the venue has nothing newer")
                continue
            strikes += 1
            reason = f"no data for {budget} s while the venue had news"
            if strikes == 1 and self.feed.reconnect(reason):
                continue
            session = self._session_task
            if session is not None and not session.done():
                session.cancel()

    async def _probe(self) -> bool:
        """Dead (True) or quiet (False): a REST read compared with what was streamed."""
        try:
            timeout = self.settings.request_timeout
            async with asyncio.timeout(timeout):
                with self.feed.repairing(time.monotonic() + timeout):
                    rest = await self.feed.poll()
        except ExchangeClosed:
            return False  # shutting down: nothing to recover
        except (ExchangeError, TimeoutError) as exc:
            log.warning("stream.probe_failed", venue=self.venue, stream=str(self.key),
                        error=type(exc).__name__)  # fmt: skip
            return True  # silent stream and failing REST: reconnecting costs little
        return self.policy.behind(rest, self._session_started_ms)

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


class Supervisor:
    """The supervised streams of one adapter."""

    def __init__(
        self,
        venue: str,
        account: str | None,
        settings: Settings,
        make_feed: Callable[[StreamKey], Feed[Any]],
        make_policy: Callable[[StreamKey, Feed[Any]], Policy[Any]],
    ) -> None:
        self.venue = venue
        self.account = account
        self.settings = settings
        self._make_feed = make_feed
        self._make_policy = make_policy
        self._streams: dict[StreamKey, SupervisedStream[Any]] = {}
        self._listeners: list[EventListener] = []
        self._closing: dict[StreamKey, SupervisedStream[Any]] = {}
        self._closed = False

    def add_listener(self, listener: EventListener) -> None:
        """Call ``listener(event)`` for every event of every stream (e.g. metrics)."""
        self._listeners.append(listener)

    def default_stale_after(self, key: StreamKey) -> float | None:
        value = getattr(self.settings, f"stale_after_{key.channel.value}", 0.0)
        return float(value) or None

    async def attach(self, subscription: Subscription[Any], stale_after: float | None) -> None:
        if self._closed:
            raise ExchangeClosed("subscribe: the adapter is closed", venue=self.venue)
        key = subscription.key
        stream = self._streams.get(key)
        if stream is not None and stream.state.final and not stream.is_closing():
            await stream.close()  # a failed stream: its tasks go before a new one starts
        closing = self._closing.get(key)
        if closing is not None:  # the last subscriber just left: let its un-watch finish
            await closing.wait_closed()
            stream = self._streams.get(key)
        if stream is None or stream.is_closing() or stream.state.final:
            feed = self._make_feed(key)
            stream = SupervisedStream(
                key,
                feed,
                self._make_policy(key, feed),
                self.settings,
                venue=self.venue,
                stale_after=self.default_stale_after(key),
                listeners=self._listeners,
                on_empty=self._forget,
            )
            self._streams[key] = stream
            stream.attach(subscription, stale_after)
            stream.start()
        else:
            stream.attach(subscription, stale_after)

    def _forget(self, stream: SupervisedStream[Any]) -> None:
        if self._streams.get(stream.key) is stream:
            del self._streams[stream.key]
            self._closing[stream.key] = stream

            def done(_: asyncio.Future[None]) -> None:
                if self._closing.get(stream.key) is stream:
                    del self._closing[stream.key]

            asyncio.ensure_future(stream.wait_closed()).add_done_callback(done)

    def streams(self) -> list[SupervisedStream[Any]]:
        return list(self._streams.values())

    def health(self) -> Health:
        return Health(self.venue, self.account, tuple(s.health() for s in self._streams.values()))

    async def close(self, grace: float = 5.0) -> None:
        """Close every stream. The calling task is spared: a callback may close its own
        adapter."""
        self._closed = True
        streams = [*self._streams.values(), *self._closing.values()]
        self._streams.clear()
        spare = asyncio.current_task()
        for stream in streams:
            await stream.close(grace=grace, spare=spare)
