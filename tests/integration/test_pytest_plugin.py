"""The pytest plugin, as a user gets it from the entry point: no import, no conftest."""

from __future__ import annotations

from typing import Any

import pytest

from exchanges import BinanceExchange
from exchanges.simulator import Simulator


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """Overriding the plugin's options: a still market, so two reads see one book."""
    return {"seed": 2, "rate": 0, "trade_rate": 0}


async def test_fixtures_come_from_the_entry_point(
    simulator: Simulator, simulator_exchange: Any, binance_client: Any
) -> None:
    assert isinstance(simulator_exchange, BinanceExchange)
    assert simulator_exchange.endpoint == simulator.endpoint
    book = await simulator_exchange.fetch_order_book("BTC/USDT", limit=5)
    raw = await binance_client.fetch_order_book("BTC/USDT", 5)
    assert book.nonce == raw["nonce"]
    balance = await simulator_exchange.fetch_balance()
    assert balance["USDT"].free is not None
