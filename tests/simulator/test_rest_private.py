"""Signed endpoints: Binance's signing rules, order lifecycle, errors as ccxt maps them."""

from __future__ import annotations

import hashlib
import hmac
import time
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
import ccxt
import pytest

from exchanges.simulator import DEMO_API_KEY, DEMO_SECRET, OrderStatus, Simulator

from .conftest import make_binance_client


def signed_query(params: dict[str, str], secret: str = DEMO_SECRET) -> str:
    query = urlencode({**params, "timestamp": str(int(time.time() * 1000))})
    signature = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    return f"{query}&signature={signature}"


async def test_account_balance(simulator: Simulator, binance_client: Any) -> None:
    simulator.add_account("k2", "s2", balances={"USDT": Decimal("123.45")})
    balance = await binance_client.fetch_balance()
    assert balance["total"]["USDT"] == 100000
    assert balance["free"]["BTC"] == 1
    other = make_binance_client(simulator, apiKey="k2", secret="s2")
    try:
        assert (await other.fetch_balance())["free"]["USDT"] == 123.45
    finally:
        await other.close()


async def test_signature_key_and_clock_errors(simulator: Simulator) -> None:
    wrong_secret = make_binance_client(simulator, secret="not-the-secret")
    unknown_key = make_binance_client(simulator, apiKey="nobody", secret="x")
    try:
        with pytest.raises(ccxt.AuthenticationError, match="-1022"):
            await wrong_secret.fetch_balance()
        with pytest.raises(ccxt.AuthenticationError, match="-2015"):
            await unknown_key.fetch_balance()
    finally:
        await wrong_secret.close()
        await unknown_key.close()


async def test_raw_signing_rules(http: aiohttp.ClientSession) -> None:
    headers = {"X-MBX-APIKEY": DEMO_API_KEY}
    async with http.get("/api/v3/account?" + signed_query({})) as r:
        assert r.status == 401
        assert (await r.json())["code"] == -2014
    async with http.get("/api/v3/account?" + signed_query({}), headers=headers) as r:
        assert r.status == 200
    tampered = signed_query({"omitZeroBalances": "true"}).replace("true", "false")
    async with http.get("/api/v3/account?" + tampered, headers=headers) as r:
        assert await r.json() == {"code": -1022, "msg": "Signature for this request is not valid."}
    stale = urlencode({"timestamp": str(int(time.time() * 1000) - 60_000), "recvWindow": "5000"})
    sig = hmac.new(DEMO_SECRET.encode(), stale.encode(), hashlib.sha256).hexdigest()
    async with http.get(f"/api/v3/account?{stale}&signature={sig}", headers=headers) as r:
        body = await r.json()
        assert body == {
            "code": -1021,
            "msg": "Timestamp for this request is outside of the recvWindow.",
        }
    ahead = urlencode({"timestamp": str(int(time.time() * 1000) + 5_000)})
    sig = hmac.new(DEMO_SECRET.encode(), ahead.encode(), hashlib.sha256).hexdigest()
    async with http.get(f"/api/v3/account?{ahead}&signature={sig}", headers=headers) as r:
        assert (await r.json())["msg"] == (
            "Timestamp for this request was 1000ms ahead of the server's time."
        )
    async with http.get(
        "/api/v3/account?" + signed_query({"recvWindow": "70000"}), headers=headers
    ) as r:
        assert (await r.json()) == {"code": -1131, "msg": "recvWindow must be less than 60000"}
    # a POST signs query string + body
    body_params = signed_query(
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": "0.001",
            "price": "40000.00",
        }
    )
    async with http.post(
        "/api/v3/order/test",
        data=body_params,
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    ) as r:
        assert (r.status, await r.json()) == (200, {})


async def test_clock_shift_is_invalid_nonce(simulator: Simulator, binance_client: Any) -> None:
    await binance_client.load_markets()
    simulator.faults.shift_clock(-30_000)
    with pytest.raises(ccxt.InvalidNonce, match="-1021"):
        await binance_client.fetch_balance()
    simulator.faults.shift_clock(0)
    assert (await binance_client.fetch_balance())["total"]["BTC"] == 1


