"""Fixtures for the simulator's own tests: the public plugin's, plus raw-protocol helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from exchanges.pytest_plugin import make_binance_client
from exchanges.simulator import Simulator


@pytest.fixture
def exchanges_simulator_options() -> dict[str, Any]:
    # A lively market by default; tests that need a still book pass rate=0.
    return {"seed": 7, "rate": 20.0, "trade_rate": 20.0}


# This directory's short names for the plugin's fixtures (they shadow the plugin's
# deprecated aliases of the same names, so nothing here warns).
@pytest.fixture
def simulator(exchanges_simulator: Simulator) -> Simulator:
    return exchanges_simulator


@pytest.fixture
def binance_client(exchanges_binance_client: Any) -> Any:
    return exchanges_binance_client


@pytest_asyncio.fixture
async def http(simulator: Simulator) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session for reading the wire as it is."""
    async with aiohttp.ClientSession(base_url=simulator.endpoint) as session:
        yield session


__all__ = ["make_binance_client"]
