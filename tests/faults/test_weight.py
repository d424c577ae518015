"""The venue's request budget per IP: used-weight headers, reads that wait past a threshold
(orders never do), a 429 slowing every account down, a 418 failing every account fast.
Against the simulator over loopback; requests are counted on its side (its weight
counter: every REST request costs at least 1)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import pytest

from core import Banned, OrderStatus, RateLimited, Settings
from exchanges import BinanceExchange
from exchanges.simulator import DEMO_API_KEY, DEMO_SECRET, Simulator
from exchanges.trading._guard import Guard, RetryPolicy
from exchanges.trading._ratelimit import IpBudget, budget_for, repairing, reset_budgets

DEMO = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}
OTHER = {"apiKey": "second-account-key", "secret": "second-account-secret"}


@pytest.fixture(autouse=True)
def _fresh_budgets() -> Iterator[None]:
    # budgets are process-wide: no ban or pause of one test may reach a later simulator
    # that happens to get the same port
    reset_budgets()
    yield
    reset_budgets()


@asynccontextmanager
async def venue(**options: Any) -> AsyncIterator[Simulator]:
    async with Simulator(seed=5, rate=0, **options) as sim:
        sim.add_account(OTHER["apiKey"], OTHER["secret"], balances={"USDT": Decimal("10000")})
        yield sim


def guard(adapter: BinanceExchange) -> Guard:
    return adapter._guard


def budget(adapter: BinanceExchange) -> IpBudget:
    return guard(adapter).budget


async def buy(sim: Simulator, adapter: BinanceExchange) -> OrderStatus | None:
    best_bid = sim.state.book("BTC/USDT").bids.best()
    assert best_bid is not None
    order = await adapter.place_order(
        "BTC/USDT", "buy", "limit", Decimal("0.001"), best_bid * Decimal("0.9")
    )
    return order.status


async def test_used_weight_and_order_counts_are_read_from_every_answer() -> None:
    async with (
        venue() as sim,
        BinanceExchange(endpoint=sim.endpoint, credentials=DEMO) as ex,
    ):
        # connect: exchangeInfo (20) and the clock (1)
        assert budget(ex).used == sim.limiter.used == 21
        assert guard(ex).weight_limit == 6000  # binance spot's documented limit
        await ex.fetch_order_book("BTC/USDT", limit=5)
        assert budget(ex).used == sim.limiter.used == 26
        assert await buy(sim, ex) is OrderStatus.OPEN
        assert budget(ex).used == sim.limiter.used
        assert guard(ex).order_counts["10s"] == sim.order_counter.count == 1


async def test_adapters_share_a_budget_per_venue_host_and_not_across_hosts() -> None:
    async with venue() as one, venue() as two:
        a = BinanceExchange(endpoint=one.endpoint, credentials=DEMO)
        b = BinanceExchange(endpoint=one.endpoint, credentials=OTHER)
        c = BinanceExchange(endpoint=two.endpoint, credentials=DEMO)
        assert budget(a) is budget(b)
        assert budget(a) is not budget(c)
        assert budget(a).host == one.endpoint.removeprefix("http://")
        # another egress (a proxy) is another IP: its own budget
        p = BinanceExchange(endpoint=one.endpoint, config={"httpsProxy": "http://10.0.0.1:3128"})
        q = BinanceExchange(endpoint=one.endpoint, config={"httpsProxy": "http://10.0.0.1:3128"})
        assert budget(p) is budget(q)
        assert budget(p) is not budget(a)
        assert "10.0.0.1" not in repr(budget(p))


async def test_past_the_threshold_reads_wait_for_the_window_and_orders_do_not() -> None:
    # our window: 1 s, starting at the first answer after the previous one ended; the
    # simulator's own window (60 s) does not roll during the test, so its counter only grows
    settings = Settings(rate_limit_weight=100, rate_limit_threshold=0.5, rate_limit_window=1.0)
    async with (
        venue() as sim,
        BinanceExchange(endpoint=sim.endpoint, credentials=DEMO, settings=settings) as ex,
    ):
        loop = asyncio.get_running_loop()
        while (budget(ex).used or 0) < 50:  # under the threshold: reads go straight out
            await ex.fetch_trades("BTC/USDT")
        # past it: the next read waits for the window's end (at most the window), then
        # starts a new window with its own answer
        started = loop.time()
        await ex.fetch_ticker("BTC/USDT")
        assert loop.time() - started <= 1.0 + 0.5
        end = budget(ex).window_end
        assert end is not None
        assert end - time.monotonic() > 0.8  # a fresh window, already past the threshold

        sent = sim.limiter.used
        slowdowns = budget(ex).slowdowns
        read = asyncio.create_task(ex.fetch_order_book("BTC/USDT", limit=5))
        started = loop.time()
        assert await buy(sim, ex) is OrderStatus.OPEN  # the order goes out at once
        assert loop.time() - started < 0.5
        assert not read.done()  # while the read still waits
        assert sim.limiter.used == sent + 1  # the order only
        book = await asyncio.wait_for(read, 2.0)
        assert book.bids
        assert time.monotonic() >= end  # it was sent after the window's end
        assert sim.limiter.used == sent + 1 + 5
        # one log line for the new window the read opened, none for the order's answer
        assert budget(ex).slowdowns == slowdowns + 1


async def test_a_wait_longer_than_the_read_may_take_is_refused_unsent() -> None:
    settings = Settings(rate_limit_weight=100, rate_limit_threshold=0.5, rate_limit_window=30)
    async with (
        venue() as sim,
        BinanceExchange(
            endpoint=sim.endpoint,
            credentials=DEMO,
            settings=settings,
            retry_policy=RetryPolicy(max_retry_after=1.0),
        ) as ex,
    ):
        # reads book their weight before they are sent: the one that would pass the
        # threshold (50) is refused, unsent, rather than sent and waited for afterwards
        sent = sim.limiter.used
        with pytest.raises(RateLimited, match="not sent") as info:  # noqa: PT012
            for _ in range(10):
                await ex.fetch_trades("BTC/USDT")
                sent = sim.limiter.used
        assert info.value.retry_after is not None
        assert 1.0 < info.value.retry_after <= 30
        assert sim.limiter.used == sent  # nothing reached the venue
        assert await buy(sim, ex) is OrderStatus.OPEN  # orders keep the rest of the budget
        assert sim.limiter.used == sent + 1


async def test_repairs_yield_from_half_the_threshold_and_never_wait_past_their_deadline() -> None:
    settings = Settings(rate_limit_weight=100, rate_limit_threshold=0.8, rate_limit_window=5)
    async with (
        venue() as sim,
        BinanceExchange(endpoint=sim.endpoint, credentials=DEMO, settings=settings) as ex,
    ):
        while (budget(ex).used or 0) < 40:  # half the threshold: repairs yield from here
            await ex.fetch_trades("BTC/USDT")
        sent = sim.limiter.used
        await ex.fetch_ticker("BTC/USDT")  # an ordinary read still goes (under 80)
        assert sim.limiter.used == sent + 2
        # a repair whose deadline ends before the window does: refused at once, unsent
        loop = asyncio.get_running_loop()
        started = loop.time()
        with repairing(time.monotonic() + 1.0), pytest.raises(RateLimited, match="not sent"):
            await ex.fetch_ticker("BTC/USDT")
        assert loop.time() - started < 0.5
        assert sim.limiter.used == sent + 2


async def test_a_429_slows_every_account_on_the_ip_down() -> None:
    async with (
        venue() as sim,
        BinanceExchange(
            endpoint=sim.endpoint, credentials=DEMO, retry_policy=RetryPolicy(max_retry_after=0.5)
        ) as first,
        BinanceExchange(endpoint=sim.endpoint, credentials=OTHER) as second,
    ):
        loop = asyncio.get_running_loop()
        sim.faults.rate_limited("/api/v3/ticker/24hr", retry_after=1, count=1)
        started = loop.time()
        with pytest.raises(RateLimited) as info:  # longer than this account's policy takes
            await first.fetch_ticker("BTC/USDT")
        assert info.value.retry_after == 1
        assert budget(first).slowdowns == 1

        # the other account's order is not held back
        assert await buy(sim, second) is OrderStatus.OPEN
        assert loop.time() - started < 0.5
        # its reads (another endpoint, too) wait until the Retry-After has passed
        sent = sim.limiter.used
        book, trades = await asyncio.wait_for(
            asyncio.gather(
                second.fetch_order_book("BTC/USDT", limit=5), second.fetch_trades("BTC/USDT")
            ),
            5.0,
        )
        assert loop.time() - started >= 1.0
        assert book.bids is not None
        assert trades is not None
        assert sim.limiter.used == sent + 5 + 4  # each sent once (depth 5, aggTrades 4)
        assert budget(second).slowdowns == 1  # logged once for the whole slowdown


async def test_a_ban_on_one_account_fails_every_account_fast_and_sends_nothing() -> None:
    async with (
        venue() as sim,
        venue() as elsewhere,
        BinanceExchange(endpoint=sim.endpoint, credentials=DEMO) as first,
        BinanceExchange(endpoint=sim.endpoint, credentials=OTHER) as second,
        BinanceExchange(endpoint=elsewhere.endpoint, credentials=DEMO) as unrelated,
    ):
        sim.faults.banned("/api/v3/account", retry_after=120, count=1)
        with pytest.raises(Banned) as ban:
            await first.fetch_balance()
        until = ban.value.until
        assert until is not None
        assert 100 < until - time.time() <= 120
        sent = sim.limiter.used

        calls = (
            second.fetch_ticker("BTC/USDT"),
            second.fetch_balance(),
            second.place_order("BTC/USDT", "buy", "limit", "0.001", "10000"),
            second.cancel_order("1", "BTC/USDT"),
        )
        for call in calls:
            with pytest.raises(Banned, match="not sent") as other:
                await call
            assert other.value.until == until
        # an adapter created later in the process learns it too: its connect sends nothing
        late = BinanceExchange(endpoint=sim.endpoint, credentials=OTHER)
        try:
            with pytest.raises(Banned):
                await late.connect()
        finally:
            await late.close()
        assert sim.limiter.used == sent  # not one request reached the venue
        assert sim.state.orders(OTHER["apiKey"]) == []

        # another endpoint is another IP budget: untouched
        assert (await unrelated.fetch_ticker("BTC/USDT")).last is not None


def test_the_window_follows_the_venues_counter() -> None:
    budget = IpBudget("binance", "h", window=10.0, aligned=False)
    budget.record_used(40, now=100.0)
    assert budget.window_end == 110.0  # at the latest a window after the first answer
    assert budget.weight_wait(100, 0.5, now=101.0) == 0.0
    budget.record_used(60, now=102.0)
    assert budget.weight_wait(100, 0.5, now=102.0) == pytest.approx(8.0)
    budget.record_used(3, now=104.0)  # the counter went down: the venue's window reset
    assert budget.window_end == 114.0
    assert budget.weight_wait(100, 0.5, now=104.0) == 0.0
    budget.record_used(70, now=115.0)  # our window ended: a new one
    assert budget.window_end == 125.0
    assert budget.weight_wait(None, 0.5, now=115.0) == 0.0  # no known limit: no wait


def test_aligned_windows_end_on_the_venues_clock() -> None:
    budget = IpBudget("binance", "h", window=60.0, aligned=True)
    budget.clock_offset_ms = 0
    now = time.monotonic()
    budget.record_used(10, now=now)
    assert budget.window_end is not None
    remaining = budget.window_end - now
    expected = 60.0 - time.time() % 60.0
    assert remaining == pytest.approx(expected, abs=0.05)


def test_a_callers_session_is_its_own_route() -> None:
    class Session:
        pass

    class Client:
        own_session = False

        def __init__(self) -> None:
            self.session = Session()
            self.urls = {"api": {"public": "https://api.binance.com/api/v3"}}
            self.options = {"defaultType": "spot"}

    one, two = Client(), Client()
    assert budget_for("binance", one) is not budget_for("binance", two)
    two.session = one.session
    assert budget_for("binance", one) is budget_for("binance", two)
