"""Fixtures shared by every test directory."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import trustme

from .fakevenue import FakeVenue, start_fake_venue


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
