"""pytest fixtures for testing against the simulator.

Installing the package registers this plugin (the ``pytest11`` entry point
``exchanges_simulator``); without the entry point, add
``pytest_plugins = ["exchanges.pytest_plugin"]`` to a top-level ``conftest.py``. Every
fixture's name starts with ``exchanges_``, so the plugin adds nothing a project's own
fixtures could be confused with:

``exchanges_simulator_options``
    keyword arguments for :class:`Simulator` (override it to change seed, rate, symbols).
``exchanges_simulator``
    a started :class:`Simulator`, closed after the test.
``exchanges_binance_client``
    an unmodified ``ccxt.pro.binance`` with the demo account's credentials and
    :data:`CLIENT_OPTIONS`, every URL pointed at the simulator; closed after the test.
``exchanges_adapter``
    this library's :class:`~exchanges.BinanceExchange` on the demo account, connected to
    the simulator (markets loaded); closed after the test. What a strategy under test
    takes in place of ``ExchangeFactory.get_exchange("binance", ...)``.

The fixtures are function-scoped: each test gets its own simulator, in its own event
loop, whatever ``asyncio_default_fixture_loop_scope`` says (docs/testing.md).

Deprecated, for one release: the names before the prefix, ``simulator``,
``binance_client``, ``simulator_exchange`` (each warns with a :class:`DeprecationWarning`
naming its new name), and a project's own ``simulator_options`` fixture (still honoured,
with a warning: override ``exchanges_simulator_options``).

ccxt is imported inside the client fixture only: the simulator itself never imports it.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from exchanges.simulator._client_options import CLIENT_OPTIONS
from exchanges.simulator._server import Simulator
from exchanges.simulator._spec import DEMO_API_KEY, DEMO_SECRET
from exchanges.venues.binance_endpoint import endpoint_urls

_DEFAULT_OPTIONS: dict[str, Any] = {"seed": 1}


@pytest.fixture
def exchanges_simulator_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Keyword arguments for the ``exchanges_simulator`` fixture's :class:`Simulator`."""
    try:  # a project's override under the old name (the plugin no longer defines it)
        options: dict[str, Any] = request.getfixturevalue("simulator_options")
    except pytest.FixtureLookupError:
        return dict(_DEFAULT_OPTIONS)
    _deprecated("simulator_options", "exchanges_simulator_options", "override")
    return options


@pytest_asyncio.fixture
async def exchanges_simulator(
    exchanges_simulator_options: dict[str, Any],
) -> AsyncIterator[Simulator]:
    """A started :class:`Simulator`, closed after the test."""
    async with Simulator(**exchanges_simulator_options) as sim:
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
async def exchanges_binance_client(exchanges_simulator: Simulator) -> AsyncIterator[Any]:
    """An unmodified ``ccxt.pro.binance`` on the simulator's demo account."""
    client = make_binance_client(exchanges_simulator)
    try:
        yield client
    finally:
        await client.close()


@pytest_asyncio.fixture
async def exchanges_adapter(exchanges_simulator: Simulator) -> AsyncIterator[Any]:
    """This library's ``BinanceExchange`` on the simulator's demo account, connected."""
    from exchanges.venues.binance import BinanceExchange

    credentials = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}
    async with BinanceExchange(
        endpoint=exchanges_simulator.endpoint, credentials=credentials, account="demo"
    ) as exchange:
        yield exchange


# ---------------------------------------------------------------- deprecated names
def _deprecated(old: str, new: str, verb: str = "use") -> None:
    warnings.warn(
        f"the exchanges plugin's `{old}` fixture is deprecated and goes in the next "
        f"release: {verb} `{new}`",
        DeprecationWarning,
        stacklevel=2,
    )


@pytest.fixture
def simulator(exchanges_simulator: Simulator) -> Simulator:
    """Deprecated: ``exchanges_simulator``."""
    _deprecated("simulator", "exchanges_simulator")
    return exchanges_simulator


@pytest.fixture
def binance_client(exchanges_binance_client: Any) -> Any:
    """Deprecated: ``exchanges_binance_client``."""
    _deprecated("binance_client", "exchanges_binance_client")
    return exchanges_binance_client


@pytest.fixture
def simulator_exchange(exchanges_adapter: Any) -> Any:
    """Deprecated: ``exchanges_adapter``."""
    _deprecated("simulator_exchange", "exchanges_adapter")
    return exchanges_adapter
