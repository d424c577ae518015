"""pytest fixtures for testing against the simulator.

Register with ``pytest_plugins = ["exchanges.pytest_plugin"]`` in a top-level
``conftest.py`` (or through the package's ``pytest11`` entry point). Fixtures:

``simulator_options``
    keyword arguments for :class:`Simulator` (override it to change seed, rate, symbols).
``simulator``
    a started :class:`Simulator`, closed after the test.
``binance_client``
    an unmodified ``ccxt.pro.binance`` with the demo account's credentials and
    :data:`CLIENT_OPTIONS`, every URL pointed at the simulator; closed after the test.
``simulator_exchange``
    this library's :class:`~exchanges.BinanceExchange` on the demo account, connected to
    the simulator (markets loaded); closed after the test. What a strategy under test
    takes in place of ``ExchangeFactory.get_exchange("binance", ...)``.

ccxt is imported inside the client fixture only: the simulator itself never imports it.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from exchanges.simulator._client_options import CLIENT_OPTIONS
from exchanges.simulator._server import Simulator
from exchanges.simulator._spec import DEMO_API_KEY, DEMO_SECRET
from exchanges.venues.binance_endpoint import endpoint_urls


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """Keyword arguments for the ``simulator`` fixture's :class:`Simulator`."""
    return {"seed": 1}


@pytest_asyncio.fixture
async def simulator(simulator_options: dict[str, Any]) -> AsyncIterator[Simulator]:
    async with Simulator(**simulator_options) as sim:
        yield sim


def make_binance_client(sim: Simulator, **config: Any) -> Any:
    """A ``ccxt.pro.binance`` pointed at ``sim`` with the demo account (override with
    ``apiKey``/``secret``); the caller must ``await client.close()``."""
    import ccxt.pro  # here, not at the top: keeps ccxt out of the simulator's imports

    options = {**copy.deepcopy(CLIENT_OPTIONS), **config.pop("options", {})}
    client = ccxt.pro.binance(
        {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET, "options": options, **config}
    )
    client.urls = endpoint_urls(client.urls, sim.endpoint)
    return client


@pytest_asyncio.fixture
async def binance_client(simulator: Simulator) -> AsyncIterator[Any]:
    client = make_binance_client(simulator)
    try:
        yield client
    finally:
        await client.close()


@pytest_asyncio.fixture
async def simulator_exchange(simulator: Simulator) -> AsyncIterator[Any]:
    from exchanges.venues.binance import BinanceExchange

    credentials = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}
    async with BinanceExchange(
        endpoint=simulator.endpoint, credentials=credentials, account="demo"
    ) as exchange:
        yield exchange
