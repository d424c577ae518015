"""Run the real ``exchanges`` command as a subprocess against a simulator in this process.

The command runs in an asyncio subprocess, so the simulator keeps serving while the test
waits for it; every wait is bounded. Its environment is hermetic: a temporary working
directory (no ``.env``), HOME and XDG_CONFIG_HOME under tmp (no keys file), keyring's null
backend, no ``EXCHANGES_*`` variable from outside, and the simulator's demo credentials as
account ``demo`` of binance, resolved by the KeyManager from the environment.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from exchanges.simulator import DEMO_API_KEY, DEMO_SECRET, Simulator

from ._util import Cli


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A quiet simulator: the market moves only when a test steps it."""
    async with Simulator(seed=1, rate=0) as simulator:
        yield simulator


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("EXCHANGES_")}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg"),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        COLUMNS="200",  # rich wraps tables at 80 columns when stdout is not a terminal
        EXCHANGES_KEY__BINANCE__DEMO__API_KEY=DEMO_API_KEY,
        EXCHANGES_KEY__BINANCE__DEMO__SECRET=DEMO_SECRET,
    )
    work = tmp_path / "work"
    work.mkdir()
    return Cli(env, work)
