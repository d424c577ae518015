"""One server-side WebSocket: an outbound queue drained by a writer task, server pings,
manual pongs, and the stream faults (stall, ping silence, gaps, malformed frames, drops).

:class:`Hub` maps stream names to the connections subscribed to them.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import WSMsgType, web

from exchanges.simulator._faults import FaultKind, Faults

QUEUE_LIMIT = 50_000
LOW_WATER = 1_000


@dataclass(frozen=True, slots=True)
class Frame:
    """An outbound text frame; ``stream`` is None for replies (never withheld)."""

    text: str
    stream: str | None = None
    depth_diff: bool = False


def reset_transport(transport: asyncio.Transport) -> None:
    """Close with a TCP reset (SO_LINGER 0) rather than an orderly FIN."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class Connection:
    def __init__(
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        faults: Faults,
        *,
        combined: bool = False,
        ping_interval: float = 20.0,
        pong_timeout: float = 60.0,
    ) -> None:
        self.ws = ws
        self.path = request.path
        self._transport = request.transport
        self._faults = faults
        self.combined = combined
        self.subscriptions: set[str] = set()
        self._queue: asyncio.Queue[Frame] = asyncio.Queue(QUEUE_LIMIT)
        self._ping_interval = ping_interval
        self._pong_timeout = pong_timeout
        self._last_pong = asyncio.get_running_loop().time()
        self.writable = asyncio.Event()
        self.writable.set()
        self.frames_sent = 0

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    def scopes(self, stream: str | None) -> tuple[str, ...]:
        return (self.path,) if stream is None else (self.path, stream)

    def send(self, frame: Frame) -> None:
        """Queue a frame; a consumer too slow to keep up is disconnected (as Binance does)."""
        try:
            self._queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.abort(abrupt=False)
            return
        if self._queue.qsize() >= LOW_WATER:
            self.writable.clear()

    def abort(self, *, abrupt: bool) -> None:
        """Drop the connection: a TCP reset when ``abrupt``, else a 1001 close frame."""
        transport = self._transport
        if abrupt and transport is not None:
            reset_transport(transport)
        else:
            self.send_close()

    def send_close(self) -> None:
        task = asyncio.get_running_loop().create_task(
            self.ws.close(code=1001, message=b"going away"), name="sim-ws-close"
        )
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def write_loop(self) -> None:
        faults = self._faults
        while True:
            frame = await self._queue.get()
            if self._queue.qsize() < LOW_WATER:
                self.writable.set()
            text = frame.text
            if frame.stream is not None:
                scopes = self.scopes(frame.stream)
                if faults.active(FaultKind.STALL, *scopes):
                    continue
                if frame.depth_diff and faults.take(FaultKind.SEQUENCE_GAP, *scopes):
                    continue
                if faults.take(FaultKind.MALFORMED_FRAME, *scopes):
                    text = text[: len(text) // 2]
            if self.ws.closed:
                self.writable.set()
                return
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                self.writable.set()  # a dead socket must not hold the firehose back
                self.abort(abrupt=True)
                return
            self.frames_sent += 1

    async def ping_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while not self.ws.closed:
            await asyncio.sleep(self._ping_interval)
            if self._faults.active(FaultKind.PING_SILENCE, self.path):
                continue
            if loop.time() - self._last_pong > self._pong_timeout:
                await self.ws.close(code=1008, message=b"pong timeout")
                return
            await self.ws.ping(b"sim")

    def on_control(self, kind: WSMsgType, data: bytes) -> None:
        """PING/PONG from the client (autoping is off so faults can silence pongs)."""
        if kind is WSMsgType.PONG:
            self._last_pong = asyncio.get_running_loop().time()
        elif kind is WSMsgType.PING and not self._faults.active(FaultKind.PING_SILENCE, self.path):
            task = asyncio.get_running_loop().create_task(self.ws.pong(data), name="sim-pong")
            task.add_done_callback(lambda t: t.cancelled() or t.exception())


class Hub:
    """Which connections want which stream."""

    def __init__(self) -> None:
        self._by_stream: dict[str, set[Connection]] = defaultdict(set)
        self.connections: set[Connection] = set()
        self._subscribed = asyncio.Event()  # set at every subscription

    def wanted(self, stream: str) -> bool:
        return bool(self._by_stream.get(stream))

    def streams(self) -> list[str]:
        return [name for name, conns in self._by_stream.items() if conns]

    def subscribers(self, stream: str) -> int:
        """How many connections are subscribed to ``stream`` now."""
        return len(self._by_stream.get(stream, ()))

    def subscribe(self, conn: Connection, stream: str) -> None:
        conn.subscriptions.add(stream)
        self._by_stream[stream].add(conn)
        self._subscribed.set()

    async def wait_wanted(self, stream: str) -> None:
        """Until some connection subscribes to ``stream`` (at once if one has)."""
        while not self.wanted(stream):
            self._subscribed.clear()
            await self._subscribed.wait()

    def unsubscribe(self, conn: Connection, stream: str) -> None:
        conn.subscriptions.discard(stream)
        conns = self._by_stream.get(stream)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self._by_stream[stream]

    def remove(self, conn: Connection) -> None:
        for stream in list(conn.subscriptions):
            self.unsubscribe(conn, stream)
        self.connections.discard(conn)

    def publish(self, stream: str, raw: str, *, depth_diff: bool = False) -> None:
        conns = self._by_stream.get(stream)
        if not conns:
            return
        combined: str | None = None
        for conn in list(conns):
            if conn.combined:
                if combined is None:
                    combined = '{"stream":"' + stream + '","data":' + raw + "}"
                conn.send(Frame(combined, stream, depth_diff))
            else:
                conn.send(Frame(raw, stream, depth_diff))

    async def writable(self) -> None:
        """Wait until no connection has a large backlog (firehose back-pressure)."""
        for conn in list(self.connections):
            if not conn.writable.is_set() and not conn.ws.closed:
                await conn.writable.wait()


async def serve_connection(
    conn: Connection,
    on_text: Callable[[Connection, str], Awaitable[None]],
    on_close: Callable[[Connection], None],
) -> None:
    """Run a connection until the peer goes: reader inline, writer and pinger as tasks."""
    writer = asyncio.create_task(conn.write_loop(), name=f"sim-ws-writer {conn.path}")
    pinger = asyncio.create_task(conn.ping_loop(), name=f"sim-ws-ping {conn.path}")
    try:
        async for msg in conn.ws:
            if msg.type is WSMsgType.TEXT:
                await on_text(conn, msg.data)
            elif msg.type in (WSMsgType.PING, WSMsgType.PONG):
                conn.on_control(msg.type, msg.data)
    finally:
        on_close(conn)
        conn.writable.set()
        for task in (writer, pinger):
            task.cancel()
        for task in (writer, pinger):
            with contextlib.suppress(asyncio.CancelledError, ConnectionError, RuntimeError):
                await task
