"""Restarts: a bot that raises or is killed (SIGKILL) comes back with its state; one that
keeps failing is marked failed with its error, the others running on."""

from __future__ import annotations

import os
import random
import signal

import pytest

from exchanges.bots import BotRunner, ModelState, ModelStatus
from exchanges.bots._supervise import FailureWindow, backoff, describe_exit
from exchanges.simulator import Simulator

from ._util import alive, until
from .models import Crasher, Idle


def _status(runner: BotRunner, name: str) -> ModelStatus:
    return next(s for s in runner.status() if s.name == name)


async def test_a_killed_bot_restarts_with_its_state(sim: Simulator, backend_kind: str) -> None:
    runner = BotRunner("binance", endpoint=sim.endpoint, backoff_initial=0.05)
    runner.append_model(Crasher, "BTC/USDT", args={"fail": 0})
    async with runner:
        await runner.start_models()
        first = runner.status()[0].pid
        assert first is not None
        await until(lambda: _has(runner, "boots", 1))
        await runner.write_value("BTC/USDT", "kept", "by the runner")
        os.kill(first, signal.SIGKILL)
        await until(lambda: _has(runner, "boots", 2))  # the second boot read the first's
        status = runner.status()[0]
        assert status.restarts == 1
        assert status.last_error == "killed by SIGKILL"
        assert status.pid not in (None, first)
        assert not alive(first)
        state = await runner.get_model_state("BTC/USDT")
        assert state["kept"] == "by the runner"
        assert state["pid"] == status.pid
        await until(lambda: _running(runner, "BTC/USDT"))


async def test_a_raising_bot_restarts_and_one_that_keeps_failing_is_failed(
    sim: Simulator,
) -> None:
    runner = BotRunner(
        "binance", endpoint=sim.endpoint, max_restarts=1, backoff_initial=0.05, backoff_max=0.1
    )
    runner.append_model(Crasher, "BTC/USDT", args={"fail": 1})  # fails once, then runs
    runner.append_model(Crasher, "ETH/USDT", args={"fail": -1})  # always fails
    async with runner:
        await runner.start_models()
        await until(lambda: _state_is(runner, "ETH/USDT", ModelState.FAILED))
        failed = _status(runner, "ETH/USDT")
        assert failed.last_error == "RuntimeError: boom 2"
        assert failed.restarts == 1
        assert failed.pid is None
        assert (await runner.get_model_state("ETH/USDT"))["boots"] == 2
        await until(lambda: _has(runner, "boots", 2, "BTC/USDT"))
        await until(lambda: _running(runner, "BTC/USDT"))
        steady = _status(runner, "BTC/USDT")
        assert steady.restarts == 1
        assert steady.last_error == "RuntimeError: boom 1"
        assert steady.pid is not None
        assert alive(steady.pid)


async def test_a_venue_error_is_one_line_a_bug_in_the_model_its_traceback(
    sim: Simulator, capfd: pytest.CaptureFixture[str]
) -> None:
    """A bot whose adapter cannot reach its venue says so in one log line (no traceback of
    the library's internals); a model that raises shows where, as a traceback."""
    runner = BotRunner("binance", endpoint="http://127.0.0.1:1", max_restarts=0)
    runner.append_model(Idle, "BTC/USDT")  # never gets past connecting
    async with runner:
        await runner.start_models()
        await until(lambda: _state_is(runner, "BTC/USDT", ModelState.FAILED))
        assert _status(runner, "BTC/USDT").last_error.startswith("ExchangeUnavailable")
    err = capfd.readouterr().err
    assert "bots.model_failed" in err
    assert "Traceback" not in err
    crashing = BotRunner("binance", endpoint=sim.endpoint, max_restarts=0)
    crashing.append_model(Crasher, "BTC/USDT", args={"fail": -1})
    async with crashing:
        await crashing.start_models()
        await until(lambda: _state_is(crashing, "BTC/USDT", ModelState.FAILED))
    err = capfd.readouterr().err
    assert "Traceback" in err
    assert "RuntimeError: boom 1" in err


def test_backoff_is_capped_and_jittered() -> None:
    rng = random.Random(7)
    delays = [backoff(n, 0.5, 4.0, rng) for n in range(1, 8)]
    for n, delay in enumerate(delays, 1):
        full = min(4.0, 0.5 * 2 ** (n - 1))
        assert full / 2 <= delay <= full
    assert len({round(d, 6) for d in delays[3:]}) > 1  # capped, yet not in step


def test_the_failure_window_forgets_old_failures() -> None:
    window = FailureWindow(max_restarts=2, window=10.0)
    assert window.record(0.0)
    assert window.record(1.0)
    assert not window.record(2.0)  # a third within 10 s: final
    window = FailureWindow(max_restarts=2, window=10.0)
    assert window.record(0.0)
    assert window.record(1.0)
    assert window.record(20.0)  # the first two are out of the window
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(1) == "exited with 1"


async def _has(runner: BotRunner, key: str, value: object, which: str = "BTC/USDT") -> bool:
    return (await runner.get_model_state(which)).get(key) == value


async def _state_is(runner: BotRunner, name: str, state: ModelState) -> bool:
    return _status(runner, name).state is state


async def _running(runner: BotRunner, name: str) -> bool:
    return await _state_is(runner, name, ModelState.RUNNING)
