"""`exchanges markets | ticker | book | trades | balance` against the simulator, as a user
runs them: a subprocess, --json for scripts, one-line errors.

Each command costs a process start (about 2 s of importing ccxt), so the commands of a
test run concurrently, and the tables for people are checked in test_views.py (the order
tables end to end in test_orders.py)."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

from exchanges.simulator import DEMO_BALANCES, Simulator

from ._util import Cli, one_line_error


async def test_market_data_and_balance(sim: Simulator, cli: Cli) -> None:
    sim.step("BTC/USDT", 3, trades=2)  # six public trades to list
    at = ("--endpoint", sim.endpoint)
    results = await asyncio.gather(
        cli("markets", "binance", "--quote", "usdt", "--json", *at),
        cli("ticker", "binance", "BTC/USDT", "--json", *at),
        cli("book", "binance", "BTC/USDT", "--depth", "3", "--json", *at),
        cli("trades", "binance", "BTC/USDT", "--limit", "4", "--json", *at),
        cli("balance", "binance", "--account", "demo", "--json", *at),
    )
    for result in results:
        assert result.code == 0, result.err
        assert result.err == ""  # no log line, no warning, no unclosed session
    markets_json, ticker_json, book_json, trades_json, balance_json = results

    markets = {m["symbol"]: m for m in json.loads(markets_json.out)}
    assert sorted(markets) == ["BTC/USDT", "ETH/USDT"]
    btc = markets["BTC/USDT"]
    assert (btc["type"], btc["base"], btc["quote"]) == ("spot", "BTC", "USDT")
    assert btc["precision"]["amount"] == "0.00001"  # Decimals as exact strings
    assert Decimal(btc["limits"]["cost"]["min"]) > 0

    ticker = json.loads(ticker_json.out)
    assert ticker["symbol"] == "BTC/USDT"
    assert 0 < ticker["bid"] < ticker["ask"]

    book = json.loads(book_json.out)
    truth = sim.state.book("BTC/USDT")
    assert len(book["bids"]) == len(book["asks"]) == 3
    assert Decimal(str(book["bids"][0][0])) == truth.bids.best()
    assert Decimal(str(book["asks"][0][0])) == truth.asks.best()

    trades = json.loads(trades_json.out)
    assert len(trades) == 4
    assert {t["symbol"] for t in trades} == {"BTC/USDT"}
    assert all(t["side"] in ("buy", "sell") and t["amount"] > 0 for t in trades)

    balance = json.loads(balance_json.out)
    assert (balance["venue"], balance["account"]) == ("binance", "demo")
    totals = {asset: Decimal(b["total"]) for asset, b in balance["assets"].items()}
    assert totals == {a: Decimal(v) for a, v in DEMO_BALANCES.items() if v}


async def test_bad_symbol_and_missing_keys_are_one_clear_error(sim: Simulator, cli: Cli) -> None:
    bad_symbol, no_keys = await asyncio.gather(
        cli("ticker", "binance", "BTC/NOPE", "--endpoint", sim.endpoint),
        cli("balance", "binance", "--account", "ghost", "--endpoint", sim.endpoint),
    )
    line = one_line_error(bad_symbol)
    assert bad_symbol.code == 1
    assert "BTC/NOPE" in line
    assert bad_symbol.out == ""

    # MissingCredentials: the venue, the account, and the command that shows every place
    # searched (one line, like every error)
    line = one_line_error(no_keys)
    assert no_keys.code == 1
    assert no_keys.out == ""
    assert line.startswith("error: credentials (binance): no credentials for account 'ghost'")
    assert "`exchanges keys check binance --account ghost` shows where it looked" in line
