"""What a channel's records mean to the supervisor: dedupe, order, holes, recovery, probes.

* **State** channels (ticker, balance) and **books** carry the whole state in each record:
  older or identical records are dropped, and nothing needs backfilling after an outage
  (the next record supersedes; a balance is re-read once).
* **Candles** are states per period: the current period's candle is updated in place.
  After an outage the periods missed are read back over REST.
* **Events** (trades, fills) each matter: duplicates are dropped by id; where the venue
  numbers them in sequence a hole is visible and is repaired over REST; what cannot be
  repaired is reported as a :class:`core.Gap`.
* **Orders** are events per (order, state): after an outage, the open orders are read back
  and those that left the open list are looked up, so no final state is missed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from core._feed import Feed
from core._models import Balance, Candle, Fill, Order, OrderBook, Ticker, Trade
from core._streams import Channel, Gap, StreamKey

T = TypeVar("T")
Hole = tuple[int, int]  # first and last missing sequential id

MAX_BACKFILL_PAGES = 10


class Policy(Generic[T]):
    """The default: a state channel (ticker, balance)."""

    #: every record matters (a deep queue by default), or only the newest (a queue of one)
    events = False

    def __init__(self, key: StreamKey) -> None:
        self.key = key
        self.last: T | None = None
        #: when the stream started (epoch ms): records before it are not owed
        self.origin_ms = 0

    def accept(self, items: Sequence[T]) -> tuple[list[T], list[Hole]]:
        """The records to pass on (new, in order), and holes seen in the sequence."""
        out: list[T] = []
        for item in items:
            last = self.last
            if last is not None and (item == last or _older(item, last)):
                continue
            self.last = item
            out.append(item)
        return out, []

    def behind(self, rest: Sequence[T], since_ms: int) -> bool:
        """Whether a REST read holds data newer than the stream delivered (a dead feed)."""
        if not rest:
            return False
        newest = _stamp(rest[-1])
        mark = _stamp(self.last) if self.last is not None else None
        if newest is None:
            return False
        return newest > (mark if mark is not None else since_ms)

    async def recover(self, feed: Feed[T]) -> tuple[list[T], Gap | None]:
        """After a reconnect: what the outage hid, read back over REST."""
        return [], None

    async def poll(self, feed: Feed[T]) -> tuple[list[T], list[Hole]]:
        """One REST poll (a polled stream): the new records, and holes seen."""
        return self.accept(await feed.poll())


def _stamp(item: Any) -> int | None:
    value = getattr(item, "timestamp", None)
    return value if isinstance(value, int) else None


def _older(item: Any, last: Any) -> bool:
    a, b = _stamp(item), _stamp(last)
    return a is not None and b is not None and a < b


class BalancePolicy(Policy[Balance]):
    async def recover(self, feed: Feed[Balance]) -> tuple[list[Balance], Gap | None]:
        return list(await feed.poll()), None


class BookPolicy(Policy[OrderBook]):
    def accept(self, items: Sequence[OrderBook]) -> tuple[list[OrderBook], list[Hole]]:
        out: list[OrderBook] = []
        for book in items:
            last = self.last
            if last is not None and book.nonce is not None and last.nonce is not None:
                if book.nonce <= last.nonce:
                    continue
            elif last is not None and (book == last or _older(book, last)):
                continue
            self.last = book
            out.append(book)
        return out, []

    def behind(self, rest: Sequence[OrderBook], since_ms: int) -> bool:
        if not rest:
            return False
        book, last = rest[-1], self.last
        if book.nonce is not None and last is not None and last.nonce is not None:
            return book.nonce > last.nonce
        return super().behind(rest, since_ms)


class CandlePolicy(Policy[Candle]):
    events = True  # every period's candle matters

    def accept(self, items: Sequence[Candle]) -> tuple[list[Candle], list[Hole]]:
        out: list[Candle] = []
        for candle in items:
            last = self.last
            if last is not None and (candle.timestamp < last.timestamp or candle == last):
                continue
            self.last = candle
            out.append(candle)
        return out, []

    def behind(self, rest: Sequence[Candle], since_ms: int) -> bool:
        if not rest:
            return False
        newest, last = rest[-1], self.last
        if last is None:
            return newest.timestamp > since_ms
        return newest.timestamp > last.timestamp or (
            newest.timestamp == last.timestamp
            and (newest.close, newest.volume) != (last.close, last.volume)
        )

    async def recover(self, feed: Feed[Candle]) -> tuple[list[Candle], Gap | None]:
        if self.last is None:
            return [], None
        page = await feed.since(self.last)
        if page is None:
            gap = Gap(self.key, False, since=self.last.timestamp, reason="no REST backfill")
            return [], gap
        out, _ = self.accept(page)
        return out, None


class EventPolicy(Policy[T]):
    """Trades and fills: each matters, once."""

    events = True

    def __init__(
        self, key: StreamKey, *, sequential: bool = False, memory: int | None = None
    ) -> None:
        super().__init__(key)
        self.sequential = sequential
        self.duplicates = 0
        self._seen: set[str] = set()
        self._order: deque[str] = deque()
        # ids remembered to drop duplicates (about 100 bytes each): enough for the overlap
        # of a backfill with the stream; sequential ids need fewer (order shows the rest)
        self._memory = memory or (5_000 if sequential else 20_000)
        self._last_seq: int | None = None
        #: id ranges reported missing (``GAP``), newest last: a record of one arriving
        #: after all (out of order, within the duplicate window) is passed on, ``late``
        self._missing: list[tuple[int, int]] = []
        self.late = 0

    @property
    def last_seq(self) -> int | None:
        """The newest consecutive id passed on (sequential streams)."""
        return self._last_seq

    def fresh(self, item_id: str) -> bool:
        """Whether ``item_id`` was not seen yet (it is remembered from now on)."""
        return self._fresh(item_id)

    def note_missing(self, first: int, last: int) -> None:
        """Ids ``first``..``last`` were reported missing (a ``GAP``)."""
        self._missing.append((first, last))
        if len(self._missing) > 1_000:  # old ranges: beyond the duplicate window anyway
            del self._missing[:500]

    def _late(self, n: int) -> None:
        """A record older than the newest passed on: if it was reported missing, it is
        counted ``late`` and its id no longer counts as missing."""
        for i, (first, last) in enumerate(self._missing):
            if first <= n <= last:
                self.late += 1
                split = [(a, b) for a, b in ((first, n - 1), (n + 1, last)) if a <= b]
                self._missing[i : i + 1] = split
                return

    def _fresh(self, item_id: str) -> bool:
        seen = self._seen
        if item_id in seen:
            self.duplicates += 1
            return False
        seen.add(item_id)
        order = self._order
        order.append(item_id)
        if len(order) > self._memory:
            seen.discard(order.popleft())
        return True

    def accept(self, items: Sequence[T]) -> tuple[list[T], list[Hole]]:
        out: list[T] = []
        holes: list[Hole] = []
        sequential = self.sequential
        for item in items:
            item_id: str | None = getattr(item, "id", None)
            if item_id is not None and not self._fresh(item_id):
                continue
            out.append(item)
            if sequential and item_id is not None and item_id.isdigit():
                seq = int(item_id)
                last = self._last_seq
                if last is None or seq > last:
                    if last is not None and seq > last + 1:
                        holes.append((last + 1, seq - 1))
                    self._last_seq = seq
                elif self._missing:
                    self._late(seq)
        if out:  # batches come oldest first: the newest is the last one
            newest = out[-1]
            if self.last is None or not _older(newest, self.last):
                self.last = newest
        return out, holes

    def behind(self, rest: Sequence[T], since_ms: int) -> bool:
        mark = _stamp(self.last) if self.last is not None else since_ms
        for item in reversed(rest):
            item_id = getattr(item, "id", None)
            stamp = _stamp(item)
            if item_id is not None and item_id in self._seen:
                return False  # the newest REST records were streamed too
            if stamp is not None and mark is not None and stamp >= mark:
                return True
        return False

    async def poll(self, feed: Feed[T]) -> tuple[list[T], list[Hole]]:
        """Only what is newer than the last record passed on: a REST page of recent
        records mostly repeats what was seen, and older ones must not come out of order.
        The first poll of a stream sets the starting point (as a subscription does)."""
        page = list(await feed.poll())
        if self.last is None:  # nothing passed on yet: what happened since the start
            return self.accept(self._since_origin(page))
        if self.sequential and self._last_seq is not None:
            newer = [i for i in page if _seq_of(getattr(i, "id", None)) > self._last_seq]
        else:
            mark = _stamp(self.last)
            newer = [i for i in page if mark is None or (_stamp(i) or 0) >= mark]
        return self.accept(newer)

    async def _pages(self, feed: Feed[T], cursor: T) -> list[T] | None:
        """REST pages after ``cursor`` (at most MAX_BACKFILL_PAGES), until one brings
        nothing new (venues page by time: each page repeats the records of its first
        millisecond)."""
        got: list[T] = []
        ids: set[Any] = set()
        for _ in range(MAX_BACKFILL_PAGES):
            page = await feed.since(cursor)
            if page is None:
                return got or None
            new = [i for i in page if self._unseen(i, ids)]
            if not new:
                break
            got.extend(new)
            ids.update(getattr(i, "id", None) for i in new)
            cursor = max(new, key=lambda i: _stamp(i) or 0)
        return got

    def _unseen(self, item: T, ids: set[Any]) -> bool:
        item_id = getattr(item, "id", None)
        return item_id is None or (item_id not in ids and item_id not in self._seen)

    def _since_origin(self, page: Sequence[T]) -> list[T]:
        origin = self.origin_ms
        return [i for i in page if (_stamp(i) or 0) >= origin]

    async def recover(self, feed: Feed[T]) -> tuple[list[T], Gap | None]:
        last = self.last
        if last is None:  # the outage began before the first record: the recent ones
            out, _holes = self.accept(self._since_origin(await feed.poll()))
            return out, None
        page = await self._pages(feed, last)
        if page is None:
            return [], Gap(self.key, False, since=_stamp(last), reason="no REST backfill")
        out, _holes = self.accept(page)  # holes inside a REST page: the venue's own gaps
        return out, None


def _seq_of(item_id: Any) -> int:
    return int(item_id) if isinstance(item_id, str) and item_id.isdigit() else -1


def order_is_newer(new: Order, old: Order) -> bool:
    """Whether ``new`` moves the order forward (a final state is never replaced by an older
    open read, nor a fill amount by a smaller one, nor a newer update by an older one)."""
    if new == old:
        return False
    if old.status is not None and old.status.is_final:
        return new.status is not None and new.status.is_final
    if new.filled is not None and old.filled is not None and new.filled < old.filled:
        return False
    stamp_new, stamp_old = new.last_update_timestamp, old.last_update_timestamp
    return not (stamp_new is not None and stamp_old is not None and stamp_new < stamp_old)


class OrderPolicy(Policy[Order]):
    """Orders: one record per change; the open ones are tracked."""

    events = True

    def __init__(self, key: StreamKey) -> None:
        super().__init__(key)
        self.known: dict[str, Order] = {}

    def open_orders(self) -> list[Order]:
        return [o for o in self.known.values() if o.status is not None and not o.status.is_final]

    def accept(self, items: Sequence[Order]) -> tuple[list[Order], list[Hole]]:
        out: list[Order] = []
        for order in items:
            old = self.known.get(order.id)
            if old is not None and not order_is_newer(order, old):
                continue
            self.known[order.id] = order
            self.last = order
            out.append(order)
        self._forget_closed()
        return out, []

    def _forget_closed(self, keep: int = 10_000) -> None:
        if len(self.known) > keep:
            for order_id in [i for i, o in self.known.items() if o.status and o.status.is_final]:
                del self.known[order_id]
                if len(self.known) <= keep // 2:
                    break

    def behind(self, rest: Sequence[Order], since_ms: int) -> bool:
        return False  # private streams are quiet by nature; the heartbeat guards them

    async def poll(self, feed: Feed[Order]) -> tuple[list[Order], list[Hole]]:
        """Polling reconciles too: an order that left the open list is looked up."""
        out, _gap = await self.recover(feed)
        return out, []

    async def recover(self, feed: Feed[Order]) -> tuple[list[Order], Gap | None]:
        before = {o.id: o for o in self.open_orders()}
        current = list(await feed.poll())
        listed = {o.id for o in current}
        for order_id, order in before.items():
            if order_id in listed:
                continue
            now = await feed.refresh(order)  # left the open list: filled or cancelled
            if now is not None:
                current.append(now)
        out, _ = self.accept(current)
        return out, None


def policy_for(key: StreamKey, *, sequential: bool) -> Policy[Any]:
    channel = key.channel
    if channel is Channel.TRADES:
        return EventPolicy[Trade](key, sequential=sequential)
    if channel is Channel.MY_TRADES:
        return EventPolicy[Fill](key)
    if channel is Channel.ORDER_BOOK:
        return BookPolicy(key)
    if channel is Channel.OHLCV:
        return CandlePolicy(key)
    if channel is Channel.ORDERS:
        return OrderPolicy(key)
    if channel is Channel.BALANCE:
        return BalancePolicy(key)
    return Policy[Ticker](key)
