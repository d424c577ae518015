"""Market metadata shared through Redis: one ``load_markets`` per venue, REST host, market
type and sandbox per refresh interval, whatever the number of processes.

The first process to want them takes a lock (``SET NX PX``), loads them from the venue and
stores ccxt's market and currency dicts as zlib-compressed orjson with a TTL
(:data:`MARKET_TTL`); the others, started at the same moment, wait for that record (bounded
by :data:`WAIT`, checking every :data:`POLL` seconds) and adopt it (ccxt's ``set_markets``),
sending nothing. A lock whose holder died expires (:data:`LOCK_TTL`); a wait that runs out,
or a Redis that fails, means loading from the venue as without Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from core import get_logger
from exchanges.sharing._connection import Connection

log = get_logger(__name__)

MARKET_TTL = 3600.0  # seconds a stored set of markets is used before it is loaded again
LOCK_TTL = 30.0  # seconds a loader holds the lock at most
WAIT = 20.0  # seconds a process waits for another's load before loading itself
POLL = 0.05

Markets = tuple[list[dict[str, Any]], dict[str, Any]]  # (markets, currencies)


def encode(markets: Markets) -> bytes:
    return zlib.compress(orjson.dumps(list(markets), option=orjson.OPT_NON_STR_KEYS), 6)


def decode(blob: bytes) -> Markets:
    markets, currencies = orjson.loads(zlib.decompress(blob))
    return list(markets), dict(currencies or {})


async def shared_markets(
    connection: Connection, name: str, load: Callable[[], Awaitable[Markets]]
) -> tuple[Markets, bool]:
    """(markets, whether they came from another process): from Redis when stored, else
    loaded by ``load()`` in one process of all those asking at once, and stored."""
    key = f"{connection.prefix}:markets:{name}"
    client = connection.client
    loaded: Markets | None = None
    try:
        blob = await client.get(key)
        if blob is not None:
            return decode(blob), True
        token = secrets.token_hex(8)
        if await client.set(f"{key}:lock", token, nx=True, px=int(LOCK_TTL * 1000)):
            try:
                loaded = await load()
                await client.set(key, encode(loaded), px=int(MARKET_TTL * 1000))
            finally:
                # only our own lock (compare and delete: it may have expired meanwhile
                # and been taken by another process)
                with contextlib.suppress(*connection.errors):
                    await client.eval(_RELEASE, 1, f"{key}:lock", token)
            log.info("sharing.markets_stored", name=name, markets=len(loaded[0]))
            return loaded, False
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            await asyncio.sleep(POLL)
            blob = await client.get(key)
            if blob is not None:
                return decode(blob), True
            if not await client.exists(f"{key}:lock"):
                break  # the loader gave up (its load failed): load ourselves
    except connection.errors as exc:
        connection.mark_degraded(exc)
        if loaded is not None:
            return loaded, False
    return await load(), False


_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
