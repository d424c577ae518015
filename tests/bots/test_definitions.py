"""append_model refuses, at the call, what a bot process could not run."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from core import ConfigurationError
from exchanges.bots import Bot, BotRunner, ModelDefinitionError, NotJsonError

from .models import Listener


class NotABot:
    async def main(self, args: dict[str, Any]) -> None: ...


class SyncMain(Bot):
    def main(self, args: dict[str, Any]) -> None:  # type: ignore[override]
        return None


def test_a_local_class_is_refused() -> None:
    class Local(Bot):
        async def main(self, args: dict[str, Any]) -> None: ...

    with pytest.raises(ModelDefinitionError, match="inside a function") as caught:
        BotRunner().append_model(Local, "BTC/USDT")
    assert isinstance(caught.value, ValueError)


def test_a_class_of_an_interactive_session_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    session = types.ModuleType("__main__")  # what python -i / the REPL has: no __file__
    monkeypatch.setitem(sys.modules, "__main__", session)
    Typed = type("Typed", (Bot,), {"main": Listener.main, "__module__": "__main__"})
    session.Typed = Typed  # type: ignore[attr-defined]
    with pytest.raises(ModelDefinitionError, match="interactive session"):
        BotRunner().append_model(Typed, "BTC/USDT")


def test_a_class_that_does_not_import_by_its_path_is_refused() -> None:
    ghost = type("Ghost", (Bot,), {"main": Listener.main, "__module__": "tests.bots.models"})
    with pytest.raises(ModelDefinitionError, match="does not import as this class"):
        BotRunner().append_model(ghost, "BTC/USDT")


@pytest.mark.parametrize(
    ("model", "match"), [(NotABot, "not a subclass of Bot"), (SyncMain, "async def")]
)
def test_a_model_must_be_a_bot_with_an_async_main(model: Any, match: str) -> None:
    with pytest.raises(ModelDefinitionError, match=match):
        BotRunner().append_model(model, "BTC/USDT")


def test_names_args_and_venues_are_checked() -> None:
    runner = BotRunner("binance", account="main")
    assert runner.append_model(Listener, "BTC/USDT") == "BTC/USDT"
    with pytest.raises(ModelDefinitionError, match="'BTC/USDT' is taken"):
        runner.append_model(Listener, "BTC/USDT")
    assert runner.append_model(Listener, "BTC/USDT", venue="okx", name="okx-btc") == "okx-btc"
    with pytest.raises(NotJsonError, match="args"):
        runner.append_model(Listener, "ETH/USDT", args={"when": object()})
    with pytest.raises(ModelDefinitionError, match="args"):
        runner.append_model(Listener, "ETH/USDT", args=[1])  # type: ignore[arg-type]
    with pytest.raises(ModelDefinitionError, match="name"):
        runner.append_model(Listener, "ETH/USDT", name="*")
    with pytest.raises(ConfigurationError, match="venue"):
        runner.append_model(Listener, "ETH/USDT", venue="nowhere")
    with pytest.raises(ConfigurationError, match="venue"):
        BotRunner("nowhere")
    okx = next(s for s in runner.status() if s.name == "okx-btc")
    assert (okx.venue, okx.account, okx.state.value, okx.pid) == ("okx", "main", "stopped", None)
