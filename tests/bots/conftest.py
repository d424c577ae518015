"""Fixtures of the bots tests: a simulator in the test's loop, the demo keys in the
environment (bot processes inherit it), a real ``redis-server`` (``redis_url``: running and
empty for each test; missing, a failure unless ``EXCHANGES_TEST_ALLOW_NO_REDIS=1``), and
``backend_kind``: each runner test once embedded, once with ``EXCHANGES_REDIS_URL`` set."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from core import get_settings
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


@pytest.fixture
def redis_env(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``EXCHANGES_REDIS_URL`` set to the test's server (this process and its children)."""
    monkeypatch.setenv("EXCHANGES_REDIS_URL", redis_url)
    get_settings.cache_clear()
    yield redis_url
    get_settings.cache_clear()


@pytest.fixture(params=["embedded", "redis"])
def backend_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``"embedded"`` (no URL) or ``"redis"`` (``EXCHANGES_REDIS_URL`` set for the runner
    and, through the environment, for its bots' processes)."""
    monkeypatch.delenv("EXCHANGES_REDIS_URL", raising=False)
    if request.param == "redis":
        monkeypatch.setenv("EXCHANGES_REDIS_URL", request.getfixturevalue("redis_url"))
    get_settings.cache_clear()  # the process-wide settings, read again
    yield request.param
    get_settings.cache_clear()
