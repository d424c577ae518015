"""The hole-repair logic on its own (``core._repair``), over an in-memory venue: a feed
whose REST "history" is a list of trades. What the supervisor does with it against the
simulator is tested in tests/supervisor/test_repair.py."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from core import Channel, Gap, StreamKey, Trade
from core._feed import Feed
from core._policies import EventPolicy
from core._repair import Repairs

KEY = StreamKey(Channel.TRADES, "BTC/USDT")


def trade(n: int) -> Trade:
    return Trade("BTC/USDT", str(n), 1_700_000_000_000 + n, 1.0, 1.0)


class MemoryVenue(Feed[Trade]):
    """Serves ids ``oldest``..``newest`` by id, counting requests; ``gate`` holds answers."""

    sequential_ids = True

    def __init__(self, oldest: int, newest: int) -> None:
        self.key = KEY
        self.oldest, self.newest = oldest, newest
        self.requests: list[tuple[int, int]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def watch(self) -> Sequence[Trade]:
        raise NotImplementedError

    async def poll(self) -> Sequence[Trade]:
        return [trade(n) for n in range(max(self.oldest, self.newest - 999), self.newest + 1)]

    async def page(self, first_id: int, count: int) -> Sequence[Trade] | None:
        self.requests.append((first_id, count))
        await self.gate.wait()
        start = max(first_id, self.oldest)
        return [trade(n) for n in range(start, min(start + count, self.newest + 1))]

    def reconnect(self, reason: str) -> bool:
        return False


class Harness:
    def __init__(self, venue: MemoryVenue, timeout: float = 5.0) -> None:
        self.policy = EventPolicy[Trade](KEY, sequential=True)
        self.out: list[int] = []
        self.gaps: list[Gap] = []
        self.repairs = Repairs(KEY, venue, self.policy, timeout=timeout,
                               publish=self.publish, report=self.gaps.append)  # fmt: skip

    def publish(self, items: Sequence[Trade]) -> None:
        self.out.extend(int(str(t.id)) for t in items)

    def take(self, *ids: int) -> None:
        items, holes = self.policy.accept([trade(n) for n in ids])
        self.repairs.submit(items, holes)

    async def settled(self) -> None:
        task = self.repairs.task
        if task is not None:
            async with asyncio.timeout(5):
                await task


def ranges(gaps: list[Gap]) -> list[tuple[str | None, str | None, bool]]:
    return [(g.first_id, g.last_id, g.repaired) for g in gaps]


async def test_holes_are_repaired_in_order_with_the_fewest_requests() -> None:
    venue = MemoryVenue(1, 5000)
    h = Harness(venue)
    h.take(1, 2)
    h.take(10, 11)  # hole 3-9
    h.take(500, 501)  # hole 12-499
    h.take(2600)  # hole 502-2599
    await h.settled()
    assert h.out == list(range(1, 2601))
    # pages of 1 000 ids from the oldest open hole on, each covering every hole it reaches
    assert venue.requests == [(3, 1000), (1003, 1000), (2003, 597)]
    assert ranges(h.gaps) == [("3", "9", True), ("12", "499", True), ("502", "2599", True)]


async def test_records_wait_behind_an_open_hole_and_keep_their_order() -> None:
    venue = MemoryVenue(1, 100)
    venue.gate.clear()
    h = Harness(venue)
    h.take(1)
    h.take(5, 6)  # hole 2-4: the answer is held at the gate
    await asyncio.sleep(0)
    h.take(7, 8)
    assert h.out == [1]  # 5..8 wait for 2..4
    venue.gate.set()
    await h.settled()
    assert h.out == list(range(1, 9))


async def test_what_the_venue_no_longer_has_is_an_exact_gap() -> None:
    venue = MemoryVenue(1400, 5000)  # the venue's history starts at 1400
    h = Harness(venue)
    h.take(1)
    h.take(1000)  # hole 2-999: none of it is served
    h.take(2000)  # hole 1001-1999: 1400 on is
    await h.settled()
    assert ranges(h.gaps) == [("2", "999", False), ("1001", "1399", False),
                              ("1400", "1999", True)]  # fmt: skip
    assert [g.missing for g in h.gaps] == [998, 399, 0]
    assert len(venue.requests) == 1  # the first page showed where the history starts
    assert h.out == [1, 1000, *range(1400, 2001)]


async def test_a_hole_past_its_deadline_is_a_gap_and_releases_what_it_held() -> None:
    venue = MemoryVenue(1, 100)
    venue.gate.clear()  # the venue never answers
    h = Harness(venue, timeout=0.05)
    h.take(1)
    h.take(4, 5)
    await h.settled()
    assert ranges(h.gaps) == [("2", "3", False)]
    assert "not repaired within 0.05 s" in h.gaps[0].reason
    assert h.out == [1, 4, 5]


async def test_a_record_reported_missing_that_arrives_late_is_passed_on_and_counted() -> None:
    policy = EventPolicy[Trade](KEY, sequential=True)
    policy.accept([trade(1), trade(5)])
    policy.note_missing(2, 4)  # a GAP reported 2..4
    items, holes = policy.accept([trade(3)])  # out of order, within the duplicate window
    assert [t.id for t in items] == ["3"]
    assert holes == []
    assert policy.late == 1
    policy.accept([trade(3)])  # a second copy is a duplicate, not late again
    assert (policy.late, policy.duplicates) == (1, 1)


class RecentOnlyVenue(MemoryVenue):
    """A venue that cannot look trades up by id (binance futures without keys)."""

    async def page(self, first_id: int, count: int) -> Sequence[Trade] | None:
        self.requests.append((first_id, count))
        return None


async def test_without_a_lookup_by_id_the_recent_page_repairs_what_it_covers() -> None:
    venue = RecentOnlyVenue(1, 3000)  # its recent page: 2001..3000
    h = Harness(venue)
    h.take(1)
    h.take(1990, 1991)  # hole 2-1989: older than the recent page
    h.take(2500)  # hole 1992-2499: 2001 on is in it
    await h.settled()
    assert ranges(h.gaps) == [("2", "1989", False), ("1992", "2000", False),
                              ("2001", "2499", True)]  # fmt: skip
    assert h.out == [1, 1990, 1991, *range(2001, 2501)]
