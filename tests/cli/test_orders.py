"""`exchanges order place | status | cancel` against the simulator: what is shown before
sending, the refusals that send nothing, and one order's whole life, checked against the
simulator's own record of orders."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

from exchanges.simulator import DEMO_API_KEY, OrderStatus, Simulator

from ._util import Cli, one_line_error

ACCOUNT = ("--account", "demo")


def place_args(sim: Simulator, amount: str, *extra: str) -> list[str]:
    """A buy far below the market (it rests), with an amount and a price to round."""
    return [
        "order",
        "place",
        "binance",
        "BTC/USDT",
        "buy",
        "limit",
        amount,
        "--price",
        "40000.129",
        *ACCOUNT,
        "--endpoint",
        sim.endpoint,
        *extra,
    ]


async def test_refusals_send_nothing(sim: Simulator, cli: Cli) -> None:
    unconfirmed, negative, not_a_number = await asyncio.gather(
        cli(*place_args(sim, "0.0012345")),  # no --yes, and stdin is not a terminal
        cli(*place_args(sim, "-1", "--yes")),  # typed as it is, not taken for an option
        cli(*place_args(sim, "abc", "--yes")),
    )
    line = one_line_error(unconfirmed)
    assert "order not placed" in line
    assert "--yes" in line
    # what would have been sent: rounded down to the lot step and (a buy) to the tick
    assert "0.00123 (rounded from 0.0012345)" in unconfirmed.out
    assert "40000.12 (rounded from 40000.129)" in unconfirmed.out
    assert "client order id" in unconfirmed.out

    assert "(amount on binance): must be greater than 0, got -1" in one_line_error(negative)
    assert "(amount on binance): 'abc' is not a number" in one_line_error(not_a_number)
    assert sim.state.orders(DEMO_API_KEY) == []


async def test_place_status_cancel_one_order(sim: Simulator, cli: Cli) -> None:
    placed = await cli(*place_args(sim, "0.0012345", "--yes", "--json"))
    assert placed.code == 0, placed.err
    order = json.loads(placed.out)
    [truth] = sim.state.orders(DEMO_API_KEY)  # exactly one order reached the venue
    assert order["id"] == str(truth.order_id)
    assert order["client_order_id"] == truth.client_order_id
    assert (order["status"], order["side"], order["type"]) == ("open", "buy", "limit")
    assert Decimal(order["amount"]) == truth.orig_qty == Decimal("0.00123")
    assert Decimal(order["price"]) == truth.price == Decimal("40000.12")

    at = (*ACCOUNT, "--endpoint", sim.endpoint)
    cid = truth.client_order_id
    by_id, by_client_id = await asyncio.gather(
        cli("order", "status", "binance", order["id"], "BTC/USDT", *at),
        cli("order", "status", "binance", cid, "BTC/USDT", "--client-id", "--json", *at),
    )
    assert by_id.code == 0, by_id.err
    assert cid in by_id.out
    assert "open" in by_id.out
    assert by_client_id.code == 0, by_client_id.err
    found = json.loads(by_client_id.out)
    assert (found["id"], found["status"]) == (order["id"], "open")

    cancel = ("order", "cancel", "binance", order["id"], "BTC/USDT", "--yes", "--json")
    cancelled = await cli(*cancel, *at)
    assert cancelled.code == 0, cancelled.err
    assert json.loads(cancelled.out)["status"] == "canceled"
    assert truth.status is OrderStatus.CANCELED
    assert len(sim.state.orders(DEMO_API_KEY)) == 1  # still the one order, now cancelled
