"""Fan-out in one process pair: two adapters on one Redis, one simulator. The first to
subscribe holds the WebSocket and publishes; the other reads the Redis Stream through the
same API and gets the same records, states and events; the records survive the trip
through Redis exactly."""

from __future__ import annotations

import asyncio
from typing import Any

from core import Candle, OrderBook, Settings, Ticker, Trade
from core._enums import Side, TakerOrMaker
from core._streams import Channel, EventKind, Gap, StreamEvent, StreamKey, StreamState
from exchanges import BinanceExchange
from exchanges.cli._watch import health_view
from exchanges.sharing._codec import decode, encode_event, encode_records
from exchanges.sharing._lease import this_holder
from exchanges.simulator import Simulator

from ..cli.test_views import text
from ..supervisor.conftest import Recorder, engine_trade_ids

FAST = {"stream_backoff_initial": 0.05, "stream_backoff_max": 0.3, "request_timeout": 3.0}


def shared(sim: Simulator, url: str | None) -> BinanceExchange:
    return BinanceExchange(endpoint=sim.endpoint, settings=Settings(redis_url=url, **FAST))


RECORDS: dict[Channel, list[Any]] = {
    Channel.TICKER: [
        Ticker(
            "BTC/USDT",
            1_700_000_000_123,
            0.1 + 0.2,
            1e-9,
            3.0,
            None,
            1 / 3,
            5.5,
            7.25,
            1.0,
            2.0,
            123456789.123456789,
            None,
            -0.5,
            -1.25,
            2.2250738585072014e-308,
        ),
        Ticker("ETH/USDT"),
    ],
    Channel.TRADES: [
        Trade(
            "BTC/USDT",
            "12345",
            1_700_000_000_001,
            27000.01,
            0.0012,
            Side.BUY,
            32.400012,
            TakerOrMaker.TAKER,
        ),
        Trade("BTC/USDT", None, None, 1.0, 2.0),
    ],
    Channel.ORDER_BOOK: [
        OrderBook(
            "BTC/USDT",
            ((27000.5, 1.25), (26999.0, 0.001)),
            ((27001.0, 3.0),),
            1_700_000_000_002,
            987654321,
            True,
        ),
        OrderBook("BTC/USDT", (), (), None, None, False),
    ],
    Channel.OHLCV: [Candle(1_700_000_000_000, 1.5, 2.75, 1.0, 2.0, 1e6 / 7)],
}


def test_every_public_record_survives_the_trip_exactly() -> None:
    for channel, records in RECORDS.items():
        key = StreamKey(channel, "BTC/USDT", "1m" if channel is Channel.OHLCV else None)
        raw = encode_records(key, 3, 41, StreamState.LIVE, 1.5, records)
        entry = decode(key, raw)
        assert (entry.fence, entry.seq, entry.state, entry.sent_at) == (
            3,
            41,
            StreamState.LIVE,
            1.5,
        )
        assert entry.records == records
        assert [type(r) for r in entry.records] == [type(r) for r in records]
        for got, sent in zip(entry.records, records, strict=True):
            for name in sent.__slots__:
                assert type(getattr(got, name)) is type(getattr(sent, name)), name


def test_events_survive_the_trip() -> None:
    key = StreamKey(Channel.TRADES, "BTC/USDT")
    gap = Gap(key, False, "10", "19", 1, 2, 10, 0, "backfill failed: no")
    for event in (
        StreamEvent(EventKind.GAP, key, StreamState.LIVE, reason="r", gap=gap, count=0, at=5.0),
        StreamEvent(EventKind.STATE, key, StreamState.RECONNECTING, reason="x", at=6.0),
    ):
        entry = decode(key, encode_event(key, 2, 7, 9.0, event))
        assert entry.event == event
        assert entry.records is None


async def test_a_pair_shares_one_connection_and_gets_the_same_trades(redis_url: str) -> None:
    async with (
        Simulator(seed=3, rate=5, trade_rate=40) as sim,
        shared(sim, redis_url) as first,
        shared(sim, redis_url) as second,
    ):
        a, b = Recorder[Trade](), Recorder[Trade]()
        await first.subscribe_trades("BTC/USDT", a)
        sub_b = await second.subscribe_trades("BTC/USDT", b)
        await a.until(lambda items: len(items) >= 60)
        await b.until(lambda items: len(items) >= 30)
        assert sim.hub.subscribers("btcusdt@trade") == 1
        roles = {h.role for h in (*first.health().streams, *second.health().streams)}
        assert roles == {"holder", "reader"}
        ids_a = [t.id for t in a.items]
        ids_b = [t.id for t in b.items]
        assert ids_b == ids_a[ids_a.index(ids_b[0]) :][: len(ids_b)]
        truth = engine_trade_ids(sim, "BTC/USDT")
        start = truth.index(ids_a[0])
        assert ids_a == truth[start : start + len(ids_a)]
        assert b.items == a.items[ids_a.index(ids_b[0]) :][: len(ids_b)]
        assert sub_b.state is StreamState.LIVE
        assert sub_b.stats.delivered == len(b.items)


async def test_a_reader_gets_the_newest_book_and_the_holders_states(redis_url: str) -> None:
    async with (
        Simulator(seed=3, rate=20) as sim,
        shared(sim, redis_url) as first,
        shared(sim, redis_url) as second,
    ):
        books = first.stream_order_book("BTC/USDT")
        async with asyncio.timeout(10):
            held = await books.__anext__()
            read = second.stream_order_book("BTC/USDT")
            seen = [await read.__anext__() for _ in range(5)]
        assert held.symbol == "BTC/USDT"
        nonces = [s.nonce for s in seen]
        assert nonces == sorted(set(nonces))  # in sequence, never an older book
        assert all(s.synced for s in seen)
        assert sim.hub.subscribers("btcusdt@depth@100ms") == 1
        assert read.state is StreamState.LIVE
        await read.cancel()
        await books.cancel()


async def test_without_the_url_each_adapter_opens_its_own(redis_url: str) -> None:
    async with (
        Simulator(seed=3, rate=5, trade_rate=40) as sim,
        shared(sim, None) as first,
        shared(sim, None) as second,
    ):
        a, b = Recorder[Trade](), Recorder[Trade]()
        await first.subscribe_trades("BTC/USDT", a)
        await second.subscribe_trades("BTC/USDT", b)
        await a.until(lambda items: len(items) >= 5)
        await b.until(lambda items: len(items) >= 5)
        assert sim.hub.subscribers("btcusdt@trade") == 2
        assert {h.role for h in first.health().streams} == {None}


async def test_health_says_who_holds_each_stream(redis_url: str) -> None:
    async with (
        Simulator(seed=3, rate=5) as sim,
        shared(sim, redis_url) as first,
        shared(sim, redis_url) as second,
    ):
        await first.subscribe_ticker("BTC/USDT", lambda _: None)
        await second.subscribe_ticker("BTC/USDT", lambda _: None)
        held, read = first.health().streams[0], second.health().streams[0]
        assert (held.role, read.role) == ("holder", "reader")
        assert held.holder == read.holder == this_holder()
        row = {"stream": str(read.key), "state": read.state.value, "messages": 1,
               "reconnects": 0, "gaps_unrepaired": 0, "last_message_age": None,
               "last_error": None, "role": read.role, "holder": read.holder}  # fmt: skip
        out = text(health_view("binance", 1, [row]), 120)
        assert f"read through Redis from {this_holder()}: ticker:BTC/USDT" in out
        assert this_holder() in out
