"""Fixtures of the bots tests: a simulator in the test's loop, the demo keys in the
environment (bot processes inherit it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from exchanges.simulator import DEMO_API_KEY, DEMO_SECRET, Simulator


@pytest.fixture
def demo_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The simulator's demo account as ``binance``/``demo``, from the environment only."""
    monkeypatch.setenv("EXCHANGES_KEY__BINANCE__DEMO__API_KEY", DEMO_API_KEY)
    monkeypatch.setenv("EXCHANGES_KEY__BINANCE__DEMO__SECRET", DEMO_SECRET)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=5, rate=20.0, symbols=["BTC/USDT", "ETH/USDT"]) as server:
        yield server
