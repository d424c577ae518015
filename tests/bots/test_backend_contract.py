"""One contract for every state backend: the runner's in-memory store, the same store as a
bot process sees it through the runner's socket, and Redis (a real ``redis-server``:
missing, these tests fail unless ``EXCHANGES_TEST_ALLOW_NO_REDIS=1``). The Redis backend's
own promises (a restarted reader loses nothing, trimmed messages are counted) follow."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator

import pytest

from core import ConfigurationError
from exchanges.bots import MemoryBackend, NotJsonError, SocketSpec, StateBackend, UnknownModelError
from exchanges.bots._redis import RedisBackend, RedisSpec
from exchanges.bots._wire import StateServer


class _NoControl:
    def hello(self, name: str, pid: int) -> None: ...
    def ready(self, name: str, pid: int) -> None: ...
    def failed(self, name: str, pid: int, error: str) -> None: ...


MODELS = (("a", "BTC/USDT"), ("b", "ETH/USDT"), ("c", "ETH/USDT"))


@pytest.fixture(params=["memory", "socket", "redis"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[StateBackend]:
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        runner = await RedisBackend.open(url, "contract")  # the runner registers...
        for name, symbol in MODELS:
            await runner.register(name, symbol)
        await runner.close()
        bot = await RedisSpec(url, "contract").connect("a")  # ...a bot's process uses it
        try:
            yield bot
        finally:
            await bot.close()
        return
    memory = MemoryBackend()
    for name, symbol in MODELS:
        await memory.register(name, symbol)
    if request.param == "memory":
        yield memory
        return
    folder = tempfile.mkdtemp(prefix="bots-test-")
    server = StateServer(os.path.join(folder, "s.sock"), memory, _NoControl())
    await server.start()
    client = await SocketSpec(server.path).connect("a")
    try:
        yield client
    finally:
        await client.close()
        await server.close()
        shutil.rmtree(folder)


async def test_state_set_read_remove(backend: StateBackend) -> None:
    assert await backend.get_state("a") == {}
    await backend.update_state("a", "last", 101.5)
    await backend.update_state("a", "book", {"bids": [[1, 2]], "ok": True, "none": None})
    await backend.update_state("b", "last", 7)
    state = await backend.get_state("a")
    assert state == {"last": 101.5, "book": {"bids": [[1, 2]], "ok": True, "none": None}}
    state["last"] = 0  # a copy: the backend's state is not changed through it
    assert (await backend.get_state("a"))["last"] == 101.5
    await backend.remove_key("a", "last")
    await backend.remove_key("a", "absent")
    assert await backend.get_state("a") == {"book": {"bids": [[1, 2]], "ok": True, "none": None}}
    assert await backend.get_state("BTC/USDT") == await backend.get_state("a")  # by symbol
    assert await backend.get_state("b") == {"last": 7}


@pytest.mark.parametrize("value", [{1, 2}, float("nan"), object(), {"k": b"bytes"}])
async def test_a_value_that_is_not_json_is_refused_naming_the_key(
    backend: StateBackend, value: object
) -> None:
    with pytest.raises(NotJsonError, match="state key 'weird'") as caught:
        await backend.update_state("a", "weird", value)
    assert isinstance(caught.value, TypeError)
    with pytest.raises(NotJsonError, match="message to 'b'"):
        await backend.publish("a", "b", value)
    assert await backend.get_state("a") == {}


async def test_unknown_or_ambiguous_models_are_named(backend: StateBackend) -> None:
    with pytest.raises(UnknownModelError, match="'nobody'"):
        await backend.get_state("nobody")
    with pytest.raises(UnknownModelError, match="use a name"):
        await backend.publish("a", "ETH/USDT", "hi")  # b and c both trade it
    with pytest.raises(LookupError):
        await backend.update_state("nobody", "k", 1)


async def test_messages_in_order_by_name_symbol_and_to_all(backend: StateBackend) -> None:
    assert await backend.publish("b", "a", {"n": 1}) == ["a"]
    assert await backend.publish("b", "BTC/USDT", {"n": 2}) == ["a"]
    assert sorted(await backend.publish("a", "*", "all")) == ["b", "c"]  # not the sender
    assert sorted(await backend.publish("c", "*", "all")) == ["a", "b"]
    got = [await backend.receive("a") for _ in range(3)]
    assert [(m.sender, m.body) for m in got] == [("b", {"n": 1}), ("b", {"n": 2}), ("c", "all")]
    assert [(await backend.receive("b")).body for _ in range(2)] == ["all", "all"]


async def test_receive_waits_for_the_next_message(backend: StateBackend) -> None:
    waiting = asyncio.create_task(backend.receive("a"))
    await asyncio.sleep(0)
    assert not waiting.done()
    await backend.publish("b", "a", [1, "two"])
    async with asyncio.timeout(5):
        message = await waiting
    assert (message.sender, message.body) == ("b", [1, "two"])


async def test_a_cancelled_receive_loses_no_message(backend: StateBackend) -> None:
    waiting = asyncio.create_task(backend.receive("a"))
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await backend.publish("b", "a", "kept")
    async with asyncio.timeout(5):
        assert (await backend.receive("a")).body == "kept"


async def test_redis_a_restarted_reader_gets_what_was_sent_while_it_was_down(
    redis_url: str,
) -> None:
    runner = await RedisBackend.open(redis_url, "restart")
    await runner.register("a", "BTC/USDT")
    try:
        first = await RedisSpec(redis_url, "restart").connect("a")
        await runner.publish("runner", "a", 1)
        await runner.publish("runner", "a", 2)
        assert (await first.receive("a")).body == 1
        await first.close()  # the bot's process ends; 2 was never taken
        await runner.publish("runner", "a", 3)  # sent while it is down
        second = await RedisSpec(redis_url, "restart").connect("a")
        try:
            async with asyncio.timeout(5):
                assert [(await second.receive("a")).body for _ in range(2)] == [2, 3]
            assert second.lost["a"] == 0
        finally:
            await second.close()
    finally:
        await runner.close()


async def test_redis_messages_trimmed_before_they_were_read_are_counted(
    redis_url: str,
) -> None:
    runner = await RedisBackend.open(redis_url, "trim", maxlen=10)
    await runner.register("a", "BTC/USDT")
    try:
        for n in range(500):  # MAXLEN ~ 10 trims whole nodes (100 entries each) at a time
            await runner.publish("runner", "a", n)
        bot = await RedisSpec(redis_url, "trim", maxlen=10).connect("a")
        try:
            async with asyncio.timeout(5):
                first = (await bot.receive("a")).body
            assert first > 0
            assert bot.lost["a"] == first  # messages 0 .. first-1: gone, and counted
        finally:
            await bot.close()
    finally:
        await runner.close()


async def test_redis_unreachable_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="unreachable"):
        await RedisSpec("redis://127.0.0.1:1/0", "x").connect("a")
