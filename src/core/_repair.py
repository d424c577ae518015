"""Holes in a stream of consecutive ids (binance trades), repaired over REST.

A supervised stream whose records carry consecutive ids sees a hole as soon as a record
arrives after one it has not seen (a burst that overflowed ccxt's cache, an outage). Its
:class:`Repairs` then:

* **keeps reading**: the repair runs in a task of its own, so the stream's session goes on
  draining ccxt's cache (a repair that blocked the session would let the cache overflow
  again while it waits for REST, and one hole would breed the next);
* **keeps order**: the records after the oldest open hole are held until it is settled,
  then passed on with what was recovered, sorted by id;
* **spends little**: one request per page of up to :data:`PAGE` ids, the page chosen to
  cover as many open holes as fit (a venue that cannot look records up by id: its recent
  page, which covers a hole among its newest records); every read is a repair
  (``feed.repairing()``: the lowest priority of the venue's request budget, which yields
  first, and never waits for it past the hole's deadline);
* **gives up in time**: each hole has ``stream_repair_timeout`` seconds from when it was
  seen, all its requests and retries included; what is still missing then, or what the
  venue does not serve (its history starts later, the request failed for good), is a
  ``GAP`` event, never retried;
* **reports exactly**: a settled hole is reported as contiguous ranges, each wholly
  recovered (``Gap.repaired``, ``recovered``) or wholly missing (``missing``), so the
  unrepaired ``GAP`` events name exactly the ids never delivered.

After a reconnect, :meth:`Repairs.recover` reads the outage back the cheapest way: the
venue's recent page first (one request covers a short outage), then by id for whatever is
older than that page.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Generic, TypeVar

from core._errors import ExchangeError
from core._feed import Feed
from core._logging import get_logger
from core._policies import EventPolicy, Hole
from core._streams import Gap, StreamKey

T = TypeVar("T")
log = get_logger(__name__)

#: ids per request (binance serves at most 1 000 trades per lookup)
PAGE = 1000

NOT_SERVED = "the venue did not serve them (not in its REST history)"


def seq(item: Any) -> int:
    """The record's consecutive id (-1 when it has none)."""
    item_id = getattr(item, "id", None)
    return int(item_id) if isinstance(item_id, str) and item_id.isdigit() else -1


@dataclass
class _Hole(Generic[T]):
    first: int
    last: int
    deadline: float  # time.monotonic()
    cursor: int = 0  # the next id to ask the venue for
    found: dict[int, T] = field(default_factory=dict)
    lost: list[tuple[int, int, str]] = field(default_factory=list)  # given up, and why
    settled: bool = False

    def __post_init__(self) -> None:
        self.cursor = self.first

    def covers(self, n: int) -> bool:
        return self.first <= n <= self.last

    def give_up(self, reason: str) -> None:
        """What is still to be asked for is lost, for ``reason``."""
        if self.cursor <= self.last:
            self.lost.append((self.cursor, self.last, reason))
        self.cursor = self.last + 1
        self.settled = True

    def advance(self, reached: int) -> bool:
        """The venue answered for every id up to ``reached``: those not found it lacks.
        Returns whether nothing is left to ask for."""
        upto = min(reached, self.last)
        if upto >= self.cursor:
            self.lost.append((self.cursor, upto, NOT_SERVED))
            self.cursor = upto + 1
        return self.cursor > self.last

    def ranges(self) -> list[tuple[int, int, bool, str]]:
        """(first, last, recovered, reason) runs covering the hole, in order."""
        out: list[tuple[int, int, bool, str]] = []
        at = self.first
        for n in sorted(self.found):
            if out and out[-1][2] and out[-1][1] == n - 1:
                out[-1] = (out[-1][0], n, True, "")
                at = n + 1
                continue
            if n > at:
                out.append((at, n - 1, False, self._why(at)))
            out.append((n, n, True, ""))
            at = n + 1
        if at <= self.last:
            out.append((at, self.last, False, self._why(at)))
        return out

    def _why(self, n: int) -> str:
        for first, last, reason in self.lost:
            if first <= n <= last:
                return reason
        return NOT_SERVED


