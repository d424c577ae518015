"""The matching engine on its own: priority, partial fills, fees, locks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchanges.simulator import (
    Account,
    ApiError,
    EngineHooks,
    MatchingEngine,
    Order,
    OrderStatus,
    Side,
    Trade,
    spec_for,
)

D = Decimal


def make_engine() -> tuple[MatchingEngine, list[Trade]]:
    trades: list[Trade] = []
    accounts = {
        "a": Account("a", "s", commission_maker=D("0.001"), commission_taker=D("0.002")),
        "b": Account("b", "s", commission_maker=D("0.001"), commission_taker=D("0.002")),
    }
    for account in accounts.values():
        account.balance("USDT").free = D("100000")
        account.balance("BTC").free = D("2")
    engine = MatchingEngine(spec_for("BTC/USDT"), accounts, lambda: 1, EngineHooks())
    engine.hooks.on_trade = trades.append
    return engine, trades


def order(
    engine: MatchingEngine,
    account: str,
    side: Side,
    qty: str,
    price: str = "0",
    kind: str = "LIMIT",
    tif: str | None = "GTC",
) -> Order:
    return Order(
        symbol="BTCUSDT",
        order_id=engine.new_order_id(),
        client_order_id=f"c{engine.next_order_id}",
        account=account,
        side=side,
        type=kind,
        time_in_force=tif,
        price=D(price),
        orig_qty=D(qty),
        time=1,
    )


def test_limit_order_locks_and_cancel_releases() -> None:
    engine, _ = make_engine()
    buy = order(engine, "a", Side.BUY, "0.5", "40000")
    engine.submit(buy)
    usdt = engine.accounts["a"].balance("USDT")
    assert (usdt.free, usdt.locked) == (D("80000"), D("20000"))
    assert engine.book.bids.levels() == [(D("40000"), D("0.5"))]
    engine.cancel(buy)
    assert (usdt.free, usdt.locked) == (D("100000"), D("0"))
    assert buy.status is OrderStatus.CANCELED
    assert engine.book.bids.levels() == []


def test_price_time_priority_partial_fills_and_fees() -> None:
    engine, trades = make_engine()
    first = order(engine, "b", Side.SELL, "0.3", "50000")
    second = order(engine, "b", Side.SELL, "0.3", "50000")
    better = order(engine, "b", Side.SELL, "0.1", "49990")
    for o in (first, second, better):
        engine.submit(o)
    taker = order(engine, "a", Side.BUY, "0.5", "50000")
    engine.submit(taker)
    assert [(t.price, t.qty) for t in trades] == [
        (D("49990"), D("0.1")),
        (D("50000"), D("0.3")),
        (D("50000"), D("0.1")),
    ]
    assert better.status is OrderStatus.FILLED
    assert first.status is OrderStatus.FILLED
    assert second.status is OrderStatus.PARTIALLY_FILLED
    assert second.remaining == D("0.2")
    assert taker.status is OrderStatus.FILLED
    # the taker paid 0.2% of the base it bought; makers 0.1% of the quote they received
    assert sum(f.commission for f in taker.fills) == D("0.001")
    assert better.fills[0].commission == D("4.999")
    # the buy locked 25000 at its limit and spent 24999: the difference came back
    usdt_a = engine.accounts["a"].balance("USDT")
    assert usdt_a.locked == D("0")
    assert usdt_a.free == D("100000") - D("24999")
    # the makers received 0.4 * 50000 + 0.1 * 49990, less 0.1% of it
    usdt_b = engine.accounts["b"].balance("USDT")
    assert usdt_b.free == D("100000") + D("24999") - D("24.999")


def test_fok_expires_untouched_and_ioc_keeps_its_fill() -> None:
    engine, trades = make_engine()
    engine.house_add(Side.SELL, D("50000"), D("0.2"))
    fok = order(engine, "a", Side.BUY, "0.3", "50000", tif="FOK")
    engine.submit(fok)
    assert fok.status is OrderStatus.EXPIRED
    assert trades == []
    ioc = order(engine, "a", Side.BUY, "0.3", "50000", tif="IOC")
    engine.submit(ioc)
    assert ioc.status is OrderStatus.EXPIRED
    assert ioc.executed_qty == D("0.2")
    assert engine.accounts["a"].balance("USDT").locked == D("0")


def test_limit_maker_that_would_take_is_rejected() -> None:
    engine, _ = make_engine()
    engine.house_add(Side.SELL, D("50000"), D("1"))
    with pytest.raises(ApiError) as info:
        engine.submit(order(engine, "a", Side.BUY, "0.1", "50000", "LIMIT_MAKER", None))
    assert info.value.code == -2010


def test_insufficient_balance() -> None:
    engine, _ = make_engine()
    with pytest.raises(ApiError) as info:
        engine.submit(order(engine, "a", Side.SELL, "3", "50000"))
    assert (info.value.code, info.value.msg) == (
        -2010,
        "Account has insufficient balance for requested action.",
    )


def test_house_liquidity_fills_a_resting_user_order() -> None:
    engine, trades = make_engine()
    bid = order(engine, "a", Side.BUY, "0.1", "50000")
    engine.submit(bid)
    engine.house_add(Side.SELL, D("49000"), D("0.5"))
    assert bid.status is OrderStatus.FILLED
    assert trades[0].price == D("50000")  # the resting order's price
    assert engine.book.asks.levels() == [(D("49000"), D("0.4"))]


def test_self_trade_prevention_expires_the_maker() -> None:
    engine, trades = make_engine()
    mine = order(engine, "a", Side.SELL, "0.1", "50000")
    theirs = order(engine, "b", Side.SELL, "0.1", "50001")
    engine.submit(mine)
    engine.submit(theirs)
    taker = order(engine, "a", Side.BUY, "0.1", "50001")
    engine.submit(taker)
    assert mine.status is OrderStatus.EXPIRED_IN_MATCH
    assert engine.accounts["a"].balance("BTC").locked == D("0")
    assert [(t.price, t.qty) for t in trades] == [(D("50001"), D("0.1"))]
    assert theirs.status is OrderStatus.FILLED
