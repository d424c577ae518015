"""Every failure is one ``error: <what> (<where>): <why>`` line: the venue's refusals, a
server that is not there, and the command line's own mistakes (exit 2, no boxed panel)."""

from __future__ import annotations

import asyncio

from exchanges.simulator import DEMO_API_KEY, Simulator

from ._util import Cli, one_line_error


async def test_venue_and_network_failures_are_one_structured_line(sim: Simulator, cli: Cli) -> None:
    at = ("--endpoint", sim.endpoint)
    # 100 BTC at 40000: within the market's limits, far beyond the demo's 100000 USDT
    order = ("order", "place", "binance", "BTC/USDT", "buy", "limit", "100", "--price", "40000")
    poor, refused, lowercase = await asyncio.gather(
        cli(*order, "--account", "demo", "--yes", *at),
        cli("ticker", "binance", "BTC/USDT", "--endpoint", "http://127.0.0.1:1"),
        cli("ticker", "binance", "btcusdt", *at),
    )
    assert poor.code == 1
    assert one_line_error(poor) == (
        "error: insufficient funds (binance): "
        "Account has insufficient balance for requested action."
    )
    assert sim.state.orders(DEMO_API_KEY) == []

    line = one_line_error(refused)
    assert line.startswith("error: venue unavailable (binance): GET http://127.0.0.1:1/")
    assert line.endswith(": connection refused")  # not aiohttp's nested chain

    assert one_line_error(lowercase).endswith(
        "(symbol on binance): 'btcusdt' is not a market of binance; did you mean BTC/USDT?"
    )


async def test_command_line_mistakes_are_usage_errors(cli: Cli) -> None:
    results = await asyncio.gather(
        cli("book", "binance", "BTC/USDT", "--depth", "0"),
        cli("order", "place", "binance", "BTC/USDT", "bye", "limit", "1", "--price", "1"),
        cli("order", "place", "binance", "BTC/USDT", "buy", "limt", "1"),
        cli("markets", "binance", "--market-type", "spt"),
        cli("ticker", "binance", "BTC/USDT", "--sandbox", "--endpoint", "http://127.0.0.1:1"),
        cli("book", "binance"),
    )
    lines = [one_line_error(r) for r in results]
    assert [r.code for r in results] == [2] * len(results)
    assert all(r.out == "" for r in results)
    depth, side, type_, market_type, sandbox, missing = lines
    assert depth == (
        "error: invalid value (--depth): Input should be greater than or equal to 1; "
        "see exchanges book --help"
    )
    assert side.startswith("error: invalid value (SIDE): 'bye' is not one of 'buy', 'sell'")
    assert type_.startswith("error: invalid value (TYPE): 'limt' is not one of 'limit', ")
    assert market_type.startswith("error: invalid value (--market-type): 'spt' is not one of")
    assert sandbox.startswith("error: invalid value (--sandbox): --sandbox and --endpoint")
    assert missing == "error: missing argument (SYMBOL): required; see exchanges book --help"
