"""``Staleness``: the watchdog of one supervised stream.

After ``stale_after`` seconds without data the stream is ``STALE`` and a REST read decides:
nothing newer there is a quiet market (a ``QUIET`` event, back to ``LIVE``); newer data
there is a dead feed, whose connection is dropped and, if that did not unblock it, whose
session is cancelled, so that the stream's loop reconnects. The probe is a repair read (the
lowest priority of the venue's budget), bounded by ``request_timeout``.
"""

from __future__ import annotations

import asyncio
import time
from typing import TypeVar

from core._errors import ExchangeClosed, ExchangeError
from core._feed import Feed
from core._hub import StreamHub
from core._logging import get_logger
from core._settings import Settings
from core._streams import EventKind, StreamState

T = TypeVar("T")
log = get_logger(__name__)


class Staleness(StreamHub[T]):
    """A stream's silence judged: quiet market or dead feed. The stream's loop
    (:class:`core.SupervisedStream`) sets what it reads here."""

    feed: Feed[T]
    settings: Settings
    stale_after: float | None
    #: when the stream last showed life (monotonic): data, a poll, a verdict
    _activity: float
    #: when the current session started (epoch ms): what the probe compares with
    _session_started_ms: int
    _session_task: asyncio.Task[None] | None

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
