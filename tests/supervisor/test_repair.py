"""Repairs of a trade stream, checked id by id against the simulator's ground truth: a
keyless adapter backfills, a failed repair is a GAP (never a failed stream), repairs stay
within their share of the venue's request budget, and GAP events name exactly what was
never delivered."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from core import Candle, EventKind, Gap, StreamState, Trade
from exchanges import ExchangeFactory
from exchanges.simulator import Simulator
from exchanges.trading._ratelimit import reset_budgets
from exchanges.venues.binance import BinanceExchange
from tests.supervisor.conftest import Events, Recorder, adapter, fast_settings, subscribed

SYMBOL = "BTC/USDT"
TRADES = "btcusdt@trade"


@pytest.fixture(autouse=True)
def _fresh_budgets() -> Iterator[None]:
    # the weight budget is per route and process-wide: no test's may reach another's
    reset_budgets()
    yield
    reset_budgets()


def keyless(sim: Simulator, **overrides: Any) -> BinanceExchange:
    """A public adapter (no credentials) on ``sim``, with fast settings."""
    return BinanceExchange(endpoint=sim.endpoint, settings=fast_settings(**overrides))


def public_or_demo(sim: Simulator, keys: bool, **overrides: Any) -> BinanceExchange:
    """Without credentials, or the demo account's (both repair paths)."""
    return adapter(sim, **overrides) if keys else keyless(sim, **overrides)


KEYS = pytest.mark.parametrize("keys", [False, True], ids=["keyless", "keys"])


def sent(sim: Simulator) -> list[int]:
    """Every trade id the simulator published on the trade stream, in order."""
    return list(sim.state.trade_ids_sent.get(TRADES, ()))


def delivered(got: Recorder[Trade]) -> list[int]:
    return [int(str(t.id)) for t in got.items]


def gaps(events: Events, *, repaired: bool) -> list[Gap]:
    return [
        e.gap
        for e in events.items
        if e.kind is EventKind.GAP and e.gap is not None and e.gap.repaired is repaired
    ]


def gap_ids(found: list[Gap]) -> list[int]:
    """The ids inside the gaps' bounds, checking each gap's count matches its bounds."""
    ids: list[int] = []
    for gap in found:
        assert gap.first_id is not None, gap
        assert gap.last_id is not None, gap
        first, last = int(gap.first_id), int(gap.last_id)
        assert gap.missing == (0 if gap.repaired else last - first + 1), gap
        ids.extend(range(first, last + 1))
    return ids


async def outage(sim: Simulator, events: Events, trades: int) -> None:
    """Drop every connection, trade ``trades`` times while nobody listens, wait until
    the stream is live and subscribed again."""
    before = len(events.items)
    assert sim.faults.drop_connections() >= 1
    sim.step(SYMBOL, trades)
    await events.until(lambda e: any(x.state is StreamState.RECONNECTING for x in e[before:]))
    await events.until(lambda e: e[-1].state is StreamState.LIVE)
    await subscribed(sim, TRADES)


async def test_a_keyless_stream_backfills_an_outage_and_stays_live(sim: Simulator) -> None:
    """Issue 11.1: no keys, every connection dropped: the outage is read back (ccxt
    refuses historicalTrades without a key; Binance serves it without one)."""
    factory = ExchangeFactory(settings=fast_settings())
    try:
        ex = await factory.get_exchange("binance", endpoint=sim.endpoint)
        got, events = Recorder[Trade](), Events()
        sub = await ex.subscribe_trades(SYMBOL, got, on_event=events)
        await subscribed(sim, TRADES)
        sim.step(SYMBOL, 3)
        await got.until(lambda items: len(items) >= 3)
        await outage(sim, events, 5)
        sim.step(SYMBOL, 2)
        made = [t.trade_id for t in sim.state.engine(SYMBOL).trades]
        await got.until(lambda items: len(items) >= len(made))
        assert delivered(got) == made
        assert sub.state is StreamState.LIVE
        assert sub.stats.gaps_unrepaired == 0
        assert sub.stats.missing == 0
        assert sub.stats.backfilled >= 5
    finally:
        await factory.close_all()


async def test_a_failed_repair_is_an_exact_gap_and_the_stream_stays_live(sim: Simulator) -> None:
    """A repair refused by the venue (401: ``AuthenticationError``) is a GAP naming the
    ids the outage hid; the stream stays LIVE and goes on."""
    async with keyless(sim) as ex:
        got, events = Recorder[Trade](), Events()
        sub = await ex.subscribe_trades(SYMBOL, got, on_event=events)
        await subscribed(sim, TRADES)
        sim.step(SYMBOL, 2)
        await got.until(lambda items: len(items) >= 2)
        for path in ("/api/v3/trades", "/api/v3/historicalTrades"):
            sim.faults.http_errors(path, status=401, count=None)
        hidden_from = sim.state.engine(SYMBOL).next_trade_id
        await outage(sim, events, 4)
        hidden = list(range(hidden_from, sim.state.engine(SYMBOL).next_trade_id))
        sim.step(SYMBOL, 1)  # the next trade shows the hole; its repair fails
        await events.until(lambda e: bool(gaps(events, repaired=False)))
        assert sub.state is StreamState.LIVE
        missing = gaps(events, repaired=False)
        assert gap_ids(missing) == hidden
        assert "AuthenticationError" in missing[0].reason
        sim.faults.clear()
        sim.step(SYMBOL, 1)
        made = [t.trade_id for t in sim.state.engine(SYMBOL).trades]
        await got.until(lambda items: len(items) >= len(made) - len(hidden))
        assert delivered(got) == [i for i in made if i not in hidden]
        assert sub.state is StreamState.LIVE
        assert (sub.stats.gaps_unrepaired, sub.stats.missing) == (1, len(hidden))