async def test_limit_order_lifecycle(simulator: Simulator, binance_client: Any) -> None:
    order = await binance_client.create_order(
        "BTC/USDT", "limit", "buy", 0.01, 40000, {"newClientOrderId": "mine-1"}
    )
    assert order["status"] == "open"
    assert order["clientOrderId"] == "mine-1"
    truth = simulator.state.orders(DEMO_API_KEY)[-1]
    assert truth.status is OrderStatus.NEW
    assert simulator.state.accounts[DEMO_API_KEY].balance("USDT").locked == Decimal("400")
    fetched = await binance_client.fetch_order(order["id"], "BTC/USDT")
    assert fetched["price"] == 40000
    by_client = await binance_client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "mine-1"})
    assert by_client["id"] == order["id"]
    assert [o["id"] for o in await binance_client.fetch_open_orders("BTC/USDT")] == [order["id"]]
    canceled = await binance_client.cancel_order(order["id"], "BTC/USDT")
    assert canceled["status"] == "canceled"
    assert simulator.state.accounts[DEMO_API_KEY].balance("USDT").locked == 0
    with pytest.raises(ccxt.OrderNotFound):
        await binance_client.cancel_order(order["id"], "BTC/USDT")
    with pytest.raises(ccxt.OrderNotFound):
        await binance_client.fetch_order("999999", "BTC/USDT")
    all_orders = await binance_client.fetch_orders("BTC/USDT")
    assert [o["status"] for o in all_orders] == ["canceled"]


async def test_market_order_fills_with_fees(simulator: Simulator, binance_client: Any) -> None:
    order = await binance_client.create_order("BTC/USDT", "market", "buy", 0.02)
    assert order["status"] == "closed"
    assert order["filled"] == 0.02
    assert order["fee"]["currency"] == "BTC"
    assert len(order["trades"]) >= 1
    trades = await binance_client.fetch_my_trades("BTC/USDT")
    assert sum(t["amount"] for t in trades) == pytest.approx(0.02)
    assert all(t["order"] == order["id"] for t in trades)
    truth = simulator.state.accounts[DEMO_API_KEY]
    assert truth.balance("BTC").free == Decimal("1.02") - Decimal("0.00002")


async def test_order_rejections(simulator: Simulator, binance_client: Any) -> None:
    await binance_client.load_markets()
    with pytest.raises(ccxt.InsufficientFunds):
        await binance_client.create_order("BTC/USDT", "limit", "sell", 5, 60000)
    # ccxt maps -1013 to BadRequest, unless the message names LOT_SIZE or PRICE_FILTER
    with pytest.raises(ccxt.BadRequest, match="Filter failure: NOTIONAL"):
        await binance_client.create_order("BTC/USDT", "limit", "buy", 0.00001, 40000)
    with pytest.raises(ccxt.InvalidOrder, match="LOT_SIZE"):
        await binance_client.private_post_order(
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.000015",
                "price": "40000",
            }
        )
    with pytest.raises(ccxt.InvalidOrder, match="PRICE_FILTER"):
        await binance_client.private_post_order(
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.001",
                "price": "40000.001",
            }
        )
    with pytest.raises(ccxt.BadSymbol, match="-1121"):
        await binance_client.private_get_openorders({"symbol": "NOPEUSDT"})
    await binance_client.create_order(
        "BTC/USDT", "limit", "buy", 0.001, 40000, {"newClientOrderId": "dup"}
    )
    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):
        await binance_client.create_order(
            "BTC/USDT", "limit", "buy", 0.001, 40000, {"newClientOrderId": "dup"}
        )


async def test_response_types_and_cancel_all(simulator: Simulator, binance_client: Any) -> None:
    await binance_client.load_markets()
    ack = await binance_client.private_post_order(
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": "0.001",
            "price": "40000",
            "newOrderRespType": "ACK",
        }
    )
    assert set(ack) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    result = await binance_client.private_post_order(
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": "0.001",
            "price": "40001",
            "newOrderRespType": "RESULT",
        }
    )
    assert "fills" not in result
    assert result["status"] == "NEW"
    canceled = await binance_client.cancel_all_orders("BTC/USDT")
    assert len(canceled) == 2
    assert not [o for o in simulator.state.orders(DEMO_API_KEY) if o.status.is_open]
