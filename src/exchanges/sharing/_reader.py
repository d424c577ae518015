"""The reader's side of a shared stream: another process holds it, we read its records.

``XREAD BLOCK`` from our own position in the Redis Stream; entries of an older fence are
ignored (an old holder that has not noticed it lost the lease), and records skipped (we
fell behind ``MAXLEN``, or the holder could not publish them) are counted and reported as
a ``GAP``. A reader that joins late starts from the newest entry.
"""

from __future__ import annotations

import time
from typing import TypeVar

from core._errors import ExchangeError
from core._streams import EventKind, StreamState
from exchanges.sharing._codec import Entry, decode
from exchanges.sharing._delivery import StreamDelivery, log

T = TypeVar("T")

READ_COUNT = 1_000  # entries per XREAD


class StreamReader(StreamDelivery[T]):
    async def _begin_reading(self) -> None:
        self.role = "reader"
        current = await self.lease.current()
        self.holder = current.name if current is not None else None
        client = self.connection.client
        last = await client.xrevrange(self.stream_key, "+", "-", count=1)
        if last:
            entry_id, fields = last[0]
            self._position = entry_id.decode()
            entry = decode(self.key, fields[b"m"])
            self._floor = entry.fence
            self._expected = entry.seq + len(entry.records or ())
            self._set_state(entry.state)
            if entry.records and not self._filter.events:  # a state: serve the newest at once
                self._deliver(entry.records[-1:])

    async def _read(self, *, block: bool) -> int:
        """One XREAD from our position; the number of entries read."""
        reply = await self.connection.client.xread(
            {self.stream_key: self._position},
            count=READ_COUNT,
            block=max(1, int(self.renew_every * 1000)) if block else None,
        )
        read = 0
        now = time.time()
        for _stream, entries in reply or ():
            for entry_id, fields in entries:
                self._position = entry_id.decode()
                read += 1
                try:
                    entry = decode(self.key, fields[b"m"])
                except (ValueError, KeyError):
                    log.error("fanout.bad_entry", stream=str(self.key), id=self._position)
                    continue
                self.hop.add((now - entry.sent_at) * 1000)
                self._take(entry)
        return read

    def _take(self, entry: Entry) -> None:
        if entry.fence < self._floor:
            self.fenced += 1  # an older holder that has not noticed it lost the lease
            return
        if entry.fence > self._floor:
            self._floor, self._expected = entry.fence, None  # a new holder: it repairs
        if self._expected is not None and entry.seq > self._expected:
            self._missing(entry.seq - self._expected,
                          f"behind the shared stream: {entry.seq - self._expected} records "
                          f"trimmed (MAXLEN ~{self.maxlen}) or unpublished")  # fmt: skip
        if entry.records is not None:
            self._expected = entry.seq + len(entry.records)
            self._set_state(entry.state)
            self._deliver(entry.records)
            return
        self._expected = entry.seq
        event = entry.event
        assert event is not None
        if event.kind is EventKind.STATE:
            self._set_state(event.state, event.reason)
            if event.state is StreamState.FAILED:
                self._fail(ExchangeError(event.reason or "the shared stream failed"))
        else:
            if event.gap is not None:
                if event.gap.repaired:
                    self.counters.gaps_repaired += 1
                else:
                    self.counters.gaps_unrepaired += 1
            self._notify(event)
