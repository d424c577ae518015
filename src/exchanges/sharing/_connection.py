"""The process's connection to Redis (``EXCHANGES_REDIS_URL``), one per URL and event loop.

A redis-py client and its pool belong to the loop that made them, so each loop gets its
own, made on first use and closed (``aclose``) when its last adapter lets go. redis-py is
imported only here and only when the URL is set (the ``redis`` extra). Connecting checks
the server at once (a ``PING``, bounded by ``socket_connect_timeout``/``socket_timeout``):
a missing extra, a malformed URL or an unreachable server is a
:class:`core.ConfigurationError` saying which, naming the host and never the URL's password.

After that, a failing server does not fail requests: the users of the connection
*degrade* to this process's own state (logged ``sharing.degraded`` once per outage,
``sharing.recovered`` when it answers again); :attr:`Connection.state` says which.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from core import ConfigurationError, get_logger, register_secret

log = get_logger(__name__)

CONNECT_TIMEOUT = 2.0  # seconds to reach the server (each attempt)
SOCKET_TIMEOUT = 2.0  # seconds for one command's answer
PREFIX = "exchanges"

SharingMode = Literal["local", "redis", "degraded"]


@dataclass(frozen=True, slots=True)
class SharingState:
    """What an adapter shares with other processes: ``mode`` is ``"local"`` (no Redis URL:
    everything in this process), ``"redis"`` (budget, 429/418 state and markets shared
    through ``where``) or ``"degraded"`` (Redis failed mid-run: this process's own budget
    until it answers again). ``where`` is the server's ``host:port/db``, without
    credentials."""

    mode: SharingMode
    where: str | None = None


LOCAL_STATE = SharingState("local")


def redacted(url: str) -> str:
    """``host:port/db`` of a Redis URL: never its user name or password."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = parts.port or 6379
    except ValueError:
        return "<unparsable URL>"
    db = parts.path.lstrip("/") or "0"
    return f"{host}:{port}/{db}"


class Connection:
    """A Redis client for one (URL, event loop), shared by the adapters on that loop."""

    def __init__(self, url: str, client: Any, errors: tuple[type[BaseException], ...]) -> None:
        self.url = url
        self.where = redacted(url)
        self.client = client
        self.prefix = PREFIX
        #: what a dead server raises (redis-py's connection errors, timeouts, OS errors)
        self.errors = errors
        self.degraded = False
        self.outages = 0
        self._users = 0

    def __repr__(self) -> str:
        return f"<sharing.Connection {self.where} users={self._users} degraded={self.degraded}>"

    @property
    def state(self) -> SharingState:
        return SharingState("degraded" if self.degraded else "redis", self.where)

    def mark_degraded(self, exc: BaseException) -> None:
        if not self.degraded:
            self.degraded = True
            self.outages += 1
            log.warning("sharing.degraded", where=self.where, error=type(exc).__name__)

    def mark_recovered(self) -> None:
        if self.degraded:
            self.degraded = False
            log.info("sharing.recovered", where=self.where)

    async def release(self) -> None:
        """One user less; the last one closes the client."""
        self._users -= 1
        if self._users <= 0:
            _OPEN.pop((self.url, asyncio.get_running_loop()), None)
            await self.client.aclose()


_OPEN: weakref.WeakValueDictionary[tuple[str, asyncio.AbstractEventLoop], Connection] = (
    weakref.WeakValueDictionary()
)
_CONNECTING: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def _import_redis() -> Any:
    try:
        import redis.asyncio as aioredis
    except ImportError:
        raise ConfigurationError(
            "EXCHANGES_REDIS_URL is set but redis-py is not installed: "
            "pip install 'exchanges[redis]'"
        ) from None
    return aioredis


async def _open(url: str) -> Connection:
    aioredis = _import_redis()
    import redis

    where = redacted(url)
    with contextlib.suppress(ValueError):
        register_secret(urlsplit(url).password)  # masked wherever the URL might be logged
    try:
        client = aioredis.Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=SOCKET_TIMEOUT,
            health_check_interval=0,
        )
    except ValueError as exc:
        raise ConfigurationError(
            f"EXCHANGES_REDIS_URL: not a Redis URL ({where}): {type(exc).__name__}"
        ) from None
    errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError, TimeoutError)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT + SOCKET_TIMEOUT):
            await client.ping()
    except errors as exc:
        await client.aclose()
        raise ConfigurationError(
            f"EXCHANGES_REDIS_URL: Redis at {where} is unreachable ({type(exc).__name__})"
        ) from None
    return Connection(url, client, errors)


async def connect(url: str) -> Connection:
    """This loop's connection to ``url`` (opened and checked on first use); call
    :meth:`Connection.release` when done with it."""
    loop = asyncio.get_running_loop()
    key = (url, loop)
    lock = _CONNECTING.setdefault(loop, {}).setdefault(url, asyncio.Lock())
    async with lock:
        connection = _OPEN.get(key)
        if connection is None:
            connection = _OPEN[key] = await _open(url)
        connection._users += 1
        return connection
