"""A placement whose outcome the venue's answer does not prove is OrderStateUnknown,
carrying the client order id that was really sent; a refusal stays a refusal."""

from __future__ import annotations

import traceback
from decimal import Decimal
from typing import Any

import pytest

from core import (
    BadResponse,
    InsufficientFunds,
    InvalidOrder,
    OrderStateUnknown,
    OrderStatus,
    PermissionDenied,
    RateLimited,
    Settings,
    is_retryable,
)
from exchanges import BinanceExchange

from ..fakevenue import Captured, FakeVenue
from .test_binance import KEY, SECRET, btc_usdt


def open_buy(order_id: int, sent: dict[str, Any]) -> dict[str, Any]:
    """binance's GET /api/v3/order answer for the open limit buy that ``sent`` placed."""
    return {
        "symbol": "BTCUSDT",
        "orderId": order_id,
        "clientOrderId": sent["newClientOrderId"],
        "price": sent["price"],
        "origQty": sent["quantity"],
        "executedQty": "0",
        "status": "NEW",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
        "time": 1,
        "updateTime": 1,
    }


def adapter(fake_venue: FakeVenue) -> BinanceExchange:
    ex = BinanceExchange(
        credentials={"apiKey": KEY, "secret": SECRET},
        config=fake_venue.config(),
        settings=Settings(order_settle_timeout=0.5),
    )
    ex.use_markets([btc_usdt()])
    return ex


@pytest.mark.parametrize(
    ("status", "payload"),
    [
        (503, {"code": -1001, "msg": "Internal error; unable to process your request."}),
        (500, {"code": -1006, "msg": "An unexpected response was received; status unknown."}),
        (400, {"code": -1000, "msg": "An unknown error occurred while processing the request."}),
        (502, "<html>bad gateway</html>"),
        (524, {}),
        (200, {}),
        (200, []),
        (200, "not json at all"),
    ],
)
async def test_unproven_outcomes_are_unknown(
    fake_venue: FakeVenue, status: int, payload: Any
) -> None:
    fake_venue.responder = lambda req: (status, payload)
    async with adapter(fake_venue) as ex:
        with pytest.raises(OrderStateUnknown) as info:
            await ex.place_order("BTC/USDT", "buy", "limit", "0.01", "50000")
    place, *lookups = fake_venue.requests
    assert (place.method, place.path) == ("POST", "/api/v3/order")
    cid = place.form()["newClientOrderId"]
    assert info.value.client_order_id == cid
    assert cid in str(info.value)
    assert not is_retryable(info.value)
    # settled by asking, never by sending again
    assert lookups
    for lookup in lookups:
        assert (lookup.method, lookup.path) == ("GET", "/api/v3/order")
        assert lookup.query["origClientOrderId"] == cid


@pytest.mark.parametrize(
    ("status", "payload", "error"),
    [
        (
            400,
            {"code": -2010, "msg": "Account has insufficient balance for requested action."},
            InsufficientFunds,
        ),
        (429, {"code": -1003, "msg": "Too many requests."}, RateLimited),
        (400, {"code": -1013, "msg": "Filter failure: LOT_SIZE"}, InvalidOrder),
    ],
)
async def test_refusals_stay_refusals(
    fake_venue: FakeVenue, status: int, payload: Any, error: type[Exception]
) -> None:
    fake_venue.responder = lambda req: (status, payload)
    async with adapter(fake_venue) as ex:
        with pytest.raises(error):
            await ex.place_order("BTC/USDT", "buy", "limit", "0.01", "50000")


async def test_client_id_in_params_is_refused_before_sending(fake_venue: FakeVenue) -> None:
    async with adapter(fake_venue) as ex:
        for key in ("newClientOrderId", "clientOrderId", "clOrdId", "client_oid", "CL-ORD-ID"):
            with pytest.raises(InvalidOrder) as info:
                await ex.place_order(
                    "BTC/USDT", "buy", "limit", "0.01", "50000", params={key: "mine"}
                )
            assert info.value.field == f"params.{key}"
            assert repr(key) in str(info.value)
            assert "client_order_id" in str(info.value)
    assert fake_venue.requests == []


