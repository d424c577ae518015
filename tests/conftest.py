"""Fixtures shared by every test directory.

Every test also fails on what ``python -X dev`` only prints: an exception no one read, in
a task or future ("Task exception was never retrieved", reported when the object is
finalized) or in a task still running when the loop closed ("unhandled exception during
asyncio.run() shutdown"). Garbage is collected at teardown, after the test's event loop
has closed, so such objects are finalized (and reported) within the test that made them.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Iterator

import pytest
import trustme

from .fakevenue import FakeVenue, start_fake_venue
from .redis_server import RedisServer, find_redis_server, free_port

#: what asyncio reports for an exception no one read: a task or future finalized with it
#: unread, and a task still running when its loop closed that then raised
_UNREAD = ("exception was never retrieved", "unhandled exception during asyncio.run() shutdown")


class _UnretrievedExceptions(logging.Handler):
    """Collects asyncio's reports of exceptions nobody retrieved."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.reports: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if any(text in message for text in _UNREAD):
            self.reports.append(" ".join(message.splitlines()[:2]))


@pytest.fixture(autouse=True)
def no_unretrieved_task_exceptions() -> Iterator[None]:
    """Fail a test that leaves a task's (or future's) exception unread. Autouse, so set up
    before the test's event loop and torn down after it closed."""
    reports = _UnretrievedExceptions()
    logger = logging.getLogger("asyncio")
    level = logger.level
    if logger.getEffectiveLevel() > logging.ERROR:  # a test quietened logging: still see it
        logger.setLevel(logging.ERROR)
    logger.addHandler(reports)
    try:
        yield
        gc.collect()  # finalize what the test dropped: asyncio reports it from __del__
    finally:
        logger.removeHandler(reports)
        logger.setLevel(level)
    if reports.reports:
        pytest.fail("\n".join(reports.reports), pytrace=False)


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    """A throwaway certificate authority for the fake venue's TLS."""
    return trustme.CA()


@pytest.fixture
async def fake_venue(ca: trustme.CA) -> AsyncIterator[FakeVenue]:
    """A TLS server on loopback that every venue hostname resolves to (see fakevenue.py)."""
    venue, close = await start_fake_venue(ca)
    try:
        yield venue
    finally:
        await close()


# ------------------------------------------------------------------ a real redis-server
# one per session, for tests/sharing and tests/bots alike (tests/redis_server.py)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """The session's server: started once, on a free loopback port; stopped at the end. A
    missing ``redis-server`` fails the tests that use it (``tests/redis_server.py``)."""
    server = RedisServer(find_redis_server(), free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """Its URL for one test: running (started again if a test killed it) and empty."""
    redis_server.start()  # a previous test may have killed it
    redis_server.flushdb()
    return redis_server.url
