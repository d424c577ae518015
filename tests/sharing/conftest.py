"""Fixtures for the sharing tests: a real ``redis-server`` (see ``tests/redis_server.py``).

``redis_server``
    the session's server (started once, on a free loopback port; stopped at the end).
``redis_url``
    its URL, for one test: the server is running (started again if a test killed it) and
    empty (``FLUSHALL``) when the test begins.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..redis_server import RedisServer, find_redis_server, free_port


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(find_redis_server(), free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    redis_server.start()  # a previous test may have killed it
    redis_server.flushdb()
    return redis_server.url
