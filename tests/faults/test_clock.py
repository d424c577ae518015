"""The offset to the venue's clock: measured at connect by adapters with credentials, shared
on the route, kept fresh by a periodic task that close() cancels; a refused timestamp still
resyncs and retries once. Against the simulator's shifted clock; requests are counted on
its side (its weight counter: /time costs 1, /account 20, an order 1)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal

import pytest

from core import OrderStatus, Settings
from exchanges import BinanceExchange
from exchanges.simulator import DEMO_API_KEY, DEMO_SECRET, Simulator
from exchanges.trading._guard import Guard
from exchanges.trading._ratelimit import reset_budgets

DEMO = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}
OTHER = {"apiKey": "second-account-key", "secret": "second-account-secret"}
ACCOUNT, ORDER, TIME = 20, 1, 1  # the simulator's weights


@pytest.fixture(autouse=True)
def _fresh_budgets() -> Iterator[None]:
    reset_budgets()  # the route's measured offset must not reach another test's simulator
    yield
    reset_budgets()


def guard(adapter: BinanceExchange) -> Guard:
    return adapter._guard


async def buy(sim: Simulator, adapter: BinanceExchange) -> OrderStatus | None:
    best_bid = sim.state.book("BTC/USDT").bids.best()
    assert best_bid is not None
    order = await adapter.place_order(
        "BTC/USDT", "buy", "limit", Decimal("0.001"), best_bid * Decimal("0.9")
    )
    return order.status


@pytest.mark.parametrize("shift_ms", [-2000, 2000])
async def test_the_offset_is_measured_at_connect(shift_ms: int) -> None:
    # -2000: the venue's clock is 2 s behind, so an unadjusted timestamp is "1000 ms ahead
    # of the server's time" (-1021); +2000 stays inside binance's recvWindow either way
    async with Simulator(seed=2, rate=0) as sim:
        sim.faults.shift_clock(shift_ms)
        async with BinanceExchange(endpoint=sim.endpoint, credentials=DEMO) as ex:
            offset = guard(ex).clock_offset_ms
            assert offset is not None
            assert -shift_ms <= offset <= -shift_ms + 500  # local minus venue, plus latency
            assert guard(ex).budget.clock_offset_ms == offset
            sent = sim.limiter.used
            assert (await ex.fetch_balance())["USDT"].free is not None
            assert await buy(sim, ex) is OrderStatus.OPEN
            # each signed call sent once: no -1021, no resync (/time), no second attempt
            assert sim.limiter.used == sent + ACCOUNT + ORDER
            assert guard(ex).clock.syncs == 1


async def test_without_a_measurement_a_refused_timestamp_resyncs_and_retries_once() -> None:
    async with Simulator(seed=2, rate=0) as sim:
        sim.faults.shift_clock(-2000)
        async with BinanceExchange(endpoint=sim.endpoint) as public:
            # a public adapter signs nothing: its connect spends nothing on the clock
            assert guard(public).clock_offset_ms is None
            assert sim.limiter.used == 20  # exchangeInfo only
            signed = BinanceExchange(endpoint=sim.endpoint, credentials=DEMO)
            signed.use_markets(public.raw.markets)  # handed its markets: connect sends nothing
            async with signed:
                assert sim.limiter.used == 20
                assert guard(signed).clock_offset_ms is None  # and nobody measured the route
                assert (await signed.fetch_balance())["USDT"].free is not None
                # refused (-1021), resynced (/time), sent again
                assert sim.limiter.used == 20 + ACCOUNT + TIME + ACCOUNT
                offset = guard(signed).clock_offset_ms
                assert offset is not None
                assert 2000 <= offset <= 2500


async def test_an_adapter_handed_its_markets_takes_the_routes_offset() -> None:
    async with Simulator(seed=2, rate=0) as sim:
        sim.add_account(OTHER["apiKey"], OTHER["secret"], balances={"USDT": Decimal("1000")})
        sim.faults.shift_clock(-2000)
        async with BinanceExchange(endpoint=sim.endpoint, credentials=DEMO) as first:
            second = BinanceExchange(endpoint=sim.endpoint, credentials=OTHER)
            second.share_markets_from(first)  # as the factory does for a second account
            sent = sim.limiter.used
            async with second:
                assert sim.limiter.used == sent  # connect sent nothing
                assert guard(second).clock_offset_ms == guard(first).clock_offset_ms
                assert (await second.fetch_balance())["USDT"].free is not None
                assert sim.limiter.used == sent + ACCOUNT  # no -1021


async def test_the_offset_is_measured_periodically_and_close_stops_it() -> None:
    settings = Settings(clock_sync_interval=0.1)
    async with Simulator(seed=2, rate=0) as sim:
        ex = BinanceExchange(endpoint=sim.endpoint, credentials=DEMO, settings=settings)
        async with ex:
            assert guard(ex).clock.running
            sim.faults.shift_clock(-3000)  # the venue's clock jumps after connect
            async with asyncio.timeout(3.0):
                while not 3000 <= (guard(ex).clock_offset_ms or 0) <= 3500:
                    await guard(ex).clock.next_sync().wait()
            resyncs = [t for t in asyncio.all_tasks() if t.get_name().startswith("clock-sync")]
            assert len(resyncs) == 1
            assert (await ex.fetch_balance())["USDT"].free is not None
        assert not guard(ex).clock.running
        assert resyncs[0].done()
        assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("clock-sync")]


async def test_an_interval_of_zero_measures_at_connect_only() -> None:
    settings = Settings(clock_sync_interval=0)
    async with (
        Simulator(seed=2, rate=0) as sim,
        BinanceExchange(endpoint=sim.endpoint, credentials=DEMO, settings=settings) as ex,
    ):
        assert guard(ex).clock_offset_ms is not None
        assert not guard(ex).clock.running
