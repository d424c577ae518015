"""BotRunner with real bot processes (spawn) against the simulator: state both ways,
messages between bots, stop() leaving no process behind; embedded and with Redis."""

from __future__ import annotations

import os

import pytest

from exchanges.bots import BotRunner, ModelState, NotJsonError
from exchanges.simulator import Simulator

from ._util import pids_gone, until
from .models import Listener, Recorder, Teller


async def test_two_bots_share_state_with_the_runner_and_message_each_other(
    sim: Simulator, capfd: pytest.CaptureFixture[str], backend_kind: str
) -> None:
    runner = BotRunner("binance", endpoint=sim.endpoint)  # keyless: public bots
    assert (runner.redis_url is not None) is (backend_kind == "redis")
    runner.append_model(Listener, "BTC/USDT")
    runner.append_model(Teller, "ETH/USDT", args={"to": "BTC/USDT"})
    async with runner:
        await runner.start_models()
        pids = {s.symbol: s.pid for s in runner.status()}
        assert all(s.state is ModelState.RUNNING for s in runner.status())
        # state written by each bot is read by the runner; each in its own process
        for symbol in pids:
            state = await until(lambda s=symbol: _key(runner, s, "pid"))
            assert state["pid"] == pids[symbol]
            # with a URL, each bot's adapter shares the host's budget through Redis
            assert state["sharing"] == ("redis" if backend_kind == "redis" else "local")
        assert len({os.getpid(), *pids.values()}) == 3
        # the runner writes, the bot reads (told to by a message from the runner)
        await runner.write_value("BTC/USDT", "ping", {"n": 42})
        assert await runner.send("BTC/USDT", "read") == ["BTC/USDT"]
        state = await until(lambda: _key(runner, "BTC/USDT", "seen"))
        assert state["seen"] == {"n": 42}
        assert state["got"] == ["runner", "read"]
        assert "ping" not in state  # remove_key from the bot
        # what is not JSON is refused at the call: in the runner, and in the bot
        with pytest.raises(NotJsonError, match="state key 'when'"):
            await runner.write_value("BTC/USDT", "when", object())
        await runner.send("BTC/USDT", "bad")
        refused = (await until(lambda: _key(runner, "BTC/USDT", "refused")))["refused"]
        assert refused[0] == "NotJsonError"
        assert "state key 'bad'" in refused[1]
        # one bot tells the other to stop: the listener's main returns, the model stops
        await runner.send("ETH/USDT", "go")
        await until(lambda: _key(runner, "ETH/USDT", "sent_to"))
        await until(lambda: _state_is(runner, "BTC/USDT", ModelState.STOPPED))
        assert (await runner.get_model_state("BTC/USDT"))["got"] == ["ETH/USDT", "stop"]
        assert pids_gone([pids["BTC/USDT"]])
        full = await runner.get_full_state("ETH/USDT")
        assert full["account"] == {}
        assert full["model"]["sent_to"] == ["BTC/USDT"]
    # stop(): every process gone, by pid; states say so
    assert pids_gone(list(pids.values()))
    assert [s.state for s in runner.status()] == [ModelState.STOPPED] * 2
    assert "Unclosed" not in capfd.readouterr().err  # the bots closed their adapters


async def test_a_keyed_bot_sees_its_account_and_streams_trades(
    sim: Simulator, demo_keys: None
) -> None:
    async with BotRunner("binance", account="demo", endpoint=sim.endpoint) as runner:
        runner.append_model(Recorder, "BTC/USDT")
        await runner.start_models("BTC/USDT")
        state = await until(lambda: _key(runner, "BTC/USDT", "last"))
        assert state["boots"] == 1
        assert state["last"] > 0
        assert set(state["initial"]) == {"BTC", "USDT"}  # self.initial_state
        full = await runner.get_full_state("BTC/USDT")
        assert set(full["account"]) == {"BTC", "USDT"}
        assert str(full["account"]["USDT"]["total"]) == state["initial"]["USDT"]["total"]
        await runner.write_value("BTC/USDT", "stop", True)
        await until(lambda: _state_is(runner, "BTC/USDT", ModelState.STOPPED))
        assert runner.status()[0].restarts == 0


async def _key(runner: BotRunner, which: str, key: str) -> dict[str, object] | None:
    state = await runner.get_model_state(which)
    return state if key in state else None


async def _state_is(runner: BotRunner, name: str, state: ModelState) -> bool:
    return any(s.name == name and s.state is state for s in runner.status())
