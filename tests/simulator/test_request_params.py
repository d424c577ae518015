"""How REST parameters are read, as Binance reads them: a repeated parameter is refused
with -1101, a parameter in both query string and body takes the query string's value, and
a malformed ``recvWindow`` is refused by name."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

import aiohttp
import pytest

from exchanges.simulator import DEMO_API_KEY, DEMO_SECRET, Simulator

DUPLICATE = {"code": -1101, "msg": "Duplicate values for a parameter detected."}
KEY = {"X-MBX-APIKEY": DEMO_API_KEY}
FORM = {**KEY, "Content-Type": "application/x-www-form-urlencoded"}


def _now() -> str:
    return str(int(time.time() * 1000))


def _sign(query: str, body: str = "") -> str:
    """``signature`` over query string + body, as sent."""
    return hmac.new(DEMO_SECRET.encode(), (query + body).encode(), hashlib.sha256).hexdigest()


def _order(price: str = "40000.00") -> list[tuple[str, str]]:
    return [
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "LIMIT"),
        ("timeInForce", "GTC"),
        ("quantity", "0.001"),
        ("price", price),
    ]


@pytest.fixture
def simulator_options() -> dict[str, object]:
    return {"seed": 3, "rate": 0}


@pytest.mark.parametrize(
    "query",
    [
        "symbol=BTCUSDT&symbol=ETHUSDT",
        "symbol=BTCUSDT&limit=5&limit=5",  # the same value twice is still a repeat
    ],
)
async def test_public_endpoint_refuses_a_repeated_parameter(
    http: aiohttp.ClientSession, query: str
) -> None:
    async with http.get(f"/api/v3/depth?{query}") as r:
        assert (r.status, await r.json()) == (400, DUPLICATE)


async def test_signed_query_string_refuses_a_repeated_parameter(
    http: aiohttp.ClientSession,
) -> None:
    query = urlencode(
        [("omitZeroBalances", "true"), ("omitZeroBalances", "false"), ("timestamp", _now())]
    )
    async with http.get(f"/api/v3/account?{query}&signature={_sign(query)}", headers=KEY) as r:
        assert (r.status, await r.json()) == (400, DUPLICATE)


async def test_signed_body_refuses_a_repeated_parameter_and_places_nothing(
    simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    body = urlencode([*_order(), ("quantity", "5"), ("timestamp", _now())])
    async with http.post(
        "/api/v3/order", data=f"{body}&signature={_sign('', body)}", headers=FORM
    ) as r:
        assert (r.status, await r.json()) == (400, DUPLICATE)
    assert simulator.state.orders(DEMO_API_KEY) == []


async def test_query_string_wins_over_the_body(
    simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    query = urlencode([("newClientOrderId", "from-query")])
    body = urlencode([*_order(), ("newClientOrderId", "from-body"), ("timestamp", _now())])
    async with http.post(
        f"/api/v3/order?{query}", data=f"{body}&signature={_sign(query, body)}", headers=FORM
    ) as r:
        assert r.status == 200, await r.text()
        assert (await r.json())["clientOrderId"] == "from-query"
    assert [o.client_order_id for o in simulator.state.orders(DEMO_API_KEY)] == ["from-query"]


@pytest.mark.parametrize("window", ["NaN", "Infinity", "-5", "1e4", " 5000", "5000.1234", "abc"])
async def test_malformed_recv_window_is_refused_by_name(
    http: aiohttp.ClientSession, window: str
) -> None:
    query = urlencode([("recvWindow", window), ("timestamp", _now())])
    async with http.get(f"/api/v3/account?{query}&signature={_sign(query)}", headers=KEY) as r:
        assert (r.status, await r.json()) == (
            400,
            {"code": -1100, "msg": "Illegal characters found in parameter 'recvWindow'."},
        )


@pytest.mark.parametrize("window", ["60000.001", "60001", "0"])
async def test_recv_window_out_of_range(http: aiohttp.ClientSession, window: str) -> None:
    query = urlencode([("recvWindow", window), ("timestamp", _now())])
    async with http.get(f"/api/v3/account?{query}&signature={_sign(query)}", headers=KEY) as r:
        assert (r.status, await r.json()) == (
            400,
            {"code": -1131, "msg": "recvWindow must be less than 60000"},
        )


@pytest.mark.parametrize("window", ["6000.346", "60000", "1000"])
async def test_recv_window_in_range_with_microseconds(
    http: aiohttp.ClientSession, window: str
) -> None:
    # Binance: milliseconds with up to three decimals, at most 60000
    query = urlencode([("recvWindow", window), ("timestamp", _now())])
    async with http.get(f"/api/v3/account?{query}&signature={_sign(query)}", headers=KEY) as r:
        assert r.status == 200, await r.text()


async def test_malformed_timestamp_is_refused_by_name(http: aiohttp.ClientSession) -> None:
    query = urlencode([("timestamp", "1_700_000_000_000")])
    async with http.get(f"/api/v3/account?{query}&signature={_sign(query)}", headers=KEY) as r:
        assert (await r.json()) == {
            "code": -1100,
            "msg": "Illegal characters found in parameter 'timestamp'.",
        }
