"""okx, kraken and coinbase quirks at the wire, checked against each venue's documented
request format and signature scheme."""

from __future__ import annotations

import base64
import hashlib
import hmac
from decimal import Decimal
from typing import Any

import pytest

from core import AuthenticationError, InvalidOrder, OrderType
from exchanges import CoinbaseExchange, KrakenExchange, OkxExchange

from ..fakevenue import Captured, FakeVenue, market

# ----------------------------------------------------------------------------- okx
OKX_KEY, OKX_SECRET, OKX_PASSPHRASE = "okx-wire-key-0001", "okx-wire-secret-0001", "okx-pass-0001"


def okx_order_body(req: Captured) -> dict[str, Any]:
    body = req.json()
    # ccxt sends okx orders in the batch form: a JSON list of one order.
    return body[0] if isinstance(body, list) else body


def okx_order_response(req: Captured) -> tuple[int, Any]:
    body = okx_order_body(req)
    return 200, {
        "code": "0",
        "msg": "",
        "data": [
            {"ordId": "312269865356374016", "clOrdId": body["clOrdId"], "sCode": "0", "sMsg": ""}
        ],
    }


async def test_okx_order_is_signed_with_the_passphrase(fake_venue: FakeVenue) -> None:
    fake_venue.responder = okx_order_response
    ex = OkxExchange(
        credentials={"apiKey": OKX_KEY, "secret": OKX_SECRET, "passphrase": OKX_PASSPHRASE},
        config=fake_venue.config(),
    )
    ex.use_markets([market("BTC/USDT", "BTC-USDT", precision={"amount": 1e-08, "price": 0.1})])
    async with ex:
        order = await ex.place_order("BTC/USDT", "buy", "limit", "0.01", "50000", post_only=True)
    [req] = fake_venue.requests
    assert (req.method, req.host) == ("POST", "www.okx.com")
    assert req.path in ("/api/v5/trade/order", "/api/v5/trade/batch-orders")
    body = okx_order_body(req)
    assert body["instId"] == "BTC-USDT"
    assert body["side"] == "buy"
    assert body["ordType"] == "post_only"
    assert body["sz"] == "0.01"
    assert body["px"] == "50000"
    assert body["tdMode"] == "cash"
    assert body["clOrdId"] == order.client_order_id
    assert len(order.client_order_id or "") <= 32
    assert req.headers["OK-ACCESS-KEY"] == OKX_KEY
    assert req.headers["OK-ACCESS-PASSPHRASE"] == OKX_PASSPHRASE
    prehash = req.headers["OK-ACCESS-TIMESTAMP"] + "POST" + req.path + req.body
    expected = base64.b64encode(
        hmac.new(OKX_SECRET.encode(), prehash.encode(), hashlib.sha256).digest()
    ).decode()
    assert req.headers["OK-ACCESS-SIGN"] == expected


async def test_okx_without_passphrase_is_refused_before_any_request(fake_venue: FakeVenue) -> None:
    with pytest.raises(AuthenticationError, match="password"):
        OkxExchange(
            credentials={"apiKey": OKX_KEY, "secret": OKX_SECRET}, config=fake_venue.config()
        )
    assert fake_venue.requests == []


# ----------------------------------------------------------------------------- kraken
KRAKEN_KEY = "kraken-wire-key-0001"
KRAKEN_SECRET = base64.b64encode(b"kraken-wire-secret-bytes-0001").decode()


def kraken_order_response(req: Captured) -> tuple[int, Any]:
    # kraken describes the order in words: "sell 0.5 XBTUSD @ stop loss 45000 -> limit 44900"
    form = req.form()
    words = form["ordertype"].split("-limit")[0].replace("-", " ")
    descr = f"{form['type']} {form['volume']} XBTUSD @ {words} {form.get('price', '')}"
    if "price2" in form:
        descr += f" -> limit {form['price2']}"
    return 200, {
        "error": [],
        "result": {"descr": {"order": descr}, "txid": ["OU22CG-KLAF2-FWUDD7"]},
    }


def kraken_signature(req: Captured) -> str:
    nonce = req.form()["nonce"]
    digest = hashlib.sha256((nonce + req.body).encode()).digest()
    mac = hmac.new(base64.b64decode(KRAKEN_SECRET), req.path.encode() + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


def kraken() -> KrakenExchange:
    return KrakenExchange(credentials={"apiKey": KRAKEN_KEY, "secret": KRAKEN_SECRET})


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"type": "stop_loss", "trigger_price": "45000"},
            {"ordertype": "stop-loss", "price": "45000"},
        ),
        (
            {"type": "take_profit", "trigger_price": "60000"},
            {"ordertype": "take-profit", "price": "60000"},
        ),
        (
            {"type": "stop_loss_limit", "trigger_price": "45000", "price": "44900"},
            {"ordertype": "stop-loss-limit", "price": "45000", "price2": "44900"},
        ),
        (
            {"type": "trailing_stop", "trailing_amount": "250"},
            {"ordertype": "trailing-stop", "price": "+250"},
        ),
        (
            {"type": "limit", "price": "50000", "post_only": True},
            {"ordertype": "limit", "price": "50000", "oflags": "post"},
        ),
    ],
)
async def test_kraken_order_types(
    fake_venue: FakeVenue, kwargs: dict[str, Any], expected: dict[str, str]
) -> None:
    fake_venue.responder = kraken_order_response
    ex = KrakenExchange(
        credentials={"apiKey": KRAKEN_KEY, "secret": KRAKEN_SECRET}, config=fake_venue.config()
    )
    ex.use_markets(
        [
            market(
                "BTC/USD",
                "XXBTZUSD",
                baseId="XXBT",
                quoteId="ZUSD",
                precision={"amount": 1e-08, "price": 0.1},
                altname="XBTUSD",
            )
        ]
    )
    order_type = kwargs.pop("type")
    async with ex:
        order = await ex.place_order("BTC/USD", "sell", order_type, "0.5", **kwargs)
    [req] = fake_venue.requests
    assert (req.method, req.host, req.path) == ("POST", "api.kraken.com", "/0/private/AddOrder")
    form = req.form()
    assert form["pair"] == "XXBTZUSD"
    assert form["type"] == "sell"
    assert form["volume"] == "0.5"
    assert form["cl_ord_id"] == order.client_order_id
    for key, value in expected.items():
        assert form[key] == value, key
    assert req.headers["API-Key"] == KRAKEN_KEY
    assert req.headers["API-Sign"] == kraken_signature(req)
    assert order.id == "OU22CG-KLAF2-FWUDD7"
    assert order.type == OrderType(order_type)


