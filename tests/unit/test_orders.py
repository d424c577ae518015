"""Order validation: every bad input is refused naming its field, before anything is sent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from core import InvalidOrder, Limits, Market, MarketType, MinMax, OrderType, Precision, Side
from exchanges import ClientOrderIdRules
from exchanges.trading._orders import (
    ORDER_FIELD_PARAMS,
    ORDER_LOOKUP_PARAMS,
    ccxt_order_params,
    refuse_params,
    reserved_params,
    validate_order,
)

BTC = Market(
    symbol="BTC/USDT",
    id="BTCUSDT",
    base="BTC",
    quote="USDT",
    type=MarketType.SPOT,
    precision=Precision(amount=Decimal("0.00001"), price=Decimal("0.01")),
    limits=Limits(
        amount=MinMax(Decimal("0.00001"), Decimal("9000")),
        price=MinMax(Decimal("0.01"), Decimal("1000000")),
        cost=MinMax(Decimal("5"), None),
    ),
)
RULES = ClientOrderIdRules(max_length=36, pattern=r"[.A-Za-z0-9:/_-]+")


_ARGS: dict[str, Any] = {
    "side": "buy",
    "type": "limit",
    "amount": Decimal("0.01"),
    "price": Decimal("50000"),
    "trigger_price": None,
    "trailing_amount": None,
    "time_in_force": None,
    "post_only": False,
    "reduce_only": False,
    "client_order_id": None,
    "id_rules": RULES,
    "id_prefix": "xl",
    "venue": "binance",
}


def validate(**overrides: Any):  # type: ignore[no-untyped-def]
    return validate_order(BTC, **{**_ARGS, **overrides})


def test_valid_limit_order() -> None:
    order = validate()
    assert order.side is Side.BUY
    assert order.type is OrderType.LIMIT
    assert order.amount == Decimal("0.01")
    assert order.price == Decimal("50000")
    assert order.client_order_id.startswith("xl")
    assert len(order.client_order_id) <= 36


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("amount", {"amount": 0}),
        ("amount", {"amount": Decimal("-1")}),
        ("amount", {"amount": float("nan")}),
        ("amount", {"amount": float("inf")}),
        ("amount", {"amount": "abc"}),
        ("amount", {"amount": True}),
        ("amount", {"amount": None}),
        ("amount", {"amount": Decimal("0.000001")}),  # rounds to zero
        ("amount", {"amount": Decimal("10000")}),  # above max
        ("amount", {"amount": Decimal("0.00001"), "price": Decimal("100")}),  # notional < 5
        ("price", {"price": None}),
        ("price", {"price": Decimal("0")}),
        ("price", {"price": Decimal("NaN")}),
        ("price", {"type": "market"}),  # a market order takes no price
        ("price", {"price": Decimal("2000000")}),
        ("side", {"side": "long"}),
        ("type", {"type": "iceberg"}),
        ("time_in_force", {"time_in_force": "day"}),
        ("trigger_price", {"type": "stop_loss_limit"}),
        ("trigger_price", {"trigger_price": Decimal("1")}),
        ("trailing_amount", {"type": "trailing_stop", "price": None}),
        ("post_only", {"post_only": True, "type": "market", "price": None}),
        ("post_only", {"post_only": True, "time_in_force": "ioc"}),
        ("reduce_only", {"reduce_only": True}),
        ("client_order_id", {"client_order_id": "has space"}),
        ("client_order_id", {"client_order_id": "x" * 37}),
        ("client_order_id", {"client_order_id": ""}),
        ("client_order_id", {"client_order_id": 123}),
        ("client_order_id", {"client_order_id": b"abc"}),
        ("post_only", {"post_only": "no"}),
        ("post_only", {"post_only": 1}),
        ("post_only", {"post_only": None}),
        ("reduce_only", {"reduce_only": "false"}),
    ],
)
def test_bad_input_names_the_field(field: str, overrides: dict[str, Any]) -> None:
    with pytest.raises(InvalidOrder) as info:
        validate(**overrides)
    assert info.value.field == field
    assert str(info.value).startswith(f"binance: {field}:")


def test_rounding_is_never_bigger_nor_more_aggressive() -> None:
    buy = validate(amount=Decimal("0.123456789"), price=Decimal("50000.019"))
    assert buy.amount == Decimal("0.12345")
    assert buy.price == Decimal("50000.01")
    sell = validate(side="sell", amount=Decimal("0.123456789"), price=Decimal("50000.011"))
    assert sell.amount == Decimal("0.12345")
    assert sell.price == Decimal("50000.02")


def test_numbers_in_every_accepted_form() -> None:
    assert validate(amount="0.01").amount == Decimal("0.01")
    assert validate(amount=0.01).amount == Decimal("0.01")  # repr, not binary expansion
    assert validate(amount=1, price=50000).amount == Decimal("1")


def test_market_and_trigger_orders_map_to_unified_ccxt_params() -> None:
    market = validate(type="market", price=None)
    assert ccxt_order_params(market, {}) == ("market", {"clientOrderId": market.client_order_id})
    stop = validate(type="stop_loss_limit", trigger_price=Decimal("49000"), time_in_force="gtc")
    ccxt_type, params = ccxt_order_params(stop, {"extra": 1})
    assert ccxt_type == "limit"
    assert params["stopLossPrice"] == 49000.0
    assert params["timeInForce"] == "GTC"
    assert params["extra"] == 1
    post = validate(post_only=True)
    assert ccxt_order_params(post, {})[1]["postOnly"] is True


def test_generated_ids_are_unique_and_follow_the_rules() -> None:
    rules = ClientOrderIdRules(max_length=18, pattern=r"[A-Za-z0-9]+")
    ids = {rules.generate("xl") for _ in range(1000)}
    assert len(ids) == 1000
    assert all(rules.check(i) is None for i in ids)


def test_inactive_market_is_refused() -> None:
    inactive = Market(
        symbol="X/Y", id="XY", base="X", quote="Y", type=MarketType.SPOT, active=False
    )
    with pytest.raises(InvalidOrder) as info:
        validate_order(
            inactive,
            side="buy",
            type="market",
            amount=1,
            price=None,
            trigger_price=None,
            trailing_amount=None,
            time_in_force=None,
            post_only=False,
            reduce_only=False,
            client_order_id=None,
            id_rules=RULES,
            id_prefix="",
            venue="v",
        )
    assert info.value.field == "symbol"


def test_a_long_prefix_never_shortens_the_random_part() -> None:
    rules = ClientOrderIdRules(max_length=18, pattern=r"[A-Za-z0-9]+")
    value = rules.generate("abcd1234")
    assert len(value) == 18
    assert value.startswith("ab")  # the prefix gave way to 16 random characters
    assert rules.check(value) is None


def test_significant_digit_venues_round_in_the_passive_direction() -> None:
    from dataclasses import replace

    sig = replace(
        BTC,
        precision=Precision(amount_digits=4, price_digits=5),
        limits=Limits(cost=MinMax(Decimal("1"), None)),
    )
    buy = validate_order(
        sig, **{**_ARGS, "amount": Decimal("0.123456"), "price": Decimal("50004.6")}
    )
    sell = validate_order(sig, **{**_ARGS, "side": "sell", "price": Decimal("50004.6")})
    assert buy.price == Decimal("50004")
    assert buy.amount == Decimal("0.1234")
    assert sell.price == Decimal("50005")


async def test_ccxt_sends_the_significant_digit_price_unchanged() -> None:
    from exchanges import CcxtExchange

    ex = CcxtExchange("bitfinex")
    try:
        ex.use_markets(
            [
                {
                    "id": "tBTCUSD",
                    "symbol": "BTC/USD",
                    "base": "BTC",
                    "quote": "USD",
                    "baseId": "BTC",
                    "quoteId": "USD",
                    "type": "spot",
                    "spot": True,
                    "active": True,
                    "precision": {"amount": 8, "price": 5},
                    "limits": {"amount": {"min": 0.0001}},
                    "info": {},
                }
            ]
        )
        assert ex.market("BTC/USD").precision.price_digits == 5
        order = ex.prepare_order("BTC/USD", "buy", "limit", Decimal("0.01"), Decimal("50004.6"))
        assert order.price == Decimal("50004")
        assert ex.raw.price_to_precision("BTC/USD", float(order.price)) == "50004"
    finally:
        await ex.close()


@pytest.mark.parametrize(
    "key",
    [
        "side",
        "Side",
        "SIDE",
        "quantity",
        "QUANTITY",
        "time_in_force",
        "TIME-IN-FORCE",
        "client_oid",
    ],
)
def test_params_keys_are_compared_ignoring_case_and_separators(key: str) -> None:
    reserved = reserved_params(ORDER_FIELD_PARAMS)
    with pytest.raises(InvalidOrder) as info:
        refuse_params({"recvWindow": 1, key: "x"}, reserved, method="place_order", venue="v")
    assert info.value.field == f"params.{key}"
    refuse_params({"recvWindow": 1, "newOrderRespType": "FULL"}, reserved, method="m", venue="v")


def test_venue_wire_names_are_data_for_known_arguments() -> None:
    from exchanges import BinanceExchange, CoinbaseExchange, KrakenExchange, OkxExchange

    for venue in (BinanceExchange, CoinbaseExchange, KrakenExchange, OkxExchange):
        assert set(venue.order_field_params) <= set(ORDER_FIELD_PARAMS), venue
        assert set(venue.order_lookup_params) <= set(ORDER_LOOKUP_PARAMS), venue