async def test_an_order_answer_without_side_is_a_bad_response(fake_venue: FakeVenue) -> None:
    fake_venue.responder = lambda req: (200, {"symbol": "BTCUSDT", "orderId": 5})
    async with adapter(fake_venue) as ex:
        with pytest.raises(BadResponse, match="fetch_order_status"):
            await ex.fetch_order_status("5", "BTC/USDT")


async def test_403_is_permission_denied_not_an_outage(fake_venue: FakeVenue) -> None:
    fake_venue.responder = lambda req: (403, "<html>Forbidden</html>")
    async with adapter(fake_venue) as ex:
        with pytest.raises(PermissionDenied) as info:
            await ex.fetch_ticker("BTC/USDT")
    assert not is_retryable(info.value)


async def test_redirect_loop_leaks_no_signature_in_the_traceback(fake_venue: FakeVenue) -> None:
    def redirect(req: Captured) -> tuple[Any, ...]:
        return 302, {}, {"Location": f"{req.path}?{req.query_string}"}

    fake_venue.responder = redirect
    async with adapter(fake_venue) as ex:
        with pytest.raises(Exception) as info:  # noqa: PT011 - any error; the text is checked
            await ex.fetch_balance()
    signature = fake_venue.requests[0].query_string.rpartition("signature=")[2]
    text = "".join(traceback.format_exception(info.value))
    assert signature
    assert signature not in text
    assert KEY not in text


async def test_a_lost_answer_is_settled_by_client_id(fake_venue: FakeVenue) -> None:
    placed: dict[str, Any] = {}

    def venue(req: Captured) -> tuple[Any, ...]:
        if req.method == "POST":
            placed.update(req.form())
            return 504, "<html>gateway timeout</html>"  # accepted, answer lost
        assert req.query["origClientOrderId"] == placed["newClientOrderId"]
        return 200, open_buy(99, placed)

    fake_venue.responder = venue
    async with adapter(fake_venue) as ex:
        order = await ex.place_order("BTC/USDT", "buy", "limit", "0.01", "50000")
    assert order.id == "99"
    assert order.client_order_id == placed["newClientOrderId"]
    assert [r.method for r in fake_venue.requests] == ["POST", "GET"]


async def test_an_answer_with_an_id_that_cannot_be_read_is_settled(fake_venue: FakeVenue) -> None:
    sent: dict[str, Any] = {}

    def venue(req: Captured) -> tuple[Any, ...]:
        if req.method == "POST":
            sent.update(req.form())
            return 200, {"symbol": "BTCUSDT", "orderId": 77, "side": "LONG"}  # unreadable side
        return 200, open_buy(77, sent)

    fake_venue.responder = venue
    async with adapter(fake_venue) as ex:
        order = await ex.place_order("BTC/USDT", "buy", "limit", "0.01", "50000")
    assert order.id == "77"
    assert [r.method for r in fake_venue.requests] == ["POST", "GET"]  # asked, never resent


async def test_a_lost_cancel_whose_resend_finds_no_order_reads_its_final_state(
    fake_venue: FakeVenue,
) -> None:
    sent = {"newClientOrderId": "c1", "price": "50000.00", "quantity": "0.01"}
    cancels: list[str] = []

    def venue(req: Captured) -> tuple[Any, ...]:
        assert req.path == "/api/v3/order"
        assert req.query["orderId"] == "7"  # every request is about the order named
        if req.method == "DELETE":
            cancels.append(req.method)
            if len(cancels) == 1:
                return 502, "<html>bad gateway</html>"  # did it reach the engine? unknown
            return 400, {"code": -2011, "msg": "Unknown order sent."}  # filled meanwhile
        reads = sum(r.method == "GET" for r in fake_venue.requests)
        if reads == 1:
            return 200, open_buy(7, sent)  # still open: the cancel is sent again
        return 200, {**open_buy(7, sent), "status": "FILLED", "executedQty": "0.01"}

    fake_venue.responder = venue
    async with adapter(fake_venue) as ex:
        order = await ex.cancel_order("7", "BTC/USDT")
    assert order.status is OrderStatus.CLOSED
    assert order.filled == Decimal("0.01")
    assert [r.method for r in fake_venue.requests] == ["DELETE", "GET", "DELETE", "GET"]
