"""The holder's side of a shared stream: this process's own stream, published to Redis.

The holder (it took the lease) runs the supervised stream of this process (through
``open_source``: the supervisor, its repairs and reconnects, unchanged; a ``local`` stream
runs it the same way, without publishing), delivers its records to the local subscribers
and publishes them, and its events, to the Redis Stream (``XADD MAXLEN ~``, pipelined,
never awaited by the supervisor: a slow Redis only grows a bounded outbox, whose drops are
counted). It renews the lease every third of its TTL and stops publishing the moment it
cannot.
"""

from __future__ import annotations

import asyncio
import time
from typing import TypeVar

from core._errors import ExchangeError
from core._streams import EventKind, StreamEvent, StreamState
from core._subscription import Subscription
from exchanges.sharing._codec import encode_event, encode_records
from exchanges.sharing._delivery import StreamDelivery, log

T = TypeVar("T")

OUTBOX_MAX = 10_000  # entries waiting for Redis before the oldest are dropped (counted)


class StreamHolder(StreamDelivery[T]):
    def _fenced_in(self) -> None:
        self.role = "holder"
        self.holder = self.lease.holder
        self._floor, self._expected, self._seq = self.lease.fence, None, 0
        self._valid_until = time.monotonic() + self.ttl
        self._publishing = True
        self.connection.mark_recovered()

    async def _open(self) -> None:
        source: Subscription[T] = Subscription(
            self.key,
            lambda sub: self._open_source(sub, self._stale_after, list(self._tail)),
            queue_size=1,
            callback=self._on_record,
            on_event=self._on_event,
        )
        await source.start()
        self._source = source
        if source.state is not self.state:
            self._set_state(source.state)

    async def _close_source(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            await source.cancel()

    async def _hold(self) -> None:
        started = time.monotonic()
        await asyncio.sleep(self.renew_every)
        if await self.lease.renew():
            self._valid_until = started + self.ttl
            if not self._publishing:
                self._publishing = True
                self.connection.mark_recovered()
            return
        self._publishing = False
        if await self.lease.take():  # expired (or Redis restarted) and nobody took it
            self._fenced_in()
            return
        log.warning("fanout.lease_lost", stream=str(self.key), fence=self._floor)
        await self._close_source()
        self.role = "reader"

    def _on_record(self, item: T) -> None:
        """The supervised stream's records, one by one (in line): a batch per loop turn."""
        if not self._batch:
            asyncio.get_running_loop().call_soon(self._flush_batch)
        self._batch.append(item)

    def _flush_batch(self) -> None:
        batch, self._batch = self._batch, []
        if not batch:
            return
        self._deliver(batch)
        self._publish(encode_records(self.key, self._floor, self._seq, self.state, time.time(),
                                     batch))  # fmt: skip
        self._seq += len(batch)

    def _on_event(self, event: StreamEvent) -> None:
        self._flush_batch()  # records before the event that follows them
        if event.kind is EventKind.OVERFLOW or event.state is StreamState.CLOSED:
            return  # our inline subscriber never overflows; we close the source ourselves
        if event.kind is EventKind.STATE:
            self._set_state(event.state, event.reason)
            if event.state is StreamState.FAILED and self._source is not None:
                self._fail(self._source.error or ExchangeError(event.reason))
        else:
            self._notify(event)
        if not self._closing:
            self._publish(encode_event(self.key, self._floor, self._seq, time.time(), event))

    def _publish(self, message: bytes) -> None:
        if self.role != "holder" or not self._publishing or time.monotonic() > self._valid_until:
            if self.role == "holder":
                self.unpublished += 1
            return
        outbox = self._outbox
        outbox.append(message)
        if len(outbox) > OUTBOX_MAX:
            outbox.popleft()
            self.unpublished += 1
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(
                self._flush(), name=f"shared-publish:{self.key}"
            )

    async def _flush(self) -> None:
        client = self.connection.client
        try:
            while self._outbox:
                messages = list(self._outbox)
                self._outbox.clear()
                pipe = client.pipeline(transaction=False)
                for message in messages:
                    pipe.xadd(self.stream_key, {"m": message}, maxlen=self.maxlen,
                              approximate=True)  # fmt: skip
                try:
                    ids = await pipe.execute()
                except self.connection.errors as exc:
                    self.unpublished += len(messages) + len(self._outbox)
                    self._outbox.clear()
                    self._publishing = False
                    self.connection.mark_degraded(exc)
                    return
                self.published += len(messages)
                self._position = ids[-1].decode()
        finally:
            self._flusher = None
