"""The order tracker: open orders without a round trip, fed by writes, the private stream
and REST; reconciled after an outage and rebuilt after a restart."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from core import Order, OrderStatus
from exchanges.simulator import Simulator
from exchanges.venues.binance import BinanceExchange
from tests.supervisor.conftest import Events, Recorder, adapter

SYMBOL = "BTC/USDT"


async def _price_below(ex: BinanceExchange) -> Decimal:
    ticker = await ex.fetch_ticker(SYMBOL)
    return (Decimal(str(ticker.bid)) * Decimal("0.9")).quantize(Decimal("0.01"))


async def test_writes_feed_the_tracker(ex: BinanceExchange) -> None:
    tracker = ex.orders
    order = await ex.place_order(SYMBOL, "buy", "limit", Decimal("0.01"), await _price_below(ex))
    assert [o.id for o in tracker.open_orders()] == [order.id]
    assert tracker.open_orders("ETH/USDT") == []
    await ex.cancel_order(order.id, SYMBOL)
    assert tracker.open_orders() == []
    got = tracker.get(order.id)
    assert got is not None
    assert got.status is OrderStatus.CANCELED


async def test_the_stream_keeps_it_current_across_an_outage(sim: Simulator) -> None:
    async with adapter(sim) as ex:
        await ex.orders.start()
        seen = Recorder[Order]()  # a second subscriber of the same (shared) stream
        await ex.subscribe_orders(seen)
        await sim.wait_user_stream()
        events = Events()
        ex.supervisor.add_listener(events)
        order = await ex.place_order(
            SYMBOL, "buy", "limit", Decimal("0.01"), await _price_below(ex)
        )
        # cancelled by another process of the same account, while the stream is down
        sim.faults.drop_connections("/ws-api/v3")
        async with BinanceExchange(
            endpoint=sim.endpoint, credentials=_demo(), settings=ex.settings
        ) as other:
            await other.cancel_order(order.id, SYMBOL)
        await events.until(lambda e: events.kinds()[-1] == "state:live")
        await seen.until(lambda items: items[-1].status is OrderStatus.CANCELED)
        await asyncio.sleep(0)  # the tracker's callback task was woken first; let it run
        assert ex.orders.open_orders() == []
        got = ex.orders.get(order.id)
        assert got is not None
        assert got.status is OrderStatus.CANCELED
        assert ex.orders.streaming


async def test_reconcile_rebuilds_after_a_restart(sim: Simulator) -> None:
    async with adapter(sim) as first:
        kept = await first.place_order(
            SYMBOL, "buy", "limit", Decimal("0.01"), await _price_below(first)
        )
        gone = await first.place_order(
            SYMBOL, "buy", "limit", Decimal("0.02"), await _price_below(first)
        )
    async with adapter(sim) as restarted:
        assert restarted.orders.open_orders() == []
        opened = await restarted.orders.reconcile()
        assert {o.id for o in opened} == {kept.id, gone.id}
        await first_cancel(sim, gone.id)
        opened = await restarted.orders.reconcile()
        assert [o.id for o in opened] == [kept.id]
        gone_now = restarted.orders.get(gone.id)
        assert gone_now is not None
        assert gone_now.status is OrderStatus.CANCELED


async def first_cancel(sim: Simulator, order_id: str) -> None:
    async with adapter(sim) as another:
        await another.cancel_order(order_id, SYMBOL)


def _demo() -> dict[str, str]:
    from exchanges.simulator._spec import DEMO_API_KEY, DEMO_SECRET

    return {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}
