"""Regressions from the supervisor's review: polled streams deliver only what is new, in
order, and final order states; a callback may close its own adapter; refused credentials
end a private stream as FAILED."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from types import MappingProxyType

import pytest

from core import AuthenticationError, Order, OrderStatus, StreamState, Subscription, Trade
from exchanges._capabilities import Support
from exchanges.simulator import Simulator
from exchanges.simulator._spec import DEMO_API_KEY, DEMO_SECRET
from exchanges.venues.binance import BinanceExchange
from tests.supervisor.conftest import Recorder, engine_trade_ids, fast_settings, leftover_tasks

SYMBOL = "BTC/USDT"


class PolledTradesAndOrders(BinanceExchange):
    capability_overrides = MappingProxyType(
        {"watch_trades": Support.NO, "watch_orders": Support.NO}
    )


def _polled(sim: Simulator) -> PolledTradesAndOrders:
    credentials = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}
    return PolledTradesAndOrders(
        endpoint=sim.endpoint, credentials=credentials, settings=fast_settings()
    )


async def test_a_polled_trade_stream_delivers_only_new_trades_in_order(sim: Simulator) -> None:
    sim.step(SYMBOL, 20)  # history before the subscription: not owed
    before = set(engine_trade_ids(sim, SYMBOL))
    async with _polled(sim) as ex:
        got = Recorder[Trade]()
        sub = await ex.subscribe_trades(SYMBOL, got)
        sim.step(SYMBOL, 5)
        made = [i for i in engine_trade_ids(sim, SYMBOL) if i not in before]
        await got.until(lambda items: len(items) >= len(made))
        ids = [str(t.id) for t in got.items]
        assert ids == made
        assert sub.state is StreamState.POLLING


async def test_a_polled_order_stream_delivers_final_states(sim: Simulator) -> None:
    async with _polled(sim) as ex:
        orders = Recorder[Order]()
        await ex.subscribe_orders(orders, SYMBOL)
        ticker = await ex.fetch_ticker(SYMBOL)
        price = (Decimal(str(ticker.bid)) * Decimal("0.9")).quantize(Decimal("0.01"))
        order = await ex.place_order(SYMBOL, "buy", "limit", Decimal("0.01"), price)
        await orders.until(lambda items: any(o.id == order.id for o in items))
        await ex.cancel_order(order.id, SYMBOL)
        await orders.until(
            lambda items: any(o.id == order.id and o.status is OrderStatus.CANCELED for o in items)
        )


async def test_a_callback_may_close_its_own_adapter(sim: Simulator) -> None:
    ex = BinanceExchange(
        endpoint=sim.endpoint,
        credentials={"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET},
        settings=fast_settings(),
    )
    closed = asyncio.Event()

    async def stop_on_first(_trade: Trade) -> None:
        await ex.close()
        closed.set()

    await ex.subscribe_trades(SYMBOL, stop_on_first)
    await sim.wait_subscribed("btcusdt@trade")
    sim.step(SYMBOL, 2)
    async with asyncio.timeout(10):
        await closed.wait()
    assert ex.closed
    assert ex.raw.session is None or ex.raw.session.closed
    assert not sim.hub.connections
    assert leftover_tasks() == []


async def test_refused_credentials_fail_a_private_stream(sim: Simulator) -> None:
    async with BinanceExchange(
        endpoint=sim.endpoint,
        credentials={"apiKey": DEMO_API_KEY, "secret": "not-the-secret-0000"},
        settings=fast_settings(),
    ) as ex:
        stream = ex.stream_orders()
        with pytest.raises(AuthenticationError):
            await asyncio.wait_for(_drain(stream), 10)
        assert stream.state is StreamState.FAILED
        assert isinstance(stream.error, AuthenticationError)
        assert "not-the-secret" not in str(stream.error)


async def _drain(stream: Subscription[Order]) -> None:
    async for _ in stream:
        pass
