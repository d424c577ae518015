"""The whole stack against the bundled simulator: BinanceExchange (unmodified ccxt.pro
underneath) over real sockets on loopback, compared with the simulator's ground truth."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from core import (
    AuthenticationError,
    BadSymbol,
    InsufficientFunds,
    InvalidOrder,
    MarketType,
    NotSupported,
    OrderStatus,
    Side,
)
from exchanges import BinanceExchange, Support
from exchanges.simulator import DEMO_API_KEY, DEMO_BALANCES, DEMO_SECRET, Simulator

DEMO = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=11, rate=0) as simulator:
        yield simulator


@pytest.fixture
async def ex(sim: Simulator) -> AsyncIterator[BinanceExchange]:
    async with BinanceExchange(endpoint=sim.endpoint, credentials=DEMO, account="demo") as adapter:
        yield adapter


async def test_markets_load_with_filters(ex: BinanceExchange) -> None:
    market = ex.market("BTC/USDT")
    assert market.type is MarketType.SPOT
    assert market.precision.amount is not None
    assert market.precision.price is not None
    assert market.limits.cost.min is not None
    assert "ETH/USDT" in ex.markets


async def test_public_fetches_match_the_simulator(sim: Simulator, ex: BinanceExchange) -> None:
    sim.step("BTC/USDT", 5)
    book = await ex.fetch_order_book("BTC/USDT", limit=5)
    truth = sim.state.book("BTC/USDT")
    assert [Decimal(str(p)) for p, _ in book.bids] == [p for p, _ in truth.bids.levels(5)]
    assert [Decimal(str(p)) for p, _ in book.asks] == [p for p, _ in truth.asks.levels(5)]
    assert book.nonce == truth.update_id
    ticker = await ex.fetch_ticker("BTC/USDT")
    assert ticker.bid is not None
    assert ticker.ask is not None
    assert ticker.bid < ticker.ask
    tickers = await ex.fetch_tickers(["BTC/USDT", "ETH/USDT"])
    assert set(tickers) == {"BTC/USDT", "ETH/USDT"}
    trades = await ex.fetch_trades("BTC/USDT", limit=10)
    assert trades
    assert all(t.symbol == "BTC/USDT" and t.price > 0 for t in trades)
    candles = await ex.fetch_ohlcv("BTC/USDT", "1m", limit=30)
    assert len(candles) == 30
    assert all(c.low <= c.open <= c.high and c.low <= c.close <= c.high for c in candles)


async def test_balance_matches_the_demo_account(ex: BinanceExchange) -> None:
    balance = await ex.fetch_balance()
    for asset, amount in DEMO_BALANCES.items():
        assert balance[asset].free == amount
        assert balance[asset].total == amount


async def test_place_fetch_cancel_a_resting_order(sim: Simulator, ex: BinanceExchange) -> None:
    best_bid = sim.state.book("BTC/USDT").bids.best()
    assert best_bid is not None
    price = best_bid * Decimal("0.9")
    order = await ex.place_order("BTC/USDT", "buy", "limit", Decimal("0.01"), price)
    assert order.status is OrderStatus.OPEN
    assert order.client_order_id
    [truth] = [
        o for o in sim.state.orders(DEMO_API_KEY) if o.client_order_id == order.client_order_id
    ]
    assert str(truth.order_id) == order.id
    locked = sim.state.balances(DEMO_API_KEY)["USDT"].locked
    assert locked == order.amount * (order.price or 0)
    status = await ex.fetch_order_status(order.id, "BTC/USDT")
    assert status.status is OrderStatus.OPEN
    assert [o.id for o in await ex.fetch_open_orders("BTC/USDT")] == [order.id]
    canceled = await ex.cancel_order(order.id, "BTC/USDT")
    assert canceled.status is OrderStatus.CANCELED
    assert sim.state.balances(DEMO_API_KEY)["USDT"].locked == 0
    assert await ex.fetch_open_orders("BTC/USDT") == []


async def test_marketable_order_fills_against_the_book(sim: Simulator, ex: BinanceExchange) -> None:
    best_ask = sim.state.book("BTC/USDT").asks.best()
    assert best_ask is not None
    order = await ex.place_order(
        "BTC/USDT", "buy", "limit", Decimal("0.001"), best_ask * Decimal("1.01")
    )
    assert order.status is OrderStatus.CLOSED
    assert order.filled == Decimal("0.001")
    fills = await ex.fetch_my_trades("BTC/USDT")
    assert fills
    assert fills[-1].order_id == order.id
    assert fills[-1].side is Side.BUY
    balance = await ex.fetch_balance()
    assert balance["BTC"].total == DEMO_BALANCES["BTC"] + sum(
        f.amount - (f.fee.cost if f.fee and f.fee.currency == "BTC" else 0) for f in fills
    )


async def test_market_order(ex: BinanceExchange) -> None:
    order = await ex.place_order("ETH/USDT", "sell", "market", Decimal("0.01"))
    assert order.status is OrderStatus.CLOSED
    assert order.filled == Decimal("0.01")


async def test_refusals(sim: Simulator, ex: BinanceExchange) -> None:
    sent_before = len(sim.state.orders(DEMO_API_KEY))
    with pytest.raises(BadSymbol, match="close matches: BTC/USDT"):
        await ex.place_order("BTC/USTD", "buy", "limit", "0.01", "100")
    with pytest.raises(InvalidOrder, match="amount"):
        await ex.place_order("BTC/USDT", "buy", "limit", "-1", "100")
    assert len(sim.state.orders(DEMO_API_KEY)) == sent_before
    best_bid = sim.state.book("BTC/USDT").bids.best()
    assert best_bid is not None
    with pytest.raises(InsufficientFunds):  # the venue's -2010
        await ex.place_order("BTC/USDT", "buy", "limit", "10", best_bid * Decimal("0.5"))


async def test_bad_key_is_an_authentication_error(sim: Simulator) -> None:
    bad = {"apiKey": "not-a-key-of-the-simulator", "secret": "wrong-secret-value"}
    async with BinanceExchange(endpoint=sim.endpoint, credentials=bad) as ex:
        with pytest.raises(AuthenticationError) as info:
            await ex.fetch_balance()
    assert "wrong-secret-value" not in str(info.value)


async def test_public_streams(sim: Simulator, ex: BinanceExchange) -> None:
    async with asyncio.timeout(15):
        book_task = asyncio.ensure_future(ex.watch_order_book("BTC/USDT"))
        trades_task = asyncio.ensure_future(ex.watch_trades("BTC/USDT"))
        ticker_task = asyncio.ensure_future(ex.watch_ticker("ETH/USDT"))
        ohlcv_task = asyncio.ensure_future(ex.watch_ohlcv("ETH/USDT", "1m"))
        pending = {book_task, trades_task, ticker_task, ohlcv_task}
        while pending:
            sim.step("BTC/USDT", 3)
            sim.step("ETH/USDT", 3)
            _done, pending = await asyncio.wait(pending, timeout=0.2)
    book = book_task.result()
    assert book.synced
    assert book.bids[0][0] < book.asks[0][0]
    assert trades_task.result()
    assert all(t.symbol == "BTC/USDT" for t in trades_task.result())
    assert ticker_task.result().symbol == "ETH/USDT"
    assert ohlcv_task.result()[-1].close > 0


async def test_private_streams(sim: Simulator, ex: BinanceExchange) -> None:
    async with asyncio.timeout(15):
        orders_task = asyncio.ensure_future(ex.watch_orders("BTC/USDT"))
        balance_task = asyncio.ensure_future(ex.watch_balance())
        fills_task = asyncio.ensure_future(ex.watch_my_trades("BTC/USDT"))
        await sim.wait_user_stream(DEMO_API_KEY)
        best_ask = sim.state.book("BTC/USDT").asks.best()
        assert best_ask is not None
        order = await ex.place_order(
            "BTC/USDT", "buy", "limit", Decimal("0.001"), best_ask * Decimal("1.01")
        )
        streamed_orders, balance, fills = await asyncio.gather(
            orders_task, balance_task, fills_task
        )
    assert order.id in {o.id for o in streamed_orders}
    assert "USDT" in balance
    assert fills[-1].order_id == order.id


async def test_bad_key_is_refused_once_not_retried(sim: Simulator) -> None:
    bad = {"apiKey": "not-a-key-of-the-simulator", "secret": "wrong-secret-value"}
    async with BinanceExchange(endpoint=sim.endpoint, credentials=bad) as ex:
        before = sim.limiter.used
        with pytest.raises(AuthenticationError) as info:
            await ex.fetch_balance()
        one_call = sim.limiter.used - before
        with pytest.raises(AuthenticationError):
            await ex.fetch_balance()
        assert sim.limiter.used - before == 2 * one_call  # each call sent once: no retry
    assert one_call > 0
    assert "wrong-secret-value" not in str(info.value)
    assert "wrong-secret-value" not in repr(info.value)


async def test_a_spot_adapter_has_no_positions_and_asks_the_venue_nothing() -> None:
    """binance's ccxt ``has`` says fetchPositions (its futures'); on spot it called the
    futures API (``/fapi/v1/leverageBracket``) and failed with a 404."""
    async with Simulator() as sim, BinanceExchange(endpoint=sim.endpoint) as ex:
        assert ex.capabilities["fetch_positions"] is Support.NO
        used = sim.limiter.used
        with pytest.raises(
            NotSupported, match=r"binance does not support fetch_positions\(\) on spot"
        ):
            await ex.fetch_positions()
        assert sim.limiter.used == used  # refused before any request
