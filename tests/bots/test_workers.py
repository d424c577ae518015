"""Workers: ``exchanges bots worker`` in a process of its own (another host, here another
process) runs the models a runner assigns to it; ``exchanges bots status`` lists every
model; a SIGKILLed worker's models are marked failed; stop() stops remote models too."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import redis.asyncio as aioredis

from exchanges.bots import BotRunner, ModelState, ModelStatus
from exchanges.simulator import Simulator

from ._util import alive, pids_gone, until
from .models import Listener, Teller

ROOT = Path(__file__).resolve().parents[2]
CLI = ("-c", "from exchanges.cli._app import app; app()")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}


@contextlib.asynccontextmanager
async def _worker(url: str, name: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """``exchanges bots worker --name NAME`` in a process group of its own, once its
    heartbeat is in Redis; whatever happens, the group is gone after the block."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, *CLI, "bots", "worker", "--name", name, "--heartbeat", "1",
        cwd=ROOT, env=_env(), stderr=asyncio.subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    client = aioredis.Redis.from_url(url)
    try:
        key = f"exchanges:bots:worker:{name}:alive"
        await until(lambda: client.exists(key), within=30.0)
        yield process
    finally:
        await client.aclose()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()


def _status(runner: BotRunner, name: str) -> ModelStatus:
    return next(s for s in runner.status() if s.name == name)


async def _cli_status() -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, *CLI, "bots", "status", cwd=ROOT, env={**_env(), "COLUMNS": "200"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(30):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_a_worker_runs_the_model_the_runner_assigns_and_stops_it(
    sim: Simulator, redis_env: str
) -> None:
    redis_url = redis_env
    async with _worker(redis_url, "w1") as worker:
        runner = BotRunner("binance", endpoint=sim.endpoint, name="main", heartbeat=1.0)
        runner.append_model(Listener, "BTC/USDT", on="w1")
        runner.append_model(Teller, "ETH/USDT", args={"to": "BTC/USDT"})  # here
        async with runner:
            await runner.start_models()
            remote, local = _status(runner, "BTC/USDT"), _status(runner, "ETH/USDT")
            assert remote.state is ModelState.RUNNING
            assert remote.pid not in (None, os.getpid(), worker.pid, local.pid)
            assert alive(remote.pid)
            state = await until(lambda: _key(runner, "BTC/USDT", "pid"))
            assert state["pid"] == remote.pid  # state written on the worker's side
            assert state["sharing"] == "redis"
            await runner.write_value("BTC/USDT", "ping", "from main")
            await runner.send("BTC/USDT", "read")
            assert (await until(lambda: _key(runner, "BTC/USDT", "seen")))["seen"] == "from main"
            table = await _cli_status()
            for text in ("main", "BTC/USDT", "ETH/USDT", "w1", str(remote.pid), "running"):
                assert text in table
        # stop() stopped the remote model, on the worker, which runs on
        assert _status(runner, "BTC/USDT").state is ModelState.STOPPED
        await until(lambda: _gone([remote.pid]), within=10.0)
        assert worker.returncode is None
        assert "stopped" in await _cli_status()
        worker.terminate()  # SIGTERM: the worker ends, cleanly
        async with asyncio.timeout(20):
            _, err = await worker.communicate()
        assert worker.returncode == 0, err.decode()
        assert b"Traceback" not in err


async def test_a_killed_worker_has_its_models_marked_failed_and_leaves_no_bot(
    sim: Simulator, redis_env: str
) -> None:
    redis_url = redis_env
    async with _worker(redis_url, "w2") as worker:
        runner = BotRunner("binance", endpoint=sim.endpoint, name="main", heartbeat=1.0)
        runner.append_model(Listener, "BTC/USDT", on="w2")
        async with runner:
            await runner.start_models()
            pid = _status(runner, "BTC/USDT").pid
            assert pid is not None
            os.kill(worker.pid, signal.SIGKILL)
            await until(lambda: _failed(runner, "BTC/USDT"), within=10.0)
            status = _status(runner, "BTC/USDT")
            assert status.last_error == "worker 'w2' lost: its heartbeat expired"
            assert status.pid is None
            await until(lambda: _gone([pid]), within=10.0)  # the bot saw its parent die


async def _key(runner: BotRunner, which: str, key: str) -> dict[str, object] | None:
    state = await runner.get_model_state(which)
    return state if key in state else None


async def _failed(runner: BotRunner, name: str) -> bool:
    return _status(runner, name).state is ModelState.FAILED


async def _gone(pids: list[int | None]) -> bool:
    return pids_gone([p for p in pids if p is not None])