class Repairs(Generic[T]):
    """The holes of one supervised stream of consecutive ids, and the records held behind
    them (see the module's docstring)."""

    def __init__(
        self,
        key: StreamKey,
        feed: Feed[T],
        policy: EventPolicy[T],
        *,
        timeout: float,
        publish: Callable[[Sequence[T]], None],
        report: Callable[[Gap], None],
    ) -> None:
        self.key = key
        self.feed = feed
        self.policy = policy
        self.timeout = timeout
        self._publish = publish
        self._report = report
        self._holes: list[_Hole[T]] = []
        self._held: list[tuple[int, T]] = []  # (id, record), in id order
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> bool:
        """Whether a hole is open (records after it are held)."""
        return bool(self._holes)

    @property
    def task(self) -> asyncio.Task[None] | None:
        return self._task

    # ------------------------------------------------------------------ intake
    def submit(self, items: Sequence[T], holes: Sequence[Hole], lost: str | None = None) -> None:
        """Records accepted by the policy and the holes seen among them (newer than every
        open hole). ``lost``: the holes are not to be asked for (a reason they are lost)."""
        if not holes and not self._holes:
            self._publish(items)
            return
        held, top = self._held, self._holes[-1].last if self._holes else -1
        for item in items:
            n = seq(item)
            target = None if n > top else next((h for h in self._holes if h.covers(n)), None)
            if target is not None:  # a record of an open hole arriving late: it fills it
                target.found[n] = item
            elif not held or n > held[-1][0]:
                held.append((n, item))
            else:  # out of order (not in a hole): keep the held records sorted
                bisect.insort(held, (n, item), key=itemgetter(0))
        deadline = time.monotonic() + self.timeout
        for first, last in holes:
            hole = _Hole[T](first, last, deadline)
            self._holes.append(hole)
            if lost is not None:
                self._settle(hole, lost)
        self._release()
        if self._holes and self._task is None:
            name = f"stream-repair:{self.key}"
            self._task = asyncio.get_running_loop().create_task(self._work(), name=name)

    # ------------------------------------------------------------------ the repair task
    async def _work(self) -> None:
        try:
            while self._holes:
                now = time.monotonic()
                for hole in self._holes:
                    if not hole.settled and now >= hole.deadline:
                        self._settle(hole, f"not repaired within {self.timeout:g} s")
                open_holes = [h for h in self._holes if not h.settled]
                if open_holes:
                    await self._fetch(open_holes)
                self._release()
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug, or a shape the feed did not expect: report, go on
            log.exception("stream.repair_failed", stream=str(self.key))
            self.flush("the repair failed unexpectedly")
        finally:
            self._task = None

    async def _fetch(self, open_holes: list[_Hole[T]]) -> None:
        """One request: a page from the oldest open hole's next id, as long as it takes to
        cover every open hole that fits in :data:`PAGE` ids."""
        head = open_holes[0]
        first = head.cursor
        covered = [h for h in open_holes if h.cursor <= first + PAGE - 1]
        cover_last = min(first + PAGE - 1, max(h.last for h in covered))
        count = cover_last - first + 1
        try:
            async with asyncio.timeout(max(0.0, head.deadline - time.monotonic())):
                with self.feed.repairing(head.deadline):
                    page = await self.feed.page(first, count)
                    if page is None:  # no lookup by id: the venue's recent page, then
                        page = await self.feed.poll()
        except TimeoutError:
            self._settle(head, f"not repaired within {self.timeout:g} s")
            return
        except ExchangeError as exc:  # any: refused credentials and rate limits too
            for hole in covered:
                self._settle(hole, f"backfill failed: {type(exc).__name__}: {exc}")
            return
        records = sorted((r for r in page if seq(r) >= first), key=seq)
        for record in records:
            n = seq(record)
            target = next((h for h in self._holes if h.cursor <= n <= h.last), None)
            if target is not None and self.policy.fresh(str(getattr(record, "id", ""))):
                target.found[n] = record
        # the venue answered for every id from ``first`` to the page's newest (a full
        # page), or to the end of the range and beyond (a short one: it has nothing more);
        # the ids of that span it did not return, it does not serve (its history starts
        # later): every open hole in the span is settled that far, not only those asked for
        newest = seq(records[-1]) if records else cover_last
        reached = newest if len(records) >= count else max(newest, cover_last)
        for hole in open_holes:
            if not hole.settled and hole.cursor <= reached and hole.advance(reached):
                self._settle(hole, NOT_SERVED)
        if not head.settled and head.cursor == first:  # an answer of older ids only
            self._settle(head, "the venue's answer did not reach the hole")

    # ------------------------------------------------------------------ settling
    def _settle(self, hole: _Hole[T], reason: str) -> None:
        """Give up on what the hole still lacks, and report it as ranges."""
        hole.give_up(reason)
        for first, last, recovered, why in hole.ranges():
            size = last - first + 1
            if recovered:
                gap = Gap(self.key, True, first_id=str(first), last_id=str(last), missing=0,
                          recovered=size)  # fmt: skip
            else:
                self.policy.note_missing(first, last)
                gap = Gap(self.key, False, first_id=str(first), last_id=str(last),
                          missing=size, reason=why)  # fmt: skip
            self._report(gap)

    def _release(self) -> None:
        """Pass on, in id order, every record older than the oldest open hole."""
        ready: list[tuple[int, T]] = []
        while self._holes and self._holes[0].settled:
            ready.extend(self._holes.pop(0).found.items())
        held = self._held
        split = len(held) if not self._holes else bisect.bisect_left(
            held, self._holes[0].first, key=itemgetter(0))  # fmt: skip
        if split:
            ready.extend(held[:split])
            del held[:split]
        if ready:
            ready.sort(key=itemgetter(0))  # a few sorted runs: linear
            self._publish([item for _, item in ready])

    def flush(self, reason: str) -> None:
        """The stream stops (closed or failed): every open hole is lost for ``reason`` and
        everything held is passed on (the repair task must be done or cancelled)."""
        for hole in self._holes:
            if not hole.settled:
                self._settle(hole, reason)
        self._release()

    # ------------------------------------------------------------------ after a reconnect
    def can_recover(self) -> bool:
        return self.policy.last_seq is not None

    async def recover(self) -> int:
        """Read back what an outage hid: the venue's newest page, then by id what is older
        than it down to the last id passed on. Returns the records recovered. A hole the
        venue does not serve is reported; when the read fails, the outage shows as a hole
        with the next record (and is repaired then)."""
        policy, feed = self.policy, self.feed
        start = policy.last_seq
        if start is None:
            return 0
        got: list[T] = []
        reason = NOT_SERVED
        deadline = time.monotonic() + self.timeout
        try:
            async with asyncio.timeout(self.timeout):
                with feed.repairing(deadline):
                    got.extend(await feed.poll())
                    oldest = min((seq(i) for i in got), default=None)
                    cursor = start + 1
                    while oldest is not None and cursor < oldest:
                        count = min(PAGE, oldest - cursor)
                        page = sorted(await feed.page(cursor, count) or (), key=seq)
                        got.extend(page)
                        if len(page) < count:
                            break  # the venue has nothing more before its recent page
                        cursor = seq(page[-1]) + 1
        except (ExchangeError, TimeoutError) as exc:
            if not got:
                log.warning("stream.recover_failed", stream=str(self.key),
                            error=type(exc).__name__)  # fmt: skip
                return 0
            reason = f"backfill failed: {type(exc).__name__}: {exc}"
        fresh = sorted((i for i in got if seq(i) > start), key=seq)
        items, holes = policy.accept(fresh)
        self.submit(items, holes, lost=reason)
        return len(items)
