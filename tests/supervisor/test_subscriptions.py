"""Subscriptions: shared streams, iterators, per-subscriber queues, refusals, shutdown."""

from __future__ import annotations

import asyncio

import pytest

from core import BadRequest, BadSymbol, EventKind, StreamState, Trade
from exchanges.simulator import Simulator
from exchanges.venues.binance import BinanceExchange
from tests.supervisor.conftest import (
    Events,
    Recorder,
    adapter,
    engine_trade_ids,
    leftover_tasks,
    subscribed,
)


async def test_subscribers_of_one_symbol_share_one_stream(
    sim: Simulator, ex: BinanceExchange
) -> None:
    first, second = Recorder[Trade](), Recorder[Trade]()
    sub1 = await ex.subscribe_trades("BTC/USDT", first)
    sub2 = await ex.subscribe_trades("BTC/USDT", second)
    await ex.subscribe_trades("ETH/USDT", Recorder[Trade]())
    await subscribed(sim, "btcusdt@trade", "ethusdt@trade")
    streams = ex.health().streams
    assert [(str(s.key), s.subscribers) for s in streams] == [
        ("trades:BTC/USDT", 2),
        ("trades:ETH/USDT", 1),
    ]
    sim.step("BTC/USDT", 5)
    made = engine_trade_ids(sim, "BTC/USDT")
    await first.until(lambda items: len(items) == len(made))
    await second.until(lambda items: len(items) == len(made))
    assert [t.id for t in first.items] == made
    assert [t.id for t in second.items] == made

    await sub1.cancel()
    assert sub1.state is StreamState.CLOSED
    assert sub2.state is StreamState.LIVE
    sim.step("BTC/USDT", 2)
    made = engine_trade_ids(sim, "BTC/USDT")
    await second.until(lambda items: len(items) == len(made))
    assert len(first.items) < len(made)
    await sub2.cancel()
    assert [str(s.key) for s in ex.health().streams] == ["trades:ETH/USDT"]


async def test_stream_iterator_yields_in_order_and_is_released_on_break(
    sim: Simulator, ex: BinanceExchange
) -> None:
    events = Events()
    ex.supervisor.add_listener(events)
    sim.step("BTC/USDT", 1)  # before the subscription: not streamed
    stream = ex.stream_trades("BTC/USDT")
    got: list[str | None] = []
    async with asyncio.timeout(10):
        await stream.start()
        before = len(engine_trade_ids(sim, "BTC/USDT"))
        await subscribed(sim, "btcusdt@trade")
        sim.step("BTC/USDT", 4)
        made = engine_trade_ids(sim, "BTC/USDT")[before:]
        async for trade in stream:
            got.append(trade.id)
            if len(got) == len(made):
                break
    assert got == made
    del stream  # dropped by its user: the finalizer detaches it
    await events.until(lambda items: any(e.state is StreamState.CLOSED for e in items))
    assert ex.health().streams == ()


async def test_a_slow_consumer_overflows_alone_and_the_drop_is_counted(
    sim: Simulator, ex: BinanceExchange
) -> None:
    release = asyncio.Event()
    slow_seen = Recorder[Trade]()

    async def slow(trade: Trade) -> None:
        slow_seen(trade)
        await release.wait()

    overflow = Events()
    fast = Recorder[Trade]()
    slow_sub = await ex.subscribe_trades("BTC/USDT", slow, queue_size=3, on_event=overflow)
    fast_sub = await ex.subscribe_trades("BTC/USDT", fast)
    await subscribed(sim, "btcusdt@trade")
    sim.step("BTC/USDT", 1)
    await slow_seen.until(lambda items: len(items) == 1)  # the slow callback is now stuck
    for _ in range(10):
        sim.step("BTC/USDT", 1)
        made = engine_trade_ids(sim, "BTC/USDT")
        count = len(made)
        await fast.until(lambda items: len(items) == count)  # noqa: B023 - awaited here
    assert [t.id for t in fast.items] == made  # the fast subscriber was never held up
    stats = slow_sub.stats
    assert stats.queued == 3
    assert stats.dropped > 0
    assert sum(e.count for e in overflow.items if e.kind is EventKind.OVERFLOW) == stats.dropped
    release.set()
    await slow_seen.until(lambda items: len(items) == len(made) - stats.dropped)
    seen = [t.id for t in slow_seen.items]
    assert len(seen) + stats.dropped == len(made)
    assert seen[-3:] == made[-3:]  # the newest are kept, in order
    assert seen == [i for i in made if i in set(seen)]
    assert fast_sub.stats.dropped == 0


async def test_bad_symbol_and_timeframe_are_refused_before_anything_is_sent(
    sim: Simulator, ex: BinanceExchange
) -> None:
    connections = len(sim.hub.connections)
    with pytest.raises(BadSymbol, match="NOPE/USDT"):
        await ex.subscribe_trades("NOPE/USDT", print)
    with pytest.raises(BadSymbol, match="NOPE/USDT"):
        async for _ in ex.stream_order_book("NOPE/USDT"):
            pass
    with pytest.raises(BadRequest, match="timeframe"):
        await ex.subscribe_ohlcv("BTC/USDT", print, timeframe="7m")
    assert ex.health().streams == ()
    assert len(sim.hub.connections) == connections


async def test_close_ends_iterators_and_leaves_no_task(sim: Simulator) -> None:
    ex = adapter(sim)
    await ex.connect()
    await ex.subscribe_order_book("BTC/USDT", Recorder())
    await ex.subscribe_ohlcv("BTC/USDT", Recorder(), timeframe="1m")
    stream = ex.stream_trades("ETH/USDT")
    await stream.start()
    await subscribed(sim, "ethusdt@trade", "btcusdt@depth@100ms")
    ended = asyncio.Event()

    async def consume() -> None:
        async for _ in stream:
            pass
        ended.set()  # iteration ended without an error

    consumer = asyncio.create_task(consume())
    sim.step("ETH/USDT", 2)
    await ex.close()
    async with asyncio.timeout(5):
        await ended.wait()
    await consumer
    assert stream.state is StreamState.CLOSED
    assert leftover_tasks() == []
    assert ex.health().streams == ()


async def test_plain_callbacks_run_in_line_and_their_errors_are_counted(
    sim: Simulator, ex: BinanceExchange
) -> None:
    got = Recorder[Trade]()
    calls = 0

    def flaky(trade: Trade) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("a bug in the strategy")
        got(trade)

    async def forgot_async(trade: Trade) -> None:  # wrapped in a plain function by mistake
        return None

    sub = await ex.subscribe_trades("BTC/USDT", flaky)
    wrong = await ex.subscribe_trades("BTC/USDT", lambda t: forgot_async(t))
    await subscribed(sim, "btcusdt@trade")
    sim.step("BTC/USDT", 3)
    made = engine_trade_ids(sim, "BTC/USDT")
    await got.until(lambda items: len(items) == len(made) - 1)
    assert [t.id for t in got.items] == made[1:]  # the stream went on, in order
    assert sub.stats.callback_errors == 1
    assert sub.stats.delivered == len(made)
    assert wrong.stats.callback_errors == len(made)  # each returned coroutine was refused
