"""The supervisor against the simulator's faults, checked against its ground truth: every
trade the engine made is delivered exactly once (or reported in a gap), and the book
served equals the simulator's book."""

from __future__ import annotations

import asyncio

from core import EventKind, OrderBook, StreamState, Trade
from exchanges.simulator import Simulator
from tests.supervisor.conftest import (
    Events,
    Recorder,
    adapter,
    engine_trade_ids,
    leftover_tasks,
    subscribed,
)

SYMBOL = "BTC/USDT"
TRADES = "btcusdt@trade"
DEPTH = "btcusdt@depth@100ms"


async def _all_trades(sim: Simulator, got: Recorder[Trade]) -> list[str]:
    made = engine_trade_ids(sim, SYMBOL)
    await got.until(lambda items: len(items) >= len(made))
    return made


def _ids(got: Recorder[Trade]) -> list[str]:
    return [str(t.id) for t in got.items]


async def test_drop_mid_stream_resubscribes_and_backfills_the_outage(sim: Simulator) -> None:
    async with adapter(sim) as ex:
        got, events = Recorder[Trade](), Events()
        sub = await ex.subscribe_trades(SYMBOL, got, on_event=events)
        await subscribed(sim, TRADES)
        sim.step(SYMBOL, 3)
        await _all_trades(sim, got)

        assert sim.faults.drop_connections() >= 1
        sim.step(SYMBOL, 5)  # the link is down: nobody receives these
        await events.until(lambda e: "state:reconnecting" in events.kinds())
        await events.until(lambda e: events.kinds()[-1] == "state:live")
        made = await _all_trades(sim, got)
        await subscribed(sim, TRADES)
        sim.step(SYMBOL, 2)  # and the resubscribed stream carries on
        made = await _all_trades(sim, got)

        assert _ids(got) == made  # each once, in order
        stats = sub.stats
        assert stats.reconnects == 1
        assert stats.backfilled >= 5
        assert stats.gaps_unrepaired == 0


async def test_stall_with_pings_answered_is_detected_and_recovered(sim: Simulator) -> None:
    async with adapter(sim) as ex:
        got, events = Recorder[Trade](), Events()
        sub = await ex.subscribe_trades(SYMBOL, got, on_event=events, stale_after=0.5)
        await subscribed(sim, TRADES)
        sim.step(SYMBOL, 2)
        await _all_trades(sim, got)

        sim.faults.stall(TRADES)  # data withheld; the connection and pings stay up
        sim.step(SYMBOL, 4)  # REST sees these; the stream does not
        await events.until(lambda e: "state:stale" in events.kinds())
        await events.until(lambda e: "state:reconnecting" in events.kinds())
        sim.faults.clear()
        made = await _all_trades(sim, got)
        assert _ids(got) == made
        assert sub.state is StreamState.LIVE
        assert sub.stats.reconnects >= 1


async def test_a_quiet_market_is_not_a_dead_feed(sim: Simulator) -> None:
    async with adapter(sim) as ex:
        events = Events()
        sub = await ex.subscribe_trades(SYMBOL, Recorder(), on_event=events, stale_after=0.3)
        await subscribed(sim, TRADES)
        sim.step(SYMBOL, 1)
        await events.until(lambda e: "state:live" in events.kinds())
        await events.until(lambda e: any(x.kind is EventKind.QUIET for x in e))
        assert sub.stats.reconnects == 0
        assert sub.state is StreamState.LIVE


async def test_ping_silence_drops_the_link_and_reconnects(sim: Simulator) -> None:
    async with adapter(sim, stream_heartbeat=0.2) as ex:
        got, events = Recorder[Trade](), Events()
        sub = await ex.subscribe_trades(SYMBOL, got, on_event=events)
        await subscribed(sim, TRADES)
        sim.faults.silence_pings(duration=1.0)
        await events.until(lambda e: "state:reconnecting" in events.kinds())
        assert "ping-pong" in (sub.stats.last_error or "")
        await events.until(lambda e: events.kinds()[-1] == "state:live" or False, within=15)
        sim.faults.clear()
        await subscribed(sim, TRADES)
        sim.step(SYMBOL, 2)
        made = await _all_trades(sim, got)
        assert _ids(got) == made


