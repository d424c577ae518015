"""Fan-out: one connection per public stream per host (``EXCHANGES_REDIS_URL`` set).

One :class:`Fanout` per adapter: its public streams (ticker, trades, order book, candles)
are :class:`~exchanges.sharing._shared_stream.SharedStream` objects, one per stream key,
named in Redis by venue, REST host, market type and sandbox (processes on different
venues or endpoints never share), so that across the host one process holds each
stream's WebSocket and the others read its records. Private streams never come here.
"""

from __future__ import annotations

import asyncio
from typing import Any

from core._streams import StreamHealth, StreamKey
from core._subscription import Subscription
from exchanges.sharing._codec import SHAREABLE
from exchanges.sharing._connection import Connection
from exchanges.sharing._delivery import LEASE_TTL, MAXLEN, OpenSource
from exchanges.sharing._shared_stream import SharedStream


def shareable(key: StreamKey) -> bool:
    """Public market data: a stream that may be shared through Redis."""
    return key.channel in SHAREABLE and not key.channel.private


class Fanout:
    def __init__(
        self,
        connection: Connection,
        scope: str,
        open_source: OpenSource,
        *,
        ttl: float = LEASE_TTL,
        maxlen: int = MAXLEN,
    ) -> None:
        self.connection = connection
        self.scope = scope
        self._open_source = open_source
        self.ttl = ttl
        self.maxlen = maxlen
        self._streams: dict[StreamKey, SharedStream[Any]] = {}

    def name(self, key: StreamKey) -> str:
        return f"{self.connection.prefix}:fanout:{self.scope}:{key}"

    async def attach(self, subscription: Subscription[Any], stale_after: float | None) -> None:
        key = subscription.key
        stream = self._streams.get(key)
        if stream is not None and stream.is_closing():
            await stream.wait_closed()  # its lease released: a new one may take it at once
            stream = self._streams.get(key)
        if stream is not None:
            stream.attach(subscription, stale_after)
            return
        stream = SharedStream(
            key,
            self.connection,
            self.name(key),
            self._open_source,
            stale_after=stale_after,
            ttl=self.ttl,
            maxlen=self.maxlen,
            on_closed=self._forget,
        )
        self._streams[key] = stream
        stream.attach(subscription, stale_after)
        try:
            await stream.start()
        except BaseException:
            self._forget(stream)
            await asyncio.shield(stream.close())
            raise

    def _forget(self, stream: SharedStream[Any]) -> None:
        if self._streams.get(stream.key) is stream:
            del self._streams[stream.key]

    def stream(self, key: StreamKey) -> SharedStream[Any] | None:
        return self._streams.get(key)

    def streams(self) -> list[SharedStream[Any]]:
        return list(self._streams.values())

    def health(self) -> list[StreamHealth]:
        return [s.health() for s in self._streams.values()]

    async def close(self) -> None:
        """Close every shared stream: leases released, so a reader elsewhere takes over
        without waiting for the TTL."""
        for stream in list(self._streams.values()):
            await stream.close()
        self._streams.clear()
