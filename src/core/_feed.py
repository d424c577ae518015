"""``Feed``: one channel of one venue, as the supervisor sees it.

The supervisor (venue agnostic) drives a feed; the adapter builds it (ccxt-specific). A
feed turns the venue's data into records and its errors into this library's; it never
retries, reconnects by itself or keeps state beyond what the venue client keeps.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Generic, TypeVar

from core._streams import StreamKey

T = TypeVar("T")


class Feed(ABC, Generic[T]):
    key: StreamKey
    #: the venue streams this channel (else the supervisor polls ``poll()``)
    can_stream: bool = True
    #: trade ids are consecutive integers per symbol, so a hole is visible (binance)
    sequential_ids: bool = False
    #: incremented when records were lost where ids cannot show it (a cache overflow)
    overflowed: int = 0

    @abstractmethod
    async def watch(self) -> Sequence[T]:
        """The next batch from the stream (subscribing first when needed)."""

    @abstractmethod
    async def poll(self) -> Sequence[T]:
        """A REST read: the current state, or the most recent events (oldest first)."""

    async def since(self, last: T) -> Sequence[T] | None:
        """Events after ``last`` over REST, oldest first (one page); ``None``: the venue
        cannot say (the caller reports a gap instead)."""
        return None

    async def page(self, first_id: int, count: int) -> Sequence[T] | None:
        """Up to ``count`` events from id ``first_id`` on, oldest first, in one REST
        request (venues with ``sequential_ids``: how a hole is repaired); ``None``: the
        venue cannot look events up by id. A page starting after ``first_id`` means the
        venue no longer has the ones before."""
        return None

    async def refresh(self, item: T) -> T | None:
        """The current state of one record (an order), or ``None``."""
        return None

    def repairing(self, deadline: float | None = None) -> AbstractContextManager[None]:
        """Reads made inside are repairs (backfill, probes, resync reads): the lowest
        priority of the venue's request budget; none waits for the budget past
        ``deadline`` (``time.monotonic()``)."""
        return nullcontext()

    @abstractmethod
    def reconnect(self, reason: str) -> bool:
        """Drop the connection(s) carrying this stream, as a network failure would: the
        pending ``watch()`` fails and the next one reconnects and resubscribes. Returns
        whether a connection was found."""

    async def connected(self) -> bool:
        """Wait until the connection carrying a pending ``watch()`` is open (its
        subscription sent); ``False`` when the feed cannot tell."""
        return False

    async def unwatch(self) -> None:
        """Tell the venue this stream is no longer wanted (best effort)."""
        return