async def test_malformed_frame_is_recovered(sim: Simulator) -> None:
    async with adapter(sim) as ex:
        got, events = Recorder[Trade](), Events()
        sub = await ex.subscribe_trades(SYMBOL, got, on_event=events, stale_after=0.5)
        await subscribed(sim, TRADES)
        sim.step(SYMBOL, 1)
        await _all_trades(sim, got)
        sim.faults.malformed_frame(TRADES)
        sim.step(SYMBOL, 3)  # the bad frame replaces one of these; the rest follow it
        await events.until(lambda e: "state:reconnecting" in events.kinds())
        made = await _all_trades(sim, got)
        assert _ids(got) == made
        assert sub.stats.gaps_unrepaired == 0


async def _book_matches(sim: Simulator, books: Recorder[OrderBook], depth: int = 10) -> None:
    engine_book = sim.state.book(SYMBOL)
    try:
        await books.until(lambda items: bool(items) and items[-1].nonce == engine_book.update_id)
    except TimeoutError:
        raise AssertionError(f"{[b.nonce for b in books.items]} {engine_book.update_id}") from None
    truth = engine_book.snapshot(depth)
    served = books.items[-1]
    assert [(p, q) for p, q in served.bids[:depth]] == [
        (float(p), float(q)) for p, q in truth["bids"]
    ]
    assert [(p, q) for p, q in served.asks[:depth]] == [
        (float(p), float(q)) for p, q in truth["asks"]
    ]


async def test_a_depth_sequence_gap_resyncs_the_book_and_never_serves_it_gapped(
    sim: Simulator,
) -> None:
    async with adapter(sim) as ex:
        books, events = Recorder[OrderBook](), Events()
        sub = await ex.subscribe_order_book(SYMBOL, books, on_event=events, queue_size=10_000)
        await subscribed(sim, DEPTH)
        sim.step(SYMBOL, 2, trades=0)
        await _book_matches(sim, books)

        sim.faults.skip_sequence(DEPTH)  # the next diff never arrives
        for _ in range(50):  # the diff after it reveals the hole
            sim.step(SYMBOL, 1, trades=0)
            try:
                await events.until(lambda e: "state:reconnecting" in events.kinds(), within=0.3)
                break
            except TimeoutError:
                continue
        assert "StreamOutOfSync" in (sub.stats.last_error or "")
        await subscribed(sim, DEPTH)
        sim.step(SYMBOL, 2, trades=0)
        await _book_matches(sim, books)
        assert sub.stats.resyncs == 1
        nonces = [b.nonce or 0 for b in books.items]
        assert nonces == sorted(set(nonces))  # strictly increasing: never out of sequence
        assert all(b.synced for b in books.items)


async def test_a_429_on_the_snapshot_waits_for_retry_after(sim: Simulator) -> None:
    async with adapter(sim) as ex:
        books, events = Recorder[OrderBook](), Events()
        sim.faults.rate_limited("/api/v3/depth", retry_after=1, count=1)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await ex.subscribe_order_book(SYMBOL, books, on_event=events)
        await events.until(lambda e: "state:reconnecting" in events.kinds())
        assert "RateLimited" in (events.items[-1].reason)
        await subscribed(sim, DEPTH)
        sim.step(SYMBOL, 1, trades=0)
        await _book_matches(sim, books)
        assert loop.time() - started >= 1.0  # the backoff honoured Retry-After


async def test_a_5xx_burst_on_the_snapshot_is_retried(sim: Simulator) -> None:
    async with adapter(sim) as ex:
        books = Recorder[OrderBook]()
        sim.faults.http_errors("/api/v3/depth", status=503, count=2)
        sub = await ex.subscribe_order_book(SYMBOL, books)
        await subscribed(sim, DEPTH)
        sim.step(SYMBOL, 1, trades=0)
        await _book_matches(sim, books)
        assert sub.stats.reconnects >= 1


async def test_close_during_reconnect_leaves_nothing_running(sim: Simulator) -> None:
    ex = adapter(sim, stream_backoff_initial=30.0, stream_backoff_max=30.0)
    await ex.connect()
    events = Events()
    await ex.subscribe_trades(SYMBOL, Recorder(), on_event=events)
    await subscribed(sim, TRADES)
    sim.faults.drop_connections()
    await events.until(lambda e: "state:reconnecting" in events.kinds())
    await ex.close()  # in the middle of a 15-30 s backoff
    assert events.kinds()[-1] == "state:closed"
    assert leftover_tasks() == []
    assert not sim.hub.connections  # and it did not dial again
