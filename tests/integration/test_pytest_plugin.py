"""The pytest plugin, as a user gets it from the entry point: no import, no conftest; and
from a separate project, run by pytest in a subprocess, as a user's project runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from exchanges import BinanceExchange
from exchanges.simulator import Simulator


@pytest.fixture
def exchanges_simulator_options() -> dict[str, Any]:
    """Overriding the plugin's options: a still market, so two reads see one book."""
    return {"seed": 2, "rate": 0, "trade_rate": 0}


async def test_fixtures_come_from_the_entry_point(
    exchanges_simulator: Simulator, exchanges_adapter: Any, exchanges_binance_client: Any
) -> None:
    assert isinstance(exchanges_adapter, BinanceExchange)
    assert exchanges_adapter.endpoint == exchanges_simulator.endpoint
    book = await exchanges_adapter.fetch_order_book("BTC/USDT", limit=5)
    raw = await exchanges_binance_client.fetch_order_book("BTC/USDT", 5)
    assert book.nonce == raw["nonce"]
    balance = await exchanges_adapter.fetch_balance()
    assert balance["USDT"].free is not None


PYPROJECT = """\
[tool.pytest.ini_options]
asyncio_default_fixture_loop_scope = "function"
"""
NEW_NAMES = """\
import pytest


@pytest.mark.asyncio
async def test_strategy(exchanges_adapter, exchanges_simulator):
    book = await exchanges_adapter.fetch_order_book("BTC/USDT", limit=5)
    assert book.bids
    assert exchanges_adapter.endpoint == exchanges_simulator.endpoint
"""
OLD_NAMES = """\
import pytest


@pytest.fixture
def simulator_options():
    return {"seed": 5, "rate": 0}


@pytest.mark.asyncio
async def test_old_names(simulator_exchange, simulator):
    assert simulator_exchange.endpoint == simulator.endpoint
"""


def pytest_in(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own test project
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_separate_project_gets_the_fixtures_without_warnings(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)  # what docs/testing.md says to set
    (tmp_path / "test_strategy.py").write_text(NEW_NAMES)
    (tmp_path / "test_old.py").write_text(OLD_NAMES)
    new = pytest_in(tmp_path, "-W", "error", "test_strategy.py")
    assert new.returncode == 0, new.stdout + new.stderr
    assert "1 passed" in new.stdout
    assert "warning" not in new.stdout.lower()

    old = pytest_in(tmp_path, "test_old.py")
    assert old.returncode == 0, old.stdout + old.stderr
    for name, new_name in [
        ("simulator_exchange", "exchanges_adapter"),
        ("simulator", "exchanges_simulator"),
        ("simulator_options", "exchanges_simulator_options"),
    ]:
        assert f"DeprecationWarning: the exchanges plugin's `{name}` fixture" in old.stdout
        assert f"`{new_name}`" in old.stdout
