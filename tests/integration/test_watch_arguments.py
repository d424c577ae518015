"""The watch form's ccxt.pro arguments (``since``, ``limit``, ``params``), ``watch_tickers``
and ``un_watch_*``: the adapter over the unmodified client against the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from core import BadRequest
from exchanges import BinanceExchange
from exchanges.simulator import DEMO_API_KEY, DEMO_SECRET, Simulator

DEMO = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=5, rate=30, trade_rate=30) as simulator:
        yield simulator


@pytest.fixture
async def ex(sim: Simulator) -> AsyncIterator[BinanceExchange]:
    async with BinanceExchange(endpoint=sim.endpoint, credentials=DEMO, account="demo") as adapter:
        yield adapter


async def _until_gone(sim: Simulator, ex: BinanceExchange, stream: str) -> None:
    """Bounded: a REST round trip lets the UNSUBSCRIBE land before we look again."""
    async with asyncio.timeout(10):
        while stream in sim.hub.streams():
            await ex.fetch_ticker("BTC/USDT")


async def test_watch_trades_since_and_limit(sim: Simulator, ex: BinanceExchange) -> None:
    async with asyncio.timeout(15):
        first = await ex.watch_trades("BTC/USDT")
        since = first[-1].timestamp
        assert since is not None
        seen = await ex.watch_trades("BTC/USDT", since=since, limit=2)
    assert 1 <= len(seen) <= 2
    assert all(t.timestamp is not None and t.timestamp >= since for t in seen)


async def test_watch_ohlcv_and_order_book_limits(ex: BinanceExchange) -> None:
    async with asyncio.timeout(15):
        candles = await ex.watch_ohlcv("BTC/USDT", "1m", limit=1)
        book = await ex.watch_order_book("BTC/USDT", limit=5)
    assert len(candles) == 1
    assert 0 < len(book.bids) <= 5
    assert 0 < len(book.asks) <= 5


async def test_params_reach_the_venue(sim: Simulator, ex: BinanceExchange) -> None:
    async with asyncio.timeout(15):
        trades = await ex.watch_trades("BTC/USDT", params={"name": "aggTrade"})
        assert trades[0].symbol == "BTC/USDT"
        assert "btcusdt@aggTrade" in sim.hub.streams()
        await ex.un_watch_trades("BTC/USDT", params={"name": "aggTrade"})
    await _until_gone(sim, ex, "btcusdt@aggTrade")


async def test_watch_tickers_for_symbols_and_for_all(sim: Simulator, ex: BinanceExchange) -> None:
    wanted = {"BTC/USDT", "ETH/USDT"}
    got: dict[str, Any] = {}
    async with asyncio.timeout(15):
        while set(got) != wanted:  # each update carries the tickers it changed
            got.update(await ex.watch_tickers(sorted(wanted)))
        everything = await ex.watch_tickers()
    assert all(t.symbol == s and t.last is not None for s, t in got.items())
    assert set(everything) <= wanted
    assert everything


async def test_un_watch_stops_the_venue_stream_and_watch_opens_it_again(
    sim: Simulator, ex: BinanceExchange
) -> None:
    async with asyncio.timeout(15):
        await ex.watch_ticker("BTC/USDT")
        assert "btcusdt@miniTicker" in sim.hub.streams()
        await ex.un_watch_ticker("BTC/USDT")
    await _until_gone(sim, ex, "btcusdt@miniTicker")
    async with asyncio.timeout(15):
        again = await ex.watch_ticker("BTC/USDT")
    assert again.symbol == "BTC/USDT"
    assert "btcusdt@miniTicker" in sim.hub.streams()
    async with asyncio.timeout(15):
        await ex.watch_order_book("BTC/USDT")
        await ex.un_watch_order_book("BTC/USDT")
        await ex.watch_ohlcv("BTC/USDT", "1m")
        await ex.un_watch_ohlcv("BTC/USDT", "1m")
    await _until_gone(sim, ex, "btcusdt@kline_1m")


async def test_un_watch_refuses_what_a_supervised_stream_shares(
    sim: Simulator, ex: BinanceExchange
) -> None:
    sub = ex.stream_ticker("BTC/USDT")
    async with sub:
        async with asyncio.timeout(15):
            async for _ in sub:
                break
        with pytest.raises(BadRequest, match="supervised ticker stream of BTC/USDT"):
            await ex.un_watch_ticker("BTC/USDT")
        assert "btcusdt@miniTicker" in sim.hub.streams()  # nothing was sent


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda ex: ex.watch_trades("BTC/USDT", limit=-1), "limit"),
        (lambda ex: ex.watch_trades("BTC/USDT", since="yesterday"), "since"),
        (lambda ex: ex.watch_ohlcv("BTC/USDT", "1m", since=-5), "since"),
        (lambda ex: ex.watch_order_book("BTC/USDT", params=["depth"]), "params"),
        (lambda ex: ex.watch_tickers(["BTC/USDT", 7]), "symbols"),
        (lambda ex: ex.watch_orders(params={1: "x"}), "params"),
        (lambda ex: ex.un_watch_ohlcv("BTC/USDT", "7x"), "timeframe"),
    ],
)
async def test_bad_arguments_are_refused_before_anything_is_sent(
    sim: Simulator, ex: BinanceExchange, call: Any, field: str
) -> None:
    before = set(sim.hub.streams())
    with pytest.raises(BadRequest, match=field):
        await call(ex)
    assert set(sim.hub.streams()) == before
