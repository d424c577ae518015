"""ccxt dicts -> typed records."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from core import MarketType, OrderStatus, OrderType, Side, TimeInForce, convert
from core._convert import DECIMAL_PLACES, TICK_SIZE


def test_market_precision_in_both_modes() -> None:
    raw = {
        "symbol": "BTC/USDT",
        "id": "BTCUSDT",
        "base": "BTC",
        "quote": "USDT",
        "type": "spot",
        "active": True,
        "precision": {"amount": 1e-05, "price": 0.01},
        "limits": {"amount": {"min": 1e-05, "max": 9000.0}, "cost": {"min": 5.0}},
        "taker": 0.001,
    }
    market = convert.market(raw, TICK_SIZE)
    assert market.precision.amount == Decimal("0.00001")
    assert market.precision.price == Decimal("0.01")
    assert market.limits.cost.min == Decimal("5.0")
    assert market.type is MarketType.SPOT
    places = convert.market({**raw, "precision": {"amount": 5, "price": 2}}, DECIMAL_PLACES)
    assert places.precision.amount == Decimal("0.00001")
    assert places.precision.price == Decimal("0.01")


def test_records_are_frozen() -> None:
    ticker = convert.ticker({"symbol": "BTC/USDT", "bid": 1.0, "ask": 2.0})
    with pytest.raises(dataclasses.FrozenInstanceError):
        ticker.bid = 3.0  # type: ignore[misc]
    assert not hasattr(ticker, "__dict__")  # slotted


def test_nan_and_infinity_become_none() -> None:
    ticker = convert.ticker({"symbol": "X/Y", "last": float("nan"), "bid": float("inf")})
    assert ticker.last is None
    assert ticker.bid is None
    assert convert.to_decimal(float("nan")) is None
    assert convert.to_decimal("1e3") == Decimal("1000")


def test_order_book() -> None:
    raw = {"bids": [[100.0, 1.0], [99.0, 2.0]], "asks": [[101.0, 1.5]], "nonce": 7, "timestamp": 1}
    book = convert.order_book(raw, "BTC/USDT", synced=True, limit=1)
    assert book.bids == ((100.0, 1.0),)
    assert book.best_ask == (101.0, 1.5)
    assert book.mid == 100.5
    assert book.spread == 1.0
    assert book.nonce == 7
    assert book.synced


def test_order_with_fees_and_unknown_type() -> None:
    raw = {
        "id": 42,
        "clientOrderId": "xl1",
        "symbol": "BTC/USDT",
        "side": "buy",
        "type": "limit",
        "status": "closed",
        "amount": 0.1,
        "filled": 0.1,
        "remaining": 0.0,
        "price": 50000.0,
        "average": 49999.5,
        "timeInForce": "GTC",
        "fees": [{"cost": 0.0001, "currency": "BTC"}, {"cost": None}],
    }
    order = convert.order(raw)
    assert order.id == "42"
    assert order.side is Side.BUY
    assert order.type is OrderType.LIMIT
    assert order.status is OrderStatus.CLOSED
    assert order.time_in_force is TimeInForce.GTC
    assert order.amount == Decimal("0.1")
    assert len(order.fees) == 1
    assert order.fees[0].cost == Decimal("0.0001")
    assert convert.order({**raw, "type": "LIMIT_MAKER"}).type == "limit_maker"


def test_order_without_side_is_refused() -> None:
    with pytest.raises(ValueError, match="no side"):
        convert.order({"id": "1"})


def test_balance_is_a_read_only_mapping() -> None:
    raw = {
        "info": {},
        "free": {"BTC": 1.0},
        "USDT": {"free": 100.5, "used": 0.5, "total": 101.0},
        "BTC": {"free": 1.0, "used": 0.0, "total": 1.0},
        "timestamp": 5,
    }
    balance = convert.balance(raw)
    assert set(balance) == {"USDT", "BTC"}
    assert balance["USDT"].total == Decimal("101.0")
    with pytest.raises(TypeError):
        balance.assets["ETH"] = balance["BTC"]  # type: ignore[index]


def test_trade_candle_fill_position() -> None:
    trade = convert.trade({"symbol": "X/Y", "id": 1, "price": 2.0, "amount": 3.0, "side": "sell"})
    assert trade.id == "1"
    assert trade.side is Side.SELL
    candle = convert.candle([1, 1.0, 2.0, 0.5, 1.5, None])
    assert candle.volume == 0.0
    fill = convert.fill(
        {"symbol": "X/Y", "id": "t", "order": "o", "price": 2.5, "amount": 1, "fee": {"cost": 0.1}}
    )
    assert fill.price == Decimal("2.5")
    assert fill.fee is not None
    assert fill.fee.cost == Decimal("0.1")
    position = convert.position({"symbol": "BTC/USDT:USDT", "side": "long", "contracts": 2})
    assert position.contracts == Decimal("2")


def test_the_fast_trade_constructor_builds_the_same_frozen_record() -> None:
    import dataclasses

    from core import Side, TakerOrMaker, Trade
    from core._convert import _new_trade

    values = ("BTC/USDT", "42", 1_700_000_000_000, 50_000.5, 0.01, Side.SELL, 500.005,
              TakerOrMaker.TAKER)  # fmt: skip
    fast, slow = _new_trade(*values), Trade(*values)
    assert fast == slow
    assert hash(fast) == hash(slow)
    assert repr(fast) == repr(slow)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.price = 1.0  # type: ignore[misc]
