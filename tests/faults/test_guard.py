"""Reads retried with backoff honouring Retry-After; bans open a breaker; a shifted clock
is resynced. Against the simulator's faults (and the wire fake, to count requests)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from core import Banned, OrderStatus, RateLimited
from exchanges import BinanceExchange
from exchanges.simulator import DEMO_API_KEY, DEMO_SECRET, Simulator

from ..fakevenue import Captured, FakeVenue
from ..wire.test_binance import KEY, SECRET, btc_usdt

DEMO = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}


@pytest.fixture
async def ex() -> AsyncIterator[tuple[Simulator, BinanceExchange]]:
    async with (
        Simulator(seed=4, rate=0) as sim,
        BinanceExchange(endpoint=sim.endpoint, credentials=DEMO) as adapter,
    ):
        yield sim, adapter


async def test_429_on_a_read_waits_for_retry_after_then_succeeds(
    ex: tuple[Simulator, BinanceExchange],
) -> None:
    sim, adapter = ex
    sim.faults.rate_limited("/api/v3/ticker/24hr", retry_after=1, count=1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    ticker = await adapter.fetch_ticker("BTC/USDT")
    assert loop.time() - started >= 1.0  # the venue's Retry-After was honoured
    assert ticker.last is not None


async def test_a_5xx_burst_on_a_read_is_retried(ex: tuple[Simulator, BinanceExchange]) -> None:
    sim, adapter = ex
    sim.faults.http_errors("/api/v3/depth", status=503, count=2)
    book = await adapter.fetch_order_book("BTC/USDT", limit=5)
    assert book.bids


async def test_a_shifted_clock_is_resynced(ex: tuple[Simulator, BinanceExchange]) -> None:
    sim, adapter = ex
    sim.faults.shift_clock(-3000)  # the client now runs 3 s ahead: -1021
    balance = await adapter.fetch_balance()
    assert balance["USDT"].free is not None
    best_bid = sim.state.book("BTC/USDT").bids.best()
    assert best_bid is not None
    order = await adapter.place_order(
        "BTC/USDT", "buy", "limit", Decimal("0.001"), best_bid * Decimal("0.9")
    )
    assert order.status is OrderStatus.OPEN


async def test_a_ban_opens_the_breaker_no_request_reaches_the_venue(fake_venue: FakeVenue) -> None:
    def banned(req: Captured) -> tuple[Any, ...]:
        return (
            418,
            {"code": -1003, "msg": "Way too many requests; IP banned."},
            {"Retry-After": "120"},
        )

    fake_venue.responder = banned
    adapter = BinanceExchange(
        credentials={"apiKey": KEY, "secret": SECRET}, config=fake_venue.config()
    )
    adapter.use_markets([btc_usdt()])
    async with adapter:
        with pytest.raises(Banned) as first:
            await adapter.fetch_ticker("BTC/USDT")
        assert first.value.until is not None
        assert 100 < first.value.until - time.time() <= 120
        for call in (adapter.fetch_order_book("BTC/USDT"), adapter.fetch_balance()):
            with pytest.raises(Banned, match="not sent"):
                await call
        with pytest.raises(Banned):
            await adapter.place_order("BTC/USDT", "buy", "limit", "0.01", "50000")
    assert len(fake_venue.requests) == 1


async def test_a_long_retry_after_is_the_callers_decision(fake_venue: FakeVenue) -> None:
    fake_venue.responder = lambda req: (
        429,
        {"code": -1003, "msg": "Too many requests."},
        {"Retry-After": "60"},
    )
    adapter = BinanceExchange(config=fake_venue.config())
    adapter.use_markets([btc_usdt()])
    async with adapter:
        with pytest.raises(RateLimited) as info:
            await adapter.fetch_ticker("BTC/USDT")
    assert info.value.retry_after == 60
    assert len(fake_venue.requests) == 1
