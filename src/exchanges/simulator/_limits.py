"""Connection limits: so that one client cannot starve the others of sockets.

aiohttp bounds the size of a request head (``max_line_size``, ``max_field_size``,
``max_headers``) and of a body (``client_max_size``), and closes a connection that has no
complete request head ``keepalive_timeout`` after opening or after its last answer (armed
at opening in aiohttp 3.14.5; in 3.14.3 and before, a connection that never finished a
first head was kept for good). That one timer is both the idle keep-alive time, which should be
long (clients reuse pooled connections), and the only deadline on a started head, which
should be short. It has no deadline on a body and no cap on connections: a few hundred
half-sent requests hold as many file descriptors, and once the process runs out (256 by
default on macOS) ``accept()`` fails for everyone.

:class:`ConnectionGuard` adds what is missing with the smallest hooks aiohttp's public
interface allows: the listening socket's protocol factory (a thin forwarder in front of
aiohttp's own handler, which sees each connection open, close and receive bytes) and a
middleware (which sees each request start and end). With them:

- a connection must deliver a complete request head within ``header_timeout`` of opening,
  or of its first byte after an answer, else it is closed;
- a request body must have arrived within ``body_timeout`` of its head, else 408;
- past ``max_connections``, a new connection closes the oldest one not in a request
  (half-sent heads first, then idle keep-alive connections); when every connection is busy
  (WebSockets, requests in progress), the new one gets a 503 and is closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp.web import RequestHandler

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FD_RESERVE = 64  # descriptors kept for everything but the simulator's connections
BUSY = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


def default_max_connections() -> int:
    """Half of what the open-file limit leaves after a reserve (a client in the same
    process spends a descriptor per connection too), between 16 and 1000."""
    try:
        import resource
    except ImportError:  # Windows
        return 1000
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1000
    return max(16, min(1000, (soft - FD_RESERVE) // 2))


@dataclass(frozen=True)
class ServerLimits:
    """``Simulator(limits=ServerLimits(...))``; the defaults suit a simulator on a
    laptop. ``max_connections=None``: :func:`default_max_connections`."""

    max_connections: int | None = None
    header_timeout: float = 10.0
    body_timeout: float = 10.0
    keepalive_timeout: float = 75.0

    def __post_init__(self) -> None:
        if self.max_connections is not None and (
            isinstance(self.max_connections, bool) or self.max_connections < 1
        ):
            raise ValueError(f"max_connections: {self.max_connections!r} is not at least 1")
        for name in ("header_timeout", "body_timeout", "keepalive_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not 0 < value < float("inf"):
                raise ValueError(f"{name}: {value!r} is not a positive number of seconds")

    @property
    def connection_cap(self) -> int:
        return self.max_connections or default_max_connections()


class _Connection(asyncio.Protocol):
    """One accepted socket: aiohttp's handler behind a forwarder the guard can watch."""

    __slots__ = ("_guard", "busy", "deadline", "handler", "idle_since", "transport")

    def __init__(self, guard: ConnectionGuard) -> None:
        self._guard = guard
        self.handler: RequestHandler | None = None
        self.transport: asyncio.Transport | None = None
        self.busy = 0  # requests in progress (a WebSocket stays one for its lifetime)
        self.idle_since = 0.0
        self.deadline: asyncio.TimerHandle | None = None  # for the request head

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.handler = self._guard.admit(self)
        if self.handler is None:
            transport.write(BUSY)
            transport.close()
        else:
            self.handler.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.handler is not None:
            if not self.busy and self.deadline is None:  # a new request head begins
                self._guard.arm(self)
            self.handler.data_received(data)

    def eof_received(self) -> None:
        if self.handler is not None:
            self.handler.eof_received()  # (None: the transport closes itself)

    def connection_lost(self, exc: Exception | None) -> None:
        self._guard.forget(self)
        if self.handler is not None:
            self.handler.connection_lost(exc)

    def pause_writing(self) -> None:
        if self.handler is not None:
            self.handler.pause_writing()

    def resume_writing(self) -> None:
        if self.handler is not None:
            self.handler.resume_writing()

    def close(self) -> None:
        if self.handler is not None:
            self.handler.force_close()


class ConnectionGuard:
    """The listening socket's protocol factory (call it) and a middleware (``middleware``)."""

    def __init__(self, limits: ServerLimits) -> None:
        self._limits = limits
        self._cap = limits.connection_cap
        self._open: dict[RequestHandler, _Connection] = {}
        self._server: Callable[[], RequestHandler] | None = None

        @web.middleware  # (marks it new-style: called with the request, not the app)
        async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            return await self._track(request, handler)

        self.middleware: Middleware = middleware

    def serve(self, server: Callable[[], RequestHandler]) -> None:
        """Hand connections to ``server`` (``AppRunner.server``) from now on."""
        self._server = server

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def __call__(self) -> asyncio.Protocol:
        return _Connection(self)

    # ---- the connection side -----------------------------------------------------------

    def admit(self, conn: _Connection) -> RequestHandler | None:
        if self._server is None:
            return None
        if len(self._open) >= self._cap:
            idle = [c for c in self._open.values() if not c.busy]
            if not idle:
                return None
            # half-sent heads (a deadline armed) before idle keep-alives, oldest first
            victim = min(idle, key=lambda c: (c.deadline is None, c.idle_since))
            self.forget(victim)
            victim.close()
        handler = self._server()
        self._open[handler] = conn
        self.arm(conn)  # the first request head is due
        return handler

    def arm(self, conn: _Connection) -> None:
        loop = asyncio.get_running_loop()
        conn.idle_since = loop.time()
        conn.deadline = loop.call_later(self._limits.header_timeout, self._late_head, conn)

    def _late_head(self, conn: _Connection) -> None:
        conn.deadline = None
        if not conn.busy:
            conn.close()

    def forget(self, conn: _Connection) -> None:
        if conn.deadline is not None:
            conn.deadline.cancel()
            conn.deadline = None
        if conn.handler is not None:
            self._open.pop(conn.handler, None)

    # ---- the request side --------------------------------------------------------------

    async def _track(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        conn = self._open.get(request.protocol)
        if conn is not None:
            conn.busy += 1
            if conn.deadline is not None:
                conn.deadline.cancel()
                conn.deadline = None
        try:
            if not request.body_exists:
                return await handler(request)
            return await self._with_body_deadline(request, handler)
        finally:
            if conn is not None:
                conn.busy -= 1
                conn.idle_since = asyncio.get_running_loop().time()

    async def _with_body_deadline(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        """``handler(request)``, cancelled with a 408 if the body is still incomplete
        ``body_timeout`` after the head (a handler that holds its answer longer is fine)."""
        loop = asyncio.get_running_loop()
        timer: asyncio.TimerHandle | None = None
        try:
            async with asyncio.timeout(None) as deadline:

                def check() -> None:
                    if not request.content.is_eof():
                        deadline.reschedule(loop.time())

                timer = loop.call_later(self._limits.body_timeout, check)
                return await handler(request)
        except TimeoutError:
            if not deadline.expired():
                raise
            raise web.HTTPRequestTimeout(
                text=f"request body not received within {self._limits.body_timeout:g} s"
            ) from None
        finally:
            if timer is not None:
                timer.cancel()
