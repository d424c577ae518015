"""Fixtures for the simulator's own tests: the public plugin's, plus raw-protocol helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from exchanges.pytest_plugin import (  # noqa: F401 - fixtures
    binance_client,
    make_binance_client,
    simulator,
)
from exchanges.simulator import Simulator


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    # A lively market by default; tests that need a still book pass rate=0.
    return {"seed": 7, "rate": 20.0, "trade_rate": 20.0}


@pytest_asyncio.fixture
async def http(simulator: Simulator) -> AsyncIterator[aiohttp.ClientSession]:  # noqa: F811
    """A plain aiohttp session for reading the wire as it is."""
    async with aiohttp.ClientSession(base_url=simulator.endpoint) as session:
        yield session


__all__ = ["make_binance_client"]
