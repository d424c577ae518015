"""Arguments are checked at the door, against the simulator's request counters: a
``params`` key that would override a validated field (or point a cancel elsewhere) and an
argument of the wrong type or value are refused naming the field, and nothing reaches the
venue."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest

from core import BadRequest, InvalidOrder, OrderStatus
from exchanges import BinanceExchange
from exchanges.simulator import DEMO_API_KEY, DEMO_SECRET, Simulator

DEMO = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}
PRICE = Decimal("30000")  # far below the simulator's book: a resting buy


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=5, rate=0) as simulator:
        yield simulator


@pytest.fixture
async def ex(sim: Simulator) -> AsyncIterator[BinanceExchange]:
    async with BinanceExchange(endpoint=sim.endpoint, credentials=DEMO) as adapter:
        yield adapter


@contextmanager
def nothing_reaches(sim: Simulator) -> Iterator[None]:
    """No REST request (the weight counter), order, or WebSocket reaches the simulator."""
    weight, orders, sockets = sim.limiter.used, sim.order_counter.count, len(sim.hub.connections)
    placed = len(sim.state.orders(DEMO_API_KEY))
    yield
    assert sim.limiter.used == weight, "a REST request reached the venue"
    assert sim.order_counter.count == orders
    assert len(sim.state.orders(DEMO_API_KEY)) == placed
    assert len(sim.hub.connections) == sockets


# ---------------------------------------------------------------- params= (issue 11, item 8)
OVERRIDING_KEYS = [
    ("side", "SELL"),
    ("SIDE", "SELL"),
    ("symbol", "ETHUSDT"),
    ("type", "MARKET"),
    ("type", "future"),  # binance reads it as the market type: another API
    ("defaultType", "future"),
    ("amount", 5),
    ("quantity", "5"),
    ("qty", "5"),
    ("size", "5"),
    ("quoteOrderQty", "100000"),
    ("cost", "100000"),
    ("price", "31000.123456"),
    ("timeInForce", "IOC"),
    ("time_in_force", "IOC"),
    ("stopPrice", "29000"),
    ("triggerPrice", "29000"),
    ("stopLossPrice", "29000"),
    ("takeProfitPrice", "31000"),
    ("trailingPercent", "1"),
    ("trailingDelta", 100),  # binance's wire name
    ("postOnly", True),
    ("post-only", True),
    ("reduceOnly", True),
    ("clientOrderId", "mine"),
    ("newClientOrderId", "mine"),
    ("NEW_CLIENT_ORDER_ID", "mine"),
    ("closePosition", True),  # binance futures: the whole position
    ("priceMatch", "OPPONENT"),
]


@pytest.mark.parametrize(("key", "value"), OVERRIDING_KEYS)
async def test_params_overriding_a_validated_field_never_reach_the_venue(
    sim: Simulator, ex: BinanceExchange, key: str, value: Any
) -> None:
    with nothing_reaches(sim), pytest.raises(InvalidOrder) as info:
        await ex.place_order("BTC/USDT", "buy", "limit", "0.001", PRICE, params={key: value})
    assert info.value.field == f"params.{key}"
    assert f"params.{key}:" in str(info.value)


async def test_every_clashing_key_is_named(sim: Simulator, ex: BinanceExchange) -> None:
    extra = {"side": "SELL", "recvWindow": 5000, "symbol": "ETHUSDT"}
    with nothing_reaches(sim), pytest.raises(InvalidOrder) as info:
        await ex.place_order("BTC/USDT", "buy", "limit", "0.001", PRICE, params=extra)
    assert info.value.field == "params.side"
    assert "'side' (side)" in str(info.value)
    assert "'symbol' (symbol)" in str(info.value)
    assert "recvWindow" not in str(info.value)


async def test_params_naming_nothing_validated_still_go_through(
    sim: Simulator, ex: BinanceExchange
) -> None:
    order = await ex.place_order(
        "BTC/USDT", "buy", "limit", "0.001", PRICE, params={"newOrderRespType": "FULL"}
    )
    [placed] = sim.state.orders(DEMO_API_KEY)
    assert str(placed.order_id) == order.id
    assert placed.side.value == "BUY"


@pytest.mark.parametrize(
    ("method", "key"),
    [
        ("cancel_order", "orderId"),
        ("cancel_order", "origClientOrderId"),
        ("cancel_order", "clientOrderId"),
        ("cancel_order", "symbol"),
        ("cancel_order", "type"),
        ("cancel_order", "algoId"),
        ("fetch_order_status", "orderId"),
        ("fetch_order_status", "origClientOrderId"),
        ("fetch_order_status", "Symbol"),
    ],
)
async def test_params_redirecting_a_cancel_or_lookup_are_refused(
    sim: Simulator, ex: BinanceExchange, method: str, key: str
) -> None:
    target = await ex.place_order("BTC/USDT", "buy", "limit", "0.001", PRICE)
    other = await ex.place_order("BTC/USDT", "buy", "limit", "0.001", PRICE - 1)
    value = {"symbol": "ETHUSDT", "Symbol": "ETHUSDT", "type": "future"}.get(key, other.id)
    error = InvalidOrder if method == "cancel_order" else BadRequest
    with nothing_reaches(sim), pytest.raises(error) as info:
        await getattr(ex, method)(target.id, "BTC/USDT", params={key: value})
    assert type(info.value) is error
    assert info.value.field == f"params.{key}"
    assert all(o.status.value == "NEW" for o in sim.state.orders(DEMO_API_KEY))
    # a harmless param still goes through, to the order named
    canceled = await ex.cancel_order(target.id, "BTC/USDT", params={"recvWindow": 5000})
    assert canceled.status is OrderStatus.CANCELED
    assert (await ex.fetch_order_status(other.id, "BTC/USDT")).status is OrderStatus.OPEN


# ---------------------------------------------------------------- types (issue 11, item 9)
SYMBOL = [None, 123, "", "   ", b"BTC/USDT", ["BTC/USDT"]]
OPTIONAL_SYMBOL = [123, "", b"BTC/USDT", ["BTC/USDT"]]
SYMBOLS = ["BTC/USDT", b"BTC/USDT", 42, [None], ["BTC/USDT", ""]]
IDENT = [None, 123, "", " ", b"12", True]
FLAG = ["no", "false", 1, 0, None]
SINCE = [True, 1.5, "0", -1]
LIMIT = [True, 2.0, "5", 0, -3]
TIMEFRAME = [None, 1, "", "7m"]
PARAMS = ["x", ["side"], {1: "a"}, 3]
CLIENT_ID = [123, "", " ", b"abc", True]

ORDER = {"symbol": "BTC/USDT", "side": "buy", "type": "limit", "amount": "0.001", "price": PRICE}
BOOK = {"symbol": "BTC/USDT"}


def _cb(_record: object) -> None:
    pass


# method -> (valid arguments, {argument: bad values}, error class)
TABLE: dict[str, tuple[dict[str, Any], dict[str, list[Any]], type[BadRequest]]] = {
    "place_order": (
        ORDER,
        {
            "symbol": SYMBOL,
            "post_only": FLAG,
            "reduce_only": FLAG,
            "client_order_id": CLIENT_ID,
            "params": PARAMS,
        },
        InvalidOrder,
    ),
    "prepare_order": (
        ORDER,
        {"symbol": SYMBOL, "post_only": FLAG, "reduce_only": FLAG, "client_order_id": CLIENT_ID},
        InvalidOrder,
    ),
    "cancel_order": (
        {"order_id": "1", "symbol": "BTC/USDT"},
        {"order_id": IDENT, "symbol": SYMBOL, "params": PARAMS},
        InvalidOrder,
    ),
    "fetch_order_status": (
        {"order_id": "1", "symbol": "BTC/USDT"},
        {"order_id": IDENT, "symbol": SYMBOL, "params": PARAMS},
        BadRequest,
    ),
    "fetch_order_by_client_id": (
        {"client_order_id": "x1", "symbol": "BTC/USDT"},
        {"client_order_id": IDENT, "symbol": SYMBOL},
        BadRequest,
    ),
    "fetch_open_orders": ({}, {"symbol": OPTIONAL_SYMBOL}, BadRequest),
    "fetch_my_trades": (
        {},
        {"symbol": OPTIONAL_SYMBOL, "since": SINCE, "limit": LIMIT},
        BadRequest,
    ),
    "fetch_trades": (BOOK, {"symbol": SYMBOL, "since": SINCE, "limit": LIMIT}, BadRequest),
    "fetch_ohlcv": (
        BOOK,
        {"symbol": SYMBOL, "timeframe": TIMEFRAME, "since": SINCE, "limit": LIMIT},
        BadRequest,
    ),
    "fetch_order_book": (BOOK, {"symbol": SYMBOL, "limit": LIMIT}, BadRequest),
    "fetch_ticker": (BOOK, {"symbol": SYMBOL}, BadRequest),
    "fetch_tickers": ({}, {"symbols": SYMBOLS}, BadRequest),
    "fetch_positions": ({}, {"symbols": SYMBOLS}, BadRequest),
    "fetch_markets": ({}, {"reload": FLAG}, BadRequest),
    "watch_ticker": (BOOK, {"symbol": SYMBOL}, BadRequest),
    "watch_trades": (BOOK, {"symbol": SYMBOL}, BadRequest),
    "watch_order_book": (BOOK, {"symbol": SYMBOL, "limit": LIMIT}, BadRequest),
    "watch_ohlcv": (BOOK, {"symbol": SYMBOL, "timeframe": TIMEFRAME}, BadRequest),
    "watch_orders": ({}, {"symbol": OPTIONAL_SYMBOL}, BadRequest),
    "watch_my_trades": ({}, {"symbol": OPTIONAL_SYMBOL}, BadRequest),
    "stream_ticker": (BOOK, {"symbol": SYMBOL}, BadRequest),
    "stream_trades": (BOOK, {"symbol": SYMBOL}, BadRequest),
    "stream_order_book": (BOOK, {"symbol": SYMBOL}, BadRequest),
    "stream_ohlcv": (BOOK, {"symbol": SYMBOL, "timeframe": [None, 1, ""]}, BadRequest),
    "stream_orders": ({}, {"symbol": OPTIONAL_SYMBOL}, BadRequest),
    "stream_my_trades": ({}, {"symbol": OPTIONAL_SYMBOL}, BadRequest),
    "subscribe_ticker": ({**BOOK, "callback": _cb}, {"symbol": SYMBOL}, BadRequest),
    "subscribe_trades": ({**BOOK, "callback": _cb}, {"symbol": SYMBOL}, BadRequest),
    "subscribe_order_book": ({**BOOK, "callback": _cb}, {"symbol": SYMBOL}, BadRequest),
    "subscribe_ohlcv": (
        {**BOOK, "callback": _cb},
        {"symbol": SYMBOL, "timeframe": [None, 1, ""]},
        BadRequest,
    ),
    "subscribe_orders": ({"callback": _cb}, {"symbol": OPTIONAL_SYMBOL}, BadRequest),
    "subscribe_my_trades": ({"callback": _cb}, {"symbol": OPTIONAL_SYMBOL}, BadRequest),
    "subscribe_tickers": (
        {"symbols": ["BTC/USDT"], "callback": _cb},
        {"symbols": SYMBOLS},
        BadRequest,
    ),
    "subscribe_trades_for_symbols": (
        {"symbols": ["BTC/USDT"], "callback": _cb},
        {"symbols": [*SYMBOLS, []]},
        BadRequest,
    ),
    "subscribe_order_book_for_symbols": (
        {"symbols": ["BTC/USDT"], "callback": _cb},
        {"symbols": SYMBOLS},
        BadRequest,
    ),
}


async def test_every_public_method_checks_its_arguments_at_the_door(
    sim: Simulator, ex: BinanceExchange
) -> None:
    wrong: list[str] = []
    cases = 0
    with nothing_reaches(sim):
        for method, (valid, bad, error) in TABLE.items():
            for argument, values in bad.items():
                for value in values:
                    cases += 1
                    case = f"{method}({argument}={value!r})"
                    try:
                        result = getattr(ex, method)(**{**valid, argument: value})
                        if inspect.isawaitable(result):
                            await result
                    except BadRequest as exc:
                        if type(exc) is not error:
                            wrong.append(f"{case}: {type(exc).__name__}, not {error.__name__}")
                        elif not (exc.field or "").startswith(argument):
                            wrong.append(f"{case}: field {exc.field!r}")
                        elif not str(exc).startswith(f"binance: {exc.field}: "):
                            wrong.append(f"{case}: message {exc}")
                    except Exception as exc:
                        wrong.append(f"{case}: {type(exc).__name__}: {exc}")
                    else:
                        wrong.append(f"{case}: accepted")
    assert cases > 200
    assert wrong == []
