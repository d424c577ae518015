"""binance quirks at the wire: market types pick the right API, orders are signed as
binance documents (HMAC-SHA256 of the exact query/body, key in ``X-MBX-APIKEY``)."""

from __future__ import annotations

import hashlib
import hmac
import logging
from decimal import Decimal
from typing import Any

import pytest

from core import ConfigurationError, InvalidOrder, OrderStatus, OrderType, Side
from exchanges import BinanceExchange

from ..fakevenue import Captured, FakeVenue, market

KEY = "binance-wire-test-api-key-0001"
SECRET = "binance-wire-test-secret-0001"


SPOT_INFO = {
    "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"]
}


def btc_usdt() -> dict[str, Any]:
    return market("BTC/USDT", "BTCUSDT", info=SPOT_INFO)


def order_response(req: Captured) -> tuple[int, Any]:
    fields = req.form() or req.query
    return 200, {
        "symbol": fields["symbol"],
        "orderId": 28,
        "clientOrderId": fields.get("newClientOrderId"),
        "transactTime": 1507725176595,
        "price": fields.get("price", "0"),
        "origQty": fields["quantity"],
        "executedQty": "0",
        "cummulativeQuoteQty": "0",
        "status": "NEW",
        "timeInForce": fields.get("timeInForce", "GTC"),
        "type": fields["type"],
        "side": fields["side"],
        "fills": [],
    }


def assert_signed(req: Captured) -> None:
    payload = req.body if req.method == "POST" else req.query_string
    unsigned, _, signature = payload.rpartition("&signature=")
    expected = hmac.new(SECRET.encode(), unsigned.encode(), hashlib.sha256).hexdigest()
    assert signature == expected
    assert req.headers["X-MBX-APIKEY"] == KEY


async def test_spot_limit_order_request(fake_venue: FakeVenue) -> None:
    fake_venue.responder = order_response
    ex = BinanceExchange(credentials={"apiKey": KEY, "secret": SECRET}, config=fake_venue.config())
    ex.use_markets([btc_usdt()])
    async with ex:
        order = await ex.place_order(
            "BTC/USDT", "buy", "limit", Decimal("0.0123456"), Decimal("50000.019")
        )
    [req] = fake_venue.requests
    assert (req.method, req.host, req.path) == ("POST", "api.binance.com", "/api/v3/order")
    fields = req.form()
    assert fields["symbol"] == "BTCUSDT"
    assert fields["side"] == "BUY"
    assert fields["type"] == "LIMIT"
    assert fields["timeInForce"] == "GTC"
    assert fields["quantity"] == "0.01234"  # rounded down to the lot step before sending
    assert fields["price"] == "50000.01"  # a buy rounds down to the tick
    assert fields["newClientOrderId"] == order.client_order_id
    assert "timestamp" in fields
    assert_signed(req)
    assert order.side is Side.BUY
    assert order.type is OrderType.LIMIT
    assert order.status is OrderStatus.OPEN
    assert order.amount == Decimal("0.01234")


async def test_post_only_is_limit_maker(fake_venue: FakeVenue) -> None:
    fake_venue.responder = order_response
    ex = BinanceExchange(credentials={"apiKey": KEY, "secret": SECRET}, config=fake_venue.config())
    ex.use_markets([btc_usdt()])
    async with ex:
        await ex.place_order("BTC/USDT", "sell", "limit", "0.01", "60000", post_only=True)
    assert fake_venue.requests[0].form()["type"] == "LIMIT_MAKER"


async def test_margin_orders_go_to_sapi(fake_venue: FakeVenue) -> None:
    fake_venue.responder = order_response
    ex = BinanceExchange(
        market_type="margin",
        credentials={"apiKey": KEY, "secret": SECRET},
        config=fake_venue.config(),
    )
    ex.use_markets([btc_usdt()])
    async with ex:
        await ex.place_order("BTC/USDT", "buy", "limit", "0.01", "50000")
    [req] = fake_venue.requests
    assert (req.host, req.path) == ("api.binance.com", "/sapi/v1/margin/order")
    assert_signed(req)


@pytest.mark.parametrize(
    ("sub_type", "symbol", "market_id", "host", "path"),
    [
        ("linear", "BTC/USDT:USDT", "BTCUSDT", "fapi.binance.com", "/fapi/v1/ticker/24hr"),
        ("inverse", "BTC/USD:BTC", "BTCUSD_PERP", "dapi.binance.com", "/dapi/v1/ticker/24hr"),
    ],
)
async def test_usdm_and_coinm_use_their_own_apis(
    fake_venue: FakeVenue, sub_type: str, symbol: str, market_id: str, host: str, path: str
) -> None:
    fake_venue.responder = lambda req: (200, {"symbol": req.query["symbol"], "lastPrice": "1"})
    ex = BinanceExchange(market_type="swap", sub_type=sub_type, config=fake_venue.config())  # type: ignore[arg-type]
    linear = sub_type == "linear"
    ex.use_markets(
        [
            market(
                symbol,
                market_id,
                type="swap",
                linear=linear,
                inverse=not linear,
                settle=symbol.split(":")[1],
                contractSize=1 if linear else 100,
            )
        ]
    )
    async with ex:
        ticker = await ex.fetch_ticker(symbol)
    [req] = fake_venue.requests
    assert (req.method, req.host, req.path) == ("GET", host, path)
    assert req.query["symbol"] == market_id
    assert ticker.last == 1.0