# ----------------------------------------------------------------------------- coinbase
CB_KEY, CB_SECRET = "coinbase-wire-key-0001", "coinbase-wire-secret-0001"


def coinbase_order_response(req: Captured) -> tuple[int, Any]:
    body = req.json()
    return 200, {
        "success": True,
        "success_response": {
            "order_id": "11111-00000-000000",
            "product_id": body["product_id"],
            "side": body["side"],
            "client_order_id": body["client_order_id"],
        },
        "order_configuration": body["order_configuration"],
    }


async def test_coinbase_limit_order(fake_venue: FakeVenue) -> None:
    fake_venue.responder = coinbase_order_response
    ex = CoinbaseExchange(
        credentials={"apiKey": CB_KEY, "secret": CB_SECRET}, config=fake_venue.config()
    )
    ex.use_markets([market("BTC/USD", "BTC-USD", precision={"amount": 1e-08, "price": 0.01})])
    async with ex:
        order = await ex.place_order(
            "BTC/USD", "buy", "limit", Decimal("0.01"), Decimal("50000"), post_only=True
        )
    [req] = fake_venue.requests
    assert (req.method, req.host, req.path) == (
        "POST",
        "api.coinbase.com",
        "/api/v3/brokerage/orders",
    )
    body = req.json()
    assert body["product_id"] == "BTC-USD"
    assert body["side"] == "BUY"
    assert body["client_order_id"] == order.client_order_id
    config = body["order_configuration"]["limit_limit_gtc"]
    assert config["base_size"] == "0.01"
    assert config["limit_price"] == "50000"
    assert config["post_only"] is True
    assert req.headers["CB-ACCESS-KEY"] == CB_KEY
    prehash = req.headers["CB-ACCESS-TIMESTAMP"] + "POST" + req.path + req.body
    expected = hmac.new(CB_SECRET.encode(), prehash.encode(), hashlib.sha256).hexdigest()
    assert req.headers["CB-ACCESS-SIGN"] == expected


# ----------------------------------------------------------------------------- params=
def _venue_adapter(name: str, fake_venue: FakeVenue) -> tuple[Any, str]:
    """An adapter of ``name`` on the fake venue, with its markets, and its symbol."""
    config = fake_venue.config()
    if name == "okx":
        creds = {"apiKey": OKX_KEY, "secret": OKX_SECRET, "passphrase": OKX_PASSPHRASE}
        ex: Any = OkxExchange(credentials=creds, config=config)
        ex.use_markets([market("BTC/USDT", "BTC-USDT", precision={"amount": 1e-08, "price": 0.1})])
        return ex, "BTC/USDT"
    if name == "kraken":
        ex = KrakenExchange(
            credentials={"apiKey": KRAKEN_KEY, "secret": KRAKEN_SECRET}, config=config
        )
        precision = {"amount": 1e-08, "price": 0.1}
        ex.use_markets([market("BTC/USD", "XXBTZUSD", precision=precision, altname="XBTUSD")])
        return ex, "BTC/USD"
    ex = CoinbaseExchange(credentials={"apiKey": CB_KEY, "secret": CB_SECRET}, config=config)
    ex.use_markets([market("BTC/USD", "BTC-USD", precision={"amount": 1e-08, "price": 0.01})])
    return ex, "BTC/USD"


@pytest.mark.parametrize(
    ("venue", "key", "place"),
    [
        ("okx", "instId", True),
        ("okx", "sz", True),
        ("okx", "tgtCcy", True),
        ("okx", "px", True),
        ("okx", "slTriggerPx", True),
        ("okx", "callbackRatio", True),
        ("okx", "ordId", False),
        ("okx", "instId", False),
        ("kraken", "volume", True),
        ("kraken", "price2", True),
        ("kraken", "oflags", True),
        ("kraken", "cl_ord_id", True),
        ("kraken", "txid", False),
        ("coinbase", "order_configuration", True),
        ("coinbase", "base_size", True),
        ("coinbase", "limit_price", True),
        ("coinbase", "product_id", True),
        ("coinbase", "order_ids", False),
    ],
)
async def test_a_venue_s_own_wire_names_are_refused_in_params(
    fake_venue: FakeVenue, venue: str, key: str, place: bool
) -> None:
    ex, symbol = _venue_adapter(venue, fake_venue)
    async with ex:
        call = (
            ex.place_order(symbol, "buy", "limit", "0.01", "50000", params={key: "1"})
            if place
            else ex.cancel_order("1", symbol, params={key: "2"})
        )
        with pytest.raises(InvalidOrder) as info:
            await call
    assert info.value.field == f"params.{key}"
    assert fake_venue.requests == []
