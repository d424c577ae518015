"""The simulator accepts an order and never answers: the adapter settles it by client
order id. Looped: exactly one order per placement exists, every time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from core import OrderStateUnknown, OrderStatus, Settings
from exchanges import BinanceExchange
from exchanges.simulator import DEMO_API_KEY, DEMO_SECRET, Simulator

DEMO = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=3, rate=0) as simulator:
        yield simulator


async def test_lost_response_loop_exactly_one_order_each_time(sim: Simulator) -> None:
    settings = Settings(request_timeout=0.5, order_settle_timeout=5)
    async with BinanceExchange(endpoint=sim.endpoint, credentials=DEMO, settings=settings) as ex:
        best_bid = sim.state.book("BTC/USDT").bids.best()
        assert best_bid is not None
        price = best_bid * Decimal("0.9")
        for attempt in range(10):
            sim.faults.drop_order_response(count=1)
            order = await ex.place_order("BTC/USDT", "buy", "limit", Decimal("0.001"), price)
            assert order.status is OrderStatus.OPEN
            mine = [
                o
                for o in sim.state.orders(DEMO_API_KEY)
                if o.client_order_id == order.client_order_id
            ]
            assert len(mine) == 1, attempt
            assert str(mine[0].order_id) == order.id
        assert len(sim.state.orders(DEMO_API_KEY)) == 10


async def test_an_accepted_order_with_the_venue_unreachable_ends_unknown(sim: Simulator) -> None:
    settings = Settings(request_timeout=0.5, order_settle_timeout=1)
    async with BinanceExchange(endpoint=sim.endpoint, credentials=DEMO, settings=settings) as ex:
        accepted = asyncio.ensure_future(ex.watch_orders("BTC/USDT"))
        await sim.wait_user_stream(DEMO_API_KEY)
        sim.faults.drop_order_response(count=1)
        in_flight = asyncio.ensure_future(
            ex.place_order("BTC/USDT", "sell", "limit", Decimal("0.001"), Decimal("90000"))
        )
        async with asyncio.timeout(5):
            await accepted  # the venue has the order; its answer is held back
        # from now on every lookup fails: the outcome cannot be settled
        sim.faults.http_errors("/api/v3/order", status=503, count=None, duration=5)
        with pytest.raises(OrderStateUnknown) as info:
            await in_flight
    cid = info.value.client_order_id
    assert cid is not None
    assert cid in str(info.value)
    assert "lookup failed" in str(info.value)
    [placed] = sim.state.orders(DEMO_API_KEY)  # exactly one order exists, and it is that one
    assert placed.client_order_id == cid


async def test_cancel_of_a_filled_order_returns_its_final_state(sim: Simulator) -> None:
    async with BinanceExchange(endpoint=sim.endpoint, credentials=DEMO) as ex:
        best_ask = sim.state.book("BTC/USDT").asks.best()
        assert best_ask is not None
        filled = await ex.place_order("BTC/USDT", "buy", "limit", Decimal("0.001"), best_ask)
        assert filled.status is OrderStatus.CLOSED
        after = await ex.cancel_order(filled.id, "BTC/USDT")
    assert after.status is OrderStatus.CLOSED
    assert after.filled == Decimal("0.001")


async def test_a_cancel_that_times_out_is_settled_by_reading_the_order(sim: Simulator) -> None:
    settings = Settings(request_timeout=0.5, order_settle_timeout=5)
    async with BinanceExchange(endpoint=sim.endpoint, credentials=DEMO, settings=settings) as ex:
        best_bid = sim.state.book("BTC/USDT").bids.best()
        assert best_bid is not None
        order = await ex.place_order(
            "BTC/USDT", "buy", "limit", Decimal("0.001"), best_bid * Decimal("0.9")
        )
        sim.faults.delay(1.5, "/api/v3/order", count=1)  # the DELETE's answer comes too late
        canceled = await ex.cancel_order(order.id, "BTC/USDT")
    assert canceled.status is OrderStatus.CANCELED
    [truth] = [o for o in sim.state.orders(DEMO_API_KEY) if str(o.order_id) == order.id]
    assert truth.status.value == "CANCELED"


async def test_a_cancel_reset_before_reaching_the_venue_is_sent_again(sim: Simulator) -> None:
    settings = Settings(request_timeout=2, order_settle_timeout=5)
    async with BinanceExchange(endpoint=sim.endpoint, credentials=DEMO, settings=settings) as ex:
        best_bid = sim.state.book("BTC/USDT").bids.best()
        assert best_bid is not None
        order = await ex.place_order(
            "BTC/USDT", "buy", "limit", Decimal("0.001"), best_bid * Decimal("0.9")
        )
        # the cancel's connection is reset, and again on aiohttp's own retry: it never
        # reached the engine, and the order is plainly open
        fault = sim.faults.reset_requests("DELETE /api/v3/order", count=2)
        async with asyncio.timeout(5):
            canceled = await ex.cancel_order(order.id, "BTC/USDT")
        assert fault.count == 0
    assert canceled.status is OrderStatus.CANCELED
    [truth] = sim.state.orders(DEMO_API_KEY)
    assert str(truth.order_id) == order.id
    assert truth.status.value == "CANCELED"


async def test_a_cancel_that_never_gets_through_is_resent_a_bounded_number_of_times(
    sim: Simulator,
) -> None:
    settings = Settings(request_timeout=2, order_settle_timeout=3)
    async with BinanceExchange(endpoint=sim.endpoint, credentials=DEMO, settings=settings) as ex:
        best_bid = sim.state.book("BTC/USDT").bids.best()
        assert best_bid is not None
        order = await ex.place_order(
            "BTC/USDT", "buy", "limit", Decimal("0.001"), best_bid * Decimal("0.9")
        )
        fault = sim.faults.reset_requests("DELETE /api/v3/order", count=100)
        with pytest.raises(OrderStateUnknown) as info:
            await ex.cancel_order(order.id, "BTC/USDT")
        sends = 1 + ex.CANCEL_RESENDS
        assert 100 - fault.count == 2 * sends  # each send: reset, and reset on aiohttp's retry
        assert f"{ex.CANCEL_RESENDS} cancel(s) sent again" in str(info.value)
        sim.faults.clear()
        [truth] = sim.state.orders(DEMO_API_KEY)
        assert truth.status.value == "NEW"  # still open, as the error says it may be
        assert (await ex.cancel_order(order.id, "BTC/USDT")).status is OrderStatus.CANCELED


async def test_close_lets_an_order_in_flight_settle_and_refuses_new_ones(sim: Simulator) -> None:
    from core import ExchangeClosed

    settings = Settings(request_timeout=0.5, order_settle_timeout=5)
    ex = BinanceExchange(endpoint=sim.endpoint, credentials=DEMO, settings=settings)
    await ex.connect()
    best_bid = sim.state.book("BTC/USDT").bids.best()
    assert best_bid is not None
    price = best_bid * Decimal("0.9")
    accepted = asyncio.ensure_future(ex.watch_orders("BTC/USDT"))
    await sim.wait_user_stream(DEMO_API_KEY)
    sim.faults.drop_order_response(count=1)
    in_flight = asyncio.ensure_future(
        ex.place_order("BTC/USDT", "buy", "limit", Decimal("0.001"), price)
    )
    async with asyncio.timeout(5):
        await accepted  # the venue reports the order: it exists, its answer is held back
    closing = asyncio.ensure_future(ex.close())
    await asyncio.sleep(0)  # one turn of the loop: close() starts
    assert ex.closed  # ... and the adapter says it is closing before anything else
    with pytest.raises(ExchangeClosed):
        await ex.place_order("BTC/USDT", "buy", "limit", Decimal("0.001"), price)
    async with asyncio.timeout(10):
        order = await in_flight  # settled by client id while close() waited
        await closing
    assert order.status is OrderStatus.OPEN
    assert len(sim.state.orders(DEMO_API_KEY)) == 1


async def test_a_5xx_on_place_ends_unknown_and_the_same_client_id_places_it_once(
    sim: Simulator,
) -> None:
    settings = Settings(request_timeout=2, order_settle_timeout=1)
    async with BinanceExchange(endpoint=sim.endpoint, credentials=DEMO, settings=settings) as ex:
        best_bid = sim.state.book("BTC/USDT").bids.best()
        assert best_bid is not None
        price = best_bid * Decimal("0.9")
        sim.faults.http_errors("/api/v3/order", status=503, count=1)
        with pytest.raises(OrderStateUnknown) as info:
            await ex.place_order("BTC/USDT", "buy", "limit", Decimal("0.001"), price)
        cid = info.value.client_order_id
        assert cid is not None
        assert "has no such order" in str(info.value)
        assert sim.state.orders(DEMO_API_KEY) == []  # the 5xx came before the engine
        again = await ex.place_order(
            "BTC/USDT", "buy", "limit", Decimal("0.001"), price, client_order_id=cid
        )
    assert again.client_order_id == cid
    assert len(sim.state.orders(DEMO_API_KEY)) == 1


async def test_settling_never_returns_an_older_order_with_the_same_client_id(
    sim: Simulator,
) -> None:
    settings = Settings(request_timeout=2, order_settle_timeout=1)
    async with BinanceExchange(endpoint=sim.endpoint, credentials=DEMO, settings=settings) as ex:
        best_ask = sim.state.book("BTC/USDT").asks.best()
        assert best_ask is not None
        first = await ex.place_order(
            "BTC/USDT", "buy", "limit", Decimal("0.001"), best_ask, client_order_id="strat1leg1"
        )
        assert first.status is OrderStatus.CLOSED  # filled: binance lets the id be reused
        sim.faults.http_errors("/api/v3/order", status=503, count=1)  # before the engine
        with pytest.raises(OrderStateUnknown) as info:
            await ex.place_order(
                "BTC/USDT",
                "sell",
                "limit",
                Decimal("0.002"),
                best_ask * 2,
                client_order_id="strat1leg1",
            )
    assert "does not match" in str(info.value)
    assert len(sim.state.orders(DEMO_API_KEY)) == 1  # the sell was never placed
