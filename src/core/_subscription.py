"""One subscriber of a supervised stream: its bounded queue, and the handle users hold.

Each iterator and each ``async def`` callback has its own queue, so a slow consumer never
stalls the stream nor the other subscribers (a plain function callback is called in line
by the stream: it runs on the event loop either way). **Overflow policy**: when a queue is
full, its *oldest* items are dropped, the drop is counted (``stats.dropped``) and reported
as an ``OVERFLOW`` event naming how many (and, for records with ids, which). State
channels (ticker, order book, balance) default to a queue of one: a slow reader always gets
the newest state, never a backlog of old ones.
"""

from __future__ import annotations

import asyncio
import inspect
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from core._logging import get_logger
from core._streams import (
    EventKind,
    Latency,
    StreamEvent,
    StreamKey,
    StreamState,
    StreamStats,
)

T = TypeVar("T")
log = get_logger(__name__)

Callback = Callable[[T], Awaitable[None] | None]
EventListener = Callable[[StreamEvent], None]


class BoundStream(Protocol[T]):
    """What a :class:`Subscription` needs of the supervised stream it is bound to
    (:class:`core.SupervisedStream` is one; the supervisor sits above this module)."""

    @property
    def state(self) -> StreamState: ...

    @property
    def error(self) -> BaseException | None: ...

    def stats_for(self, sub: Subscriber[T]) -> StreamStats: ...

    async def detach(self, sub: Subscriber[T]) -> None: ...

    def detach_soon(self, sub: Subscriber[T]) -> None: ...


def _stamp(item: Any) -> int | None:
    stamp = getattr(item, "timestamp", None)
    return stamp if isinstance(stamp, int) else None


class Subscriber(Generic[T]):
    """The stream-side half: a bounded queue the stream pushes into."""

    __slots__ = (
        "_ended",
        "_error",
        "_items",
        "_listeners",
        "_wake",
        "callback_errors",
        "delivered",
        "dropped",
        "inline",
        "latency",
        "maxsize",
    )

    def __init__(self, maxsize: int, listeners: Sequence[EventListener] = ()) -> None:
        if maxsize < 1:
            raise ValueError("queue_size: must be at least 1")
        self.maxsize = maxsize
        self._items: deque[T] = deque()
        self._wake = asyncio.Event()
        self._ended = False
        self._error: BaseException | None = None
        self._listeners = list(listeners)
        self.delivered = 0
        self.dropped = 0
        self.callback_errors = 0
        self.latency = Latency()
        #: a plain (not async) callback, called by the stream itself: no queue, no task
        self.inline: Callable[[T], object] | None = None

    @property
    def queued(self) -> int:
        return len(self._items)

    def push(self, items: Sequence[T], key: StreamKey, state: StreamState) -> None:
        inline = self.inline
        if inline is not None:
            self._call(inline, items, key)
            return
        queue = self._items
        queue.extend(items)
        over = len(queue) - self.maxsize
        if over > 0:
            first = queue.popleft()
            for _ in range(over - 1):
                queue.popleft()
            self.dropped += over
            if self._listeners:
                # for records with ids, name the range (the last dropped is just before the
                # oldest still queued)
                last = getattr(queue[0], "id", None) if queue else None
                self.notify(
                    StreamEvent(
                        EventKind.OVERFLOW,
                        key,
                        state,
                        reason=f"queue full ({self.maxsize}): dropped {over} oldest"
                        + (
                            f" from id {getattr(first, 'id', None)} (before {last})" if last else ""
                        ),
                        count=over,
                    )
                )
        self._wake.set()

    def _call(self, callback: Callable[[T], object], items: Sequence[T], key: StreamKey) -> None:
        for item in items:
            try:
                result = callback(item)
            except Exception:
                self.callback_errors += 1
                log.exception("subscription.callback_failed", stream=str(key))
                continue
            if inspect.isawaitable(result):
                # a plain function that returned a coroutine: it cannot be awaited in line
                if inspect.iscoroutine(result):
                    result.close()
                self.callback_errors += 1
                log.error("subscription.callback_returned_awaitable", stream=str(key),
                          hint="pass an async def callback")  # fmt: skip
        self.delivered += len(items)
        stamp = _stamp(items[-1]) if items else None
        if stamp is not None:
            self.latency.add(time.time() * 1000 - stamp)

    def notify(self, event: StreamEvent) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("stream.listener_failed", stream=str(event.key))

    def add_listener(self, listener: EventListener) -> None:
        self._listeners.append(listener)

    def end(self, error: BaseException | None = None) -> None:
        """No more items: the reader drains the queue, then stops (or raises ``error``)."""
        self._ended = True
        self._error = error
        self._wake.set()

    async def _ready(self) -> deque[T]:
        """The queue once it holds something; ``StopAsyncIteration`` (or the stream's
        error) once ended and drained."""
        items = self._items
        while not items:
            if self._ended:
                if self._error is not None:
                    raise self._error
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()
        return items

    async def get(self) -> T:
        """The next item; ``StopAsyncIteration`` (or the stream's error) once ended."""
        item = (await self._ready()).popleft()
        self.delivered += 1
        stamp = _stamp(item)
        if stamp is not None:
            self.latency.add(time.time() * 1000 - stamp)
        return item

    async def get_batch(self) -> list[T]:
        """Everything queued (at least one item): the callback dispatcher's read."""
        items = await self._ready()
        batch = list(items)
        items.clear()
        self.delivered += len(batch)
        now = time.time() * 1000
        for item in batch[-8:]:  # the newest few: a bounded cost per batch
            stamp = _stamp(item)
            if stamp is not None:
                self.latency.add(now - stamp)
        return batch


