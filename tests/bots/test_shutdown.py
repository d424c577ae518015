"""Shutdown: SIGTERM or Ctrl-C stops every bot; a SIGKILLed runner leaves no orphan; a bot
that ignores its cancellation is killed after the grace period."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from exchanges.bots import BotRunner, ModelState
from exchanges.simulator import Simulator

from ._util import alive, pids_gone, until
from .models import Stubborn

ROOT = Path(__file__).resolve().parents[2]
Process = asyncio.subprocess.Process


@contextlib.asynccontextmanager
async def _runner_process(
    sim: Simulator,
) -> AsyncIterator[tuple[asyncio.subprocess.Process, list[int]]]:
    """A runner in a subprocess, and its bots' pids; whatever happens, its process group
    is gone after the block."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.bots.runner_script",
        sim.endpoint,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,  # a process group of its own, as a terminal gives
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            line = await process.stdout.readline()
        pids: list[int] = json.loads(line)["pids"]
        assert all(pids)
        assert process.pid not in pids
        yield process, pids
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()


async def _finish(process: asyncio.subprocess.Process) -> tuple[bytes, bytes]:
    async with asyncio.timeout(30):
        out, err = await process.communicate()
    return out, err


async def test_a_sigkilled_runner_leaves_no_orphan(sim: Simulator) -> None:
    async with _runner_process(sim) as (process, pids):
        os.kill(process.pid, signal.SIGKILL)
        await _finish(process)
        started = time.monotonic()
        await until(lambda: _gone(pids), within=10.0)  # the bots saw their parent die
        assert time.monotonic() - started < 10.0


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT to the group"])
async def test_a_signal_stops_the_runner_and_every_bot(sim: Simulator, how: str) -> None:
    async with _runner_process(sim) as (process, pids):
        if how == "SIGTERM":
            os.kill(process.pid, signal.SIGTERM)
        else:  # Ctrl-C in a terminal: every process of the group gets SIGINT
            os.killpg(process.pid, signal.SIGINT)
        out, err = await _finish(process)
    assert process.returncode == 0, err.decode()
    assert json.loads(out.splitlines()[-1]) == {"states": ["stopped"]}
    assert pids_gone(pids)
    assert b"KeyboardInterrupt" not in err
    assert b"Traceback" not in err


async def test_a_bot_ignoring_its_cancellation_is_killed_after_the_grace(
    sim: Simulator,
) -> None:
    runner = BotRunner("binance", endpoint=sim.endpoint, stop_grace=0.5)
    runner.append_model(Stubborn, "BTC/USDT")
    await runner.start_models()
    await until(lambda: runner.get_model_state("BTC/USDT"))
    pid = runner.status()[0].pid
    assert pid is not None
    started = time.monotonic()
    await runner.stop()
    assert time.monotonic() - started < 5.0
    assert not alive(pid)
    assert runner.status()[0].state is ModelState.STOPPED


async def _gone(pids: list[int]) -> bool:
    return pids_gone(pids)
