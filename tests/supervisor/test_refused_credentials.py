"""Refused credentials: the right key with a wrong secret. The venue refuses the one
user-data subscription every private channel of the adapter shares, so every private
channel fails with AuthenticationError, promptly, and public streams keep working."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from core import AuthenticationError, Balance, Order, StreamState, Subscription, Trade
from exchanges.simulator import DEMO_API_KEY, Simulator
from exchanges.venues.binance import BinanceExchange
from tests.supervisor.conftest import Events, Recorder, fast_settings, subscribed

WRONG_SECRET = "0" * 64
#: how long the refusal may take to reach every private channel (it takes a few ms here:
#: one round trip to the simulator; the bound leaves room for a loaded machine)
PROMPTLY = 2.0


def refused_adapter(sim: Simulator) -> BinanceExchange:
    return BinanceExchange(
        endpoint=sim.endpoint,
        credentials={"apiKey": DEMO_API_KEY, "secret": WRONG_SECRET},
        settings=fast_settings(),
    )


async def failed(sub: Subscription[Any], events: Events, within: float = PROMPTLY) -> None:
    await events.until(lambda _: sub.state is StreamState.FAILED, within=within)


async def test_every_private_channel_fails_with_the_refusal_and_public_streams_go_on(
    sim: Simulator,
) -> None:
    async with refused_adapter(sim) as ex:
        balances, orders = Recorder[Balance](), Recorder[Order]()
        balance_events, order_events = Events(), Events()
        started = time.monotonic()
        balance = await ex.subscribe_balance(balances, on_event=balance_events)
        order = await ex.subscribe_orders(orders, on_event=order_events)
        await failed(balance, balance_events)
        await failed(order, order_events)
        took = time.monotonic() - started
        for sub, events in ((balance, balance_events), (order, order_events)):
            assert isinstance(sub.error, AuthenticationError), sub.error
            assert "live" not in {e.state.value for e in events.items}
        assert "Signature for this request is not valid" in str(balance.error)
        assert not balances.items
        assert not orders.items
        assert took < PROMPTLY

        # subscribed after the refusal: fails at once, without asking the venue again
        again_events, fill_events = Events(), Events()
        again = await ex.subscribe_balance(Recorder[Balance](), on_event=again_events)
        fills = await ex.subscribe_my_trades(Recorder[Any](), on_event=fill_events)
        await failed(again, again_events, within=0.5)
        await failed(fills, fill_events, within=0.5)
        for sub in (again, fills):
            assert isinstance(sub.error, AuthenticationError)
            assert "refused this adapter's credentials" in str(sub.error)

        trades = Recorder[Trade]()
        public = await ex.subscribe_trades("BTC/USDT", trades)
        await subscribed(sim, "btcusdt@trade")
        sim.step("BTC/USDT", 2)
        await trades.until(lambda items: len(items) >= 2)
        assert public.state is StreamState.LIVE


async def test_private_watch_methods_raise_authentication_error(sim: Simulator) -> None:
    async with refused_adapter(sim) as ex:
        async with asyncio.timeout(PROMPTLY):
            # together: ccxt's second caller waits on the first one's subscription
            results = await asyncio.gather(
                ex.watch_balance(), ex.watch_orders(), return_exceptions=True
            )
        for result in results:
            assert isinstance(result, AuthenticationError), repr(result)
        async with asyncio.timeout(PROMPTLY):
            for watch in (ex.watch_balance, ex.watch_orders, ex.watch_my_trades):
                with pytest.raises(AuthenticationError, match="refused this adapter's"):
                    await watch()
        ticker = await ex.fetch_ticker("BTC/USDT")  # public REST is not affected
        assert ticker.symbol == "BTC/USDT"
