"""REST polling (a channel the venue cannot stream; a WebSocket that keeps failing) and the
private order stream's reconciliation after an outage."""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType

from core import Order, OrderStatus, StreamState, Ticker, Trade
from exchanges._capabilities import Support
from exchanges.simulator import Simulator
from exchanges.simulator._spec import DEMO_API_KEY, DEMO_SECRET
from exchanges.venues.binance import BinanceExchange
from tests.supervisor.conftest import (
    Events,
    Recorder,
    adapter,
    engine_trade_ids,
    fast_settings,
    subscribed,
)

SYMBOL = "BTC/USDT"


class NoTickerStream(BinanceExchange):
    """binance as a venue without a ticker stream would be."""

    capability_overrides = MappingProxyType({"watch_ticker": Support.NO})


async def test_a_channel_the_venue_cannot_stream_is_polled(sim: Simulator) -> None:
    credentials = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}
    async with NoTickerStream(
        endpoint=sim.endpoint, credentials=credentials, settings=fast_settings()
    ) as ex:
        tickers, events = Recorder[Ticker](), Events()
        sub = await ex.subscribe_ticker(SYMBOL, tickers, on_event=events)
        await tickers.until(lambda items: len(items) >= 1)
        assert sub.state is StreamState.POLLING
        assert "cannot stream" in events.items[0].reason
        assert not sim.hub.connections  # no WebSocket was opened
        sim.step(SYMBOL, 3)
        last = sim.state.engine(SYMBOL).trades[-1]
        await tickers.until(lambda items: items[-1].last == float(last.price))
        assert sub.stats.polls >= 2


async def test_a_failing_websocket_falls_back_to_polling_then_streams_again(
    sim: Simulator,
) -> None:
    async with adapter(sim, stream_fallback_after=1, stream_backoff_initial=1.0) as ex:
        got, events = Recorder[Trade](), Events()
        sub = await ex.subscribe_trades(SYMBOL, got, on_event=events, stale_after=0.3)
        await subscribed(sim, "btcusdt@trade")
        sim.faults.stall("btcusdt@trade")  # every connection's data is withheld
        for _ in range(60):  # the market keeps trading: each stalled session is seen dead
            sim.step(SYMBOL, 1)
            try:
                await events.until(lambda e: "state:polling" in events.kinds(), within=0.5)
                break
            except TimeoutError:
                continue
        assert "state:polling" in events.kinds()
        made = engine_trade_ids(sim, SYMBOL)
        await got.until(lambda items: len(items) >= len(made))  # served by REST meanwhile
        sim.faults.clear()
        await events.until(lambda e: events.kinds()[-1] == "state:live", within=15)
        await subscribed(sim, "btcusdt@trade")
        sim.step(SYMBOL, 2)
        made = engine_trade_ids(sim, SYMBOL)
        await got.until(lambda items: len(items) >= len(made))
        assert [t.id for t in got.items] == made  # once each, whichever path carried them
        assert sub.stats.polls >= 1


async def test_orders_missed_during_an_outage_are_reconciled(sim: Simulator) -> None:
    async with adapter(sim) as ex:
        orders, events = Recorder[Order](), Events()
        await ex.subscribe_orders(orders, SYMBOL, on_event=events)
        await sim.wait_user_stream()
        ticker = await ex.fetch_ticker(SYMBOL)
        price = (Decimal(str(ticker.bid)) * Decimal("0.9")).quantize(Decimal("0.01"))
        resting = await ex.place_order(SYMBOL, "buy", "limit", Decimal("0.01"), price)
        await orders.until(lambda items: any(o.id == resting.id for o in items))

        sim.faults.drop_connections("/ws-api/v3")
        await ex.cancel_order(resting.id, SYMBOL)  # while the private stream is down
        await events.until(lambda e: "state:reconnecting" in events.kinds())
        await orders.until(
            lambda items: any(
                o.id == resting.id and o.status is OrderStatus.CANCELED for o in items
            )
        )
        assert [o.status for o in orders.items if o.id == resting.id][-1] is OrderStatus.CANCELED
