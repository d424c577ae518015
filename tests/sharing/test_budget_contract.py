"""One contract for both budget backends: the process's own (``InProcessBudget``) and
Redis's (``RedisBudget``, a Lua script on the server's clock). Each test gets two handles,
``a`` and ``b``, standing for two processes: the same object in-process, two separate
Redis clients for Redis."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from exchanges.sharing import Ask, BudgetBackend, InProcessBudget, Outcome
from exchanges.sharing._connection import _open
from exchanges.sharing._redis_budget import RedisBudget

BIG = 1_000_000.0  # seconds: one window for the whole test (epoch-aligned)
KEY = "binance|127.0.0.1:1|direct"


def ask(weight: float, share: float, *, limit: float = 100, window: float = BIG, wait: float = 1.0,
        pause: bool = True) -> Ask:  # fmt: skip
    return Ask(KEY, weight, limit, share, window, wait, pause)


@pytest.fixture(params=["local", "redis"])
async def handles(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[BudgetBackend, BudgetBackend]]:
    if request.param == "local":
        local = InProcessBudget()
        yield local, local
        return
    url = request.getfixturevalue("redis_url")
    one, two = await _open(url), await _open(url)
    try:
        yield RedisBudget(one, InProcessBudget()), RedisBudget(two, InProcessBudget())
    finally:
        await one.client.aclose()
        await two.client.aclose()


async def outcomes(backend: BudgetBackend, the_ask: Ask, times: int) -> list[Outcome]:
    return [(await backend.reserve(the_ask)).outcome for _ in range(times)]


async def test_priorities_share_the_window(handles: tuple[BudgetBackend, BudgetBackend]) -> None:
    a, b = handles
    g, r = Outcome.GRANTED, Outcome.REFUSED
    # repairs up to 40 of 100, reads up to 80, orders the whole window; across processes
    assert await outcomes(a, ask(10, 0.4), 3) + await outcomes(b, ask(10, 0.4), 2) == [g] * 4 + [r]
    assert await outcomes(b, ask(10, 0.8), 5) == [g] * 4 + [r]
    assert await outcomes(a, ask(10, 0.4), 1) == [r]  # repairs yield first
    assert await outcomes(a, ask(10, 1.0), 3) == [g, g, r]
    refused = await b.reserve(ask(1, 1.0))
    assert refused.outcome is Outcome.REFUSED
    # when the next window starts: far beyond the second it may wait
    assert refused.delay > 1.0
    assert refused.window_start > time.time()


async def test_a_heavy_request_still_fits_an_empty_window(
    handles: tuple[BudgetBackend, BudgetBackend],
) -> None:
    a, _ = handles
    assert (await a.reserve(ask(500, 0.8))).outcome is Outcome.GRANTED
    assert (await a.reserve(ask(1, 1.0))).outcome is Outcome.REFUSED


async def test_a_full_window_books_the_next_one_and_says_when(
    handles: tuple[BudgetBackend, BudgetBackend],
) -> None:
    a, b = handles
    first = await a.reserve(ask(10, 1.0, limit=10, window=1.0, wait=2.0))
    assert first.outcome is Outcome.GRANTED
    assert first.delay == 0
    later = await b.reserve(ask(1, 1.0, limit=10, window=1.0, wait=2.0))
    assert later.outcome is Outcome.GRANTED
    assert later.window_start == pytest.approx(first.window_start + 1.0)
    # the caller sleeps until the booked window starts (never more than one window here)
    assert 0 <= later.delay <= 1.0
    assert later.delay == pytest.approx(max(0.0, later.window_start - time.time()), abs=0.05)


async def test_a_refusal_books_nothing(handles: tuple[BudgetBackend, BudgetBackend]) -> None:
    a, b = handles
    assert (await a.reserve(ask(70, 0.8))).outcome is Outcome.GRANTED
    assert (await b.reserve(ask(20, 0.8))).outcome is Outcome.REFUSED
    assert (await b.reserve(ask(10, 0.8))).outcome is Outcome.GRANTED  # 80: still room


async def test_the_venue_s_count_corrects_ours_upward_only(
    handles: tuple[BudgetBackend, BudgetBackend],
) -> None:
    a, b = handles
    assert (await a.reserve(ask(10, 0.8))).outcome is Outcome.GRANTED
    await b.record_used(KEY, 60, BIG)  # the venue counted more than we booked
    await a.record_used(KEY, 20, BIG)  # a late, lower report changes nothing
    assert await outcomes(a, ask(10, 0.8), 3) == [Outcome.GRANTED] * 2 + [Outcome.REFUSED]


async def test_a_pause_holds_reads_back_and_not_orders(
    handles: tuple[BudgetBackend, BudgetBackend],
) -> None:
    a, b = handles
    await a.pause(KEY, 30)
    read = await b.reserve(ask(1, 0.8))
    assert read.outcome is Outcome.REFUSED
    assert read.delay == pytest.approx(30, abs=0.5)
    assert read.paused_until == pytest.approx(time.time() + 30, abs=0.5)
    order = await b.reserve(ask(1, 1.0, pause=False))
    assert order.outcome is Outcome.GRANTED
    assert order.delay == 0
    # a short pause: the read is booked, due when the pause ends
    await a.pause("other", 0.3)
    short = await b.reserve(Ask("other", 1, 100, 0.8, BIG, 1.0, True))
    assert short.outcome is Outcome.GRANTED
    assert 0.2 < short.delay <= 0.31


async def test_a_ban_refuses_everything_until_it_ends(
    handles: tuple[BudgetBackend, BudgetBackend],
) -> None:
    a, b = handles
    until = time.time() + 60
    await a.ban(KEY, until)
    for share in (0.4, 0.8, 1.0):
        grant = await b.reserve(ask(1, share, pause=share < 1))
        assert grant.outcome is Outcome.BANNED
        assert grant.delay == pytest.approx(60, abs=0.5)
        assert grant.banned_until == pytest.approx(until, abs=0.01)
    assert (await b.reserve(Ask("another-host", 1, 100, 1.0, BIG, 1.0, False))).delay == 0
