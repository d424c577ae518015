"""The test infrastructure itself: a real server per session, empty for each test, and
one that can be killed and started again on the same port."""

from __future__ import annotations

import contextlib

import redis
import redis.asyncio as aioredis

from ..redis_server import RedisServer


async def test_each_test_starts_with_an_empty_server(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    try:
        assert await client.dbsize() == 0
        await client.set("left-behind", "1")  # the next test must not see it
    finally:
        await client.aclose()


async def test_a_killed_server_restarts_on_the_same_port(
    redis_server: RedisServer, redis_url: str
) -> None:
    client = aioredis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    try:
        assert await client.dbsize() == 0
        await client.set("k", "v")
        port = redis_server.port
        redis_server.restart()
        assert redis_server.port == port
        assert redis_server.url == redis_url
        # the old connection is gone (its next command may fail); then redis-py
        # reconnects, to an empty server
        with contextlib.suppress(redis.ConnectionError):
            await client.ping()
        assert await client.get("k") is None
    finally:
        await client.aclose()