async def test_invalid_order_sends_nothing(fake_venue: FakeVenue) -> None:
    ex = BinanceExchange(credentials={"apiKey": KEY, "secret": SECRET}, config=fake_venue.config())
    ex.use_markets([btc_usdt()])
    async with ex:
        for amount in ("0", "-1", "NaN", "0.000001"):
            with pytest.raises(InvalidOrder, match="amount"):
                await ex.place_order("BTC/USDT", "buy", "limit", amount, "50000")
    assert fake_venue.requests == []


async def test_debug_logs_of_a_signed_request_carry_no_secret(
    fake_venue: FakeVenue, caplog: pytest.LogCaptureFixture
) -> None:
    fake_venue.responder = order_response
    ex = BinanceExchange(credentials={"apiKey": KEY, "secret": SECRET}, config=fake_venue.config())
    ex.use_markets([btc_usdt()])
    with caplog.at_level(logging.DEBUG):
        async with ex:
            await ex.place_order("BTC/USDT", "buy", "limit", "0.01", "50000")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "Request" in text  # ccxt did log the request...
    assert KEY not in text  # ...without the key
    assert SECRET not in text
    signature = fake_venue.requests[0].body.rpartition("&signature=")[2]
    assert signature not in text


async def test_endpoint_moves_every_api_url() -> None:
    ex = BinanceExchange(endpoint="http://127.0.0.1:8765/")
    try:
        api = ex.raw.urls["api"]
        assert api["public"] == "http://127.0.0.1:8765/api/v3"
        assert api["sapi"] == "http://127.0.0.1:8765/sapi/v1"
        assert api["ws"]["spot"] == "ws://127.0.0.1:8765/ws"
        assert api["ws"]["ws-api"]["spot"] == "ws://127.0.0.1:8765/ws-api/v3"
        assert ex.endpoint == "http://127.0.0.1:8765"
    finally:
        await ex.close()
    with pytest.raises(ConfigurationError, match="endpoint"):
        BinanceExchange(endpoint="127.0.0.1:8765")


@pytest.mark.parametrize(
    ("status", "payload"),
    [
        (401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}),
        (400, {"code": -1022, "msg": "Signature for this request is not valid."}),
        (500, "<html>upstream failure</html>"),
    ],
)
async def test_failures_of_signed_requests_leak_nothing(
    fake_venue: FakeVenue, caplog: pytest.LogCaptureFixture, status: int, payload: Any
) -> None:
    import traceback

    from core import ExchangeError

    fake_venue.responder = lambda req: (status, payload)
    ex = BinanceExchange(credentials={"apiKey": KEY, "secret": SECRET}, config=fake_venue.config())
    ex.use_markets([btc_usdt()])
    with caplog.at_level(logging.DEBUG):
        async with ex:
            with pytest.raises(ExchangeError) as info:
                await ex.fetch_balance()
    signatures = [r.query_string.rpartition("signature=")[2] for r in fake_venue.requests]
    assert all(signatures)
    # a 5xx on a read is retried (fresh signature each time); 4xx are not
    assert len(signatures) == (4 if status >= 500 else 1)
    # every client-side line (the library's, ccxt's, aiohttp client's); the fake venue's own
    # access log (aiohttp.access) is the server's and is left out
    client_lines = [r.getMessage() for r in caplog.records if r.name != "aiohttp.access"]
    assert any("Response" in line for line in client_lines)
    texts = [
        "\n".join(client_lines),
        str(info.value),
        repr(info.value),
        "".join(traceback.format_exception(info.value)),
    ]
    for text in texts:
        assert KEY not in text
        assert SECRET not in text
        for signature in signatures:
            assert signature not in text


def trades_response(req: Captured) -> tuple[int, Any]:
    first = int(req.query.get("fromId", "100"))
    rows = [
        {"id": n, "price": "50000.01", "qty": "0.001", "quoteQty": "50.00001",
         "time": 1_700_000_000_000 + n, "isBuyerMaker": n % 2 == 0, "isBestMatch": True}
        for n in range(first, first + int(req.query.get("limit", "500")))
    ]  # fmt: skip
    return 200, rows


@pytest.mark.parametrize("keys", [False, True], ids=["keyless", "keys"])
async def test_the_old_trade_lookup_by_id_needs_no_key(fake_venue: FakeVenue, keys: bool) -> None:
    """``historicalTrades`` (how a trade stream repairs a hole): ccxt refuses it without
    an apiKey, binance serves it without one; a keyless adapter sends the same request."""
    fake_venue.responder = trades_response
    credentials = {"apiKey": KEY, "secret": SECRET} if keys else None
    ex = BinanceExchange(credentials=credentials, config=fake_venue.config())
    ex.use_markets([btc_usdt()])
    async with ex:
        trades = await ex.trades_from_id("BTC/USDT", 123, 5)
    [req] = fake_venue.requests
    assert (req.method, req.host, req.path) == (
        "GET",
        "api.binance.com",
        "/api/v3/historicalTrades",
    )
    assert req.query == {"symbol": "BTCUSDT", "limit": "5", "fromId": "123"}
    assert ("X-MBX-APIKEY" in req.headers) is keys
    assert [t.id for t in trades] == ["123", "124", "125", "126", "127"]
    assert trades[0].price == 50000.01