@pytest_asyncio.fixture
async def budgeted() -> AsyncIterator[Simulator]:
    async with Simulator(seed=7, rate=0, weight_limit=500, weight_window=60) as simulator:
        yield simulator


@KEYS
async def test_repairs_stay_within_their_share_of_the_budget(
    budgeted: Simulator, keys: bool
) -> None:
    """Issue 11.3: repeated outages on a keyless stream. Repairs (read-backs, hole repairs
    and the polls standing in for the failing WebSocket) wait from half the rate-limit
    threshold (0.8 / 2 of 500 = 200 weight), and a stream has at most two in flight (its
    hole-repair task, and its read-back or a poll), 25 weight each: the venue's counter
    never passes 200 + 2 x 25 (the markets, 20, included). Unbounded, the 12 outages
    would cost 20 + 12 x 25 = 320 and more. The outages whose repair the budget refused
    are exact GAPs."""
    sim = budgeted
    async with public_or_demo(sim, keys, rate_limit_weight=500, rate_limit_window=60) as ex:
        got, events = Recorder[Trade](), Events()
        sub = await ex.subscribe_trades(SYMBOL, got, on_event=events)
        await subscribed(sim, TRADES)
        sim.step(SYMBOL, 1)
        await got.until(lambda items: len(items) >= 1)
        for _ in range(12):  # 12 outages, a repair each: 300 weight if nothing held back
            await outage(sim, events, 3)
            sim.step(SYMBOL, 1)  # a live trade: it shows any hole the read-back left
            newest = sim.state.engine(SYMBOL).next_trade_id - 1
            await got.until(lambda items, n=newest: bool(items) and int(str(items[-1].id)) == n)
        assert sim.limiter.used <= 200 + 2 * 25
        made = [t.trade_id for t in sim.state.engine(SYMBOL).trades]
        missing = gaps(events, repaired=False)
        assert missing, "the budget refused no repair: the test does not test it"
        assert sorted(delivered(got) + gap_ids(missing)) == made
        assert all("RateLimited" in g.reason for g in missing)
        assert sub.stats.missing == len(gap_ids(missing))
        assert sub.state is StreamState.LIVE


@KEYS
async def test_a_partly_repaired_hole_is_reported_exactly(keys: bool) -> None:
    """Issue 11.4: a burst overflows ccxt's cache; the venue keeps only its newest 1 500
    trades, so part of the hole is repaired and part is not. The unrepaired GAPs name
    exactly the ids never delivered, the repaired ones exactly those recovered."""
    async with (
        Simulator(seed=7, rate=0, trade_history=1500) as sim,
        public_or_demo(sim, keys, stream_cache_size=1000) as ex,
    ):
        got, events = Recorder[Trade](), Events()
        sub = await ex.subscribe_trades(SYMBOL, got, on_event=events)
        await subscribed(sim, TRADES)
        sim.step(SYMBOL, 1)
        await got.until(lambda items: len(items) >= 1)
        sim.step(SYMBOL, 1, trades=4000)
        last = sent(sim)[-1]
        await got.until(lambda items: int(str(items[-1].id)) == last)
        truth = sent(sim)
        ids = delivered(got)
        assert ids == sorted(ids)  # in order
        assert len(ids) == len(set(ids))  # once
        never = sorted(set(truth) - set(ids))
        assert never, "nothing was lost: the test does not test a partial repair"
        missing, repaired = gaps(events, repaired=False), gaps(events, repaired=True)
        assert gap_ids(missing) == never
        assert set(gap_ids(repaired)) <= set(ids)
        assert sum(g.recovered for g in repaired) == sub.stats.backfilled
        assert repaired, "no part of the hole was repaired"
        stats = sub.stats
        assert stats.missing == len(never)
        assert stats.gaps_unrepaired == len(missing)
        # a request per hole at most (the markets, 20, and with keys the clock, 1, aside):
        # the page asked from a hole's first id shows where the venue's history starts,
        # settling every hole before it too
        assert sim.limiter.used <= 20 + keys + 2 * 25


async def test_a_failed_candle_read_back_is_a_gap_and_the_stream_stays_live(
    sim: Simulator,
) -> None:
    """Every channel's read-back, not only trades': refused (401) after a reconnect, it
    is a GAP from the last candle delivered, and the stream goes on."""
    async with keyless(sim) as ex:
        got, events = Recorder[Candle](), Events()
        sub = await ex.subscribe_ohlcv(SYMBOL, got, on_event=events)
        await got.until(lambda items: len(items) >= 1)  # the 1 s kline stream
        sim.faults.http_errors("/api/v3/klines", status=401, count=None)
        assert sim.faults.drop_connections() >= 1
        await events.until(lambda e: any(x.kind is EventKind.GAP for x in e))
        [gap] = [e.gap for e in events.items if e.kind is EventKind.GAP]
        assert gap is not None
        assert not gap.repaired
        assert gap.since == got.items[-1].timestamp
        assert "AuthenticationError" in gap.reason
        assert sub.state is StreamState.LIVE
        sim.faults.clear()
        seen = len(got.items)
        await subscribed(sim, "btcusdt@kline_1m")
        sim.step(SYMBOL, 2)  # the candle changes: the next kline carries it
        await got.until(lambda items: len(items) > seen)  # and candles keep coming
        assert sub.state is StreamState.LIVE
