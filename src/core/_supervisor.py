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
from collections.abc import Callable
from typing import Any

from core._errors import ExchangeClosed
from core._feed import Feed
from core._policies import Policy
from core._settings import Settings
from core._stream import SupervisedStream
from core._streams import Health, StreamKey
from core._subscription import EventListener, Subscription


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