class Subscription(Generic[T]):
    """A user's handle on a supervised stream: ``state``, ``stats``, ``cancel()``.

    Returned by ``subscribe_*``: an ``async def`` callback is awaited for each item by a task
    of its own, behind its own queue; a plain function is called in line by the stream (it
    runs on the event loop either way, so it must be quick)
    and by ``stream_*`` (then it is also an async iterator: ``async for x in sub``). Leaving
    the ``async for`` early, or dropping the handle, releases it; ``cancel()`` does it at
    once. When the adapter closes, iteration ends; when the stream fails (a bad symbol,
    refused credentials), iteration raises the error and ``error`` holds it.
    """

    def __init__(
        self,
        key: StreamKey,
        start: Callable[[Subscription[T]], Awaitable[None]],
        *,
        queue_size: int,
        callback: Callback[T] | None = None,
        on_event: EventListener | None = None,
    ) -> None:
        self.key = key
        self._start_fn = start
        self._stream: BoundStream[T] | None = None
        self._sub: Subscriber[T] = Subscriber(queue_size, [on_event] if on_event else [])
        self._callback = callback
        self._task: asyncio.Task[None] | None = None
        self._started = False
        self._cancelled = False
        self._finalizer: weakref.finalize[Any, Any] | None = None

    # ------------------------------------------------------------------ wiring
    @property
    def subscriber(self) -> Subscriber[T]:
        return self._sub

    def bind(self, stream: BoundStream[T]) -> None:
        """Called by the supervisor once the subscriber is attached to ``stream``."""
        self._stream = stream
        callback = self._callback
        if callback is not None and not _is_async(callback):
            # a plain function runs on the event loop whichever task calls it: the stream
            # calls it in line, in order, sparing a queue and a task switch per batch
            self._sub.inline = callback
        elif callback is not None:
            self._task = asyncio.get_running_loop().create_task(
                self._dispatch(callback), name=f"subscription:{self.key}"
            )
        else:
            # an iterator dropped by its user (``break`` out of ``async for``) detaches
            self._finalizer = weakref.finalize(self, _detach_later, stream, self._sub)

    async def start(self) -> Subscription[T]:
        if not self._started:
            self._started = True
            await self._start_fn(self)
        return self

    # ------------------------------------------------------------------ what users see
    @property
    def state(self) -> StreamState:
        if self._stream is None:
            return StreamState.CLOSED if self._cancelled else StreamState.CONNECTING
        if self._cancelled:
            return StreamState.CLOSED
        return self._stream.state

    @property
    def error(self) -> BaseException | None:
        return self._stream.error if self._stream is not None else None

    @property
    def stats(self) -> StreamStats:
        if self._stream is None:
            raise RuntimeError("stats: the subscription has not started")
        return self._stream.stats_for(self._sub)

    def add_listener(self, listener: EventListener) -> None:
        """Call ``listener(event)`` on state changes, gaps and overflows (synchronously)."""
        self._sub.add_listener(listener)

    async def cancel(self) -> None:
        """Stop receiving; the stream itself stops when its last subscriber leaves."""
        if self._cancelled:
            return
        self._cancelled = True
        self._sub.end()
        if self._finalizer is not None:
            self._finalizer.detach()
        if self._stream is not None:
            await self._stream.detach(self._sub)
        task = self._task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    aclose = cancel

    async def __aenter__(self) -> Subscription[T]:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.cancel()

    def __aiter__(self) -> Subscription[T]:
        if self._callback is not None:
            raise TypeError("a callback subscription is not iterable")
        return self

    async def __anext__(self) -> T:
        if not self._started:
            await self.start()
        return await self._sub.get()

    def __repr__(self) -> str:
        return f"<Subscription {self.key} state={self.state.value}>"

    # ------------------------------------------------------------------ callbacks
    async def _dispatch(self, callback: Callback[T]) -> None:
        sub = self._sub
        is_async = inspect.iscoroutinefunction(callback)
        while True:
            try:
                batch = await sub.get_batch()
            except StopAsyncIteration:
                return
            except Exception as exc:  # the stream failed: listeners were told
                log.info("subscription.ended", stream=str(self.key), error=type(exc).__name__)
                return
            for item in batch:
                try:
                    if is_async:
                        await callback(item)  # type: ignore[misc]
                    else:
                        result = callback(item)
                        if inspect.isawaitable(result):
                            await result
                except Exception:
                    sub.callback_errors += 1
                    log.exception("subscription.callback_failed", stream=str(self.key))


def _is_async(callback: Callable[..., Any]) -> bool:
    call = getattr(callback, "__call__", None)  # noqa: B004 - async callable objects too
    return inspect.iscoroutinefunction(callback) or inspect.iscoroutinefunction(call)


def _detach_later(stream: BoundStream[Any], sub: Subscriber[Any]) -> None:
    sub.end()
    stream.detach_soon(sub)
