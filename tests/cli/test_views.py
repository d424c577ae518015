"""The tables the commands print, rendered from records without a process or a venue
(the subprocess tests cover the order preview and the order view end to end; these cover
the other views and the JSON form of records, in milliseconds)."""

from __future__ import annotations

import io
import json
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from core import (
    AssetBalance,
    Balance,
    Limits,
    Market,
    MarketType,
    MinMax,
    OrderBook,
    Precision,
    Side,
    Ticker,
    Trade,
)
from exchanges.cli._account import _nonzero, balance_view
from exchanges.cli._common import plain
from exchanges.cli._market import book_view, markets_view, ticker_view, trades_view

TS = 1_700_000_000_000  # 2023-11-14T22:13:20Z


def text(table: Table, width: int = 200) -> str:
    console = Console(record=True, width=width, file=io.StringIO())
    console.print(table)
    return console.export_text()


def test_markets_view_shows_steps_digits_and_minimums() -> None:
    steps = Market(
        symbol="BTC/USDT",
        id="BTCUSDT",
        base="BTC",
        quote="USDT",
        type=MarketType.SPOT,
        precision=Precision(amount=Decimal("0.00001"), price=Decimal("0.01")),
        limits=Limits(amount=MinMax(min=Decimal("0.00001")), cost=MinMax(min=Decimal("5"))),
    )
    digits = Market(
        symbol="XRP/USD",
        id="tXRPUSD",
        base="XRP",
        quote="USD",
        type=MarketType.SPOT,
        active=False,
        precision=Precision(amount_digits=8, price_digits=5),
    )
    out = text(markets_view("venue", [steps, digits]))
    assert "venue: 2 markets" in out
    assert "0.00001" in out
    assert "XRP/USD (inactive)" in out
    assert "5 digits" in out
    assert json.loads(json.dumps(plain(steps)))["limits"]["cost"]["min"] == "5"


def test_ticker_and_trades_views() -> None:
    ticker = Ticker(symbol="BTC/USDT", timestamp=TS, bid=100.5, ask=101.0, last=100.75)
    out = text(ticker_view("venue", ticker))
    assert "100.5" in out
    assert "0.5" in out  # the spread
    assert "2023-11-14T22:13:20.000+00:00" in out

    trades = [
        Trade(symbol="BTC/USDT", id="7", timestamp=TS, price=100.5, amount=0.25, side=Side.BUY),
        Trade(symbol="BTC/USDT", id=None, timestamp=None, price=101.0, amount=1.0),
    ]
    out = text(trades_view("venue", "BTC/USDT", trades))
    assert "2 recent trades" in out
    assert "buy" in out
    assert "0.25" in out


def test_book_view_pairs_levels_best_first() -> None:
    book = OrderBook(
        symbol="ETH/USDT",
        bids=((3000.0, 1.5), (2999.99, 0.25), (2999.5, 3.0)),
        asks=((3000.06, 0.75),),
        timestamp=TS,
    )
    out = text(book_view("venue", book, depth=2))
    assert "venue ETH/USDT: spread 0.06, mid 3000.03" in out  # no float noise
    rows = [line for line in out.splitlines() if line.startswith("│")]
    assert "1.5" in rows[0]
    assert "3000.06" in rows[0]
    assert "0.75" in rows[0]
    assert "2999.99" in rows[1]
    assert "2999.5" not in out  # depth 2
    assert "at 2023-11-14T22:13:20.000+00:00" in out


def test_balance_keeps_nonzero_assets_with_exact_numbers() -> None:
    balance = Balance(
        assets={
            "USDT": AssetBalance(Decimal("0.00000001"), Decimal(0), Decimal("0.00000001")),
            "XRP": AssetBalance(Decimal(0), Decimal(0), Decimal(0)),
            "BTC": AssetBalance(Decimal("0.5"), Decimal("0.25"), Decimal("0.75")),
        },
        timestamp=TS,
    )
    held = _nonzero(balance)
    assert list(held) == ["BTC", "USDT"]
    out = text(balance_view("venue/main", balance.timestamp, held))
    assert "2 non-zero balances" in out
    assert "0.00000001" in out  # never 1E-8
    assert plain(held)["USDT"] == {"free": "0.00000001", "used": "0", "total": "0.00000001"}


def test_health_table_at_80_columns_keeps_stream_names_and_says_units() -> None:
    from exchanges.cli._watch import health_view

    row = {
        "stream": "order_book:BTC/USDT",
        "state": "reconnecting",
        "messages": 1234,
        "reconnects": 2,
        "gaps_unrepaired": 0,
        "last_message_age": None,
        "last_error": "NetworkError: binance: connection reset by peer",
    }
    out = text(health_view("binance", 5, [row, {**row, "stream": "ticker:ETH/USDT"}]), 80)
    assert "…" not in out
    assert "order_book:BTC/USDT" in out
    assert "reconnecting" in out
    assert "idle (s)" in out
    assert "gaps_unrepaired" not in out
    assert "None" not in out
    assert "│ -" not in out  # the age: "-", right-aligned
    assert " - │" in out
    assert "order_book:BTC/USDT: NetworkError: binance: connection reset by peer" in out


def test_health_table_with_redis_still_fits_80_columns_and_names_the_holders() -> None:
    from exchanges.cli._watch import health_view

    row = {
        "stream": "order_book:BTC/USDT",
        "state": "live",
        "messages": 1234,
        "reconnects": 0,
        "gaps_unrepaired": 0,
        "last_message_age": 0.02,
        "last_error": None,
        "role": "holder",
        "holder": "20014@host-a",
    }
    rows = [
        row,
        {**row, "stream": "trades:BTC/USDT", "role": "reader", "holder": "311@host-b"},
        {**row, "stream": "ticker:BTC/USDT", "role": "local", "holder": None},
    ]
    out = text(health_view("binance", 5, rows), 80)
    assert "…" not in out  # the shared columns made headers and roles cut before
    assert "held by this process, 20014@host-a: order_book:BTC/USDT" in out
    assert "read through Redis from 311@host-b: trades:BTC/USDT" in out
    assert "own connection (Redis down): ticker:BTC/USDT" in out


def test_venues_table_at_80_columns_cuts_nothing_and_counts_in_english() -> None:
    from exchanges.cli._app import venues_view

    caps = {
        "fetch_ticker": "native",
        "place_order": "native",
        "watch_trades": "emulated",
        "watch_order_book": "native",
        "watch_orders": "no",
    }
    row = {"venue": "binance", "adapter": "BinanceExchange", "capabilities": caps}
    one = text(venues_view([row]), 80)
    assert one.splitlines()[0].strip() == "1 venue"
    rows = [
        {"venue": "coinbaseinternational", "adapter": "CoinbaseExchange", "capabilities": caps},
        {"venue": "binance", "adapter": "BinanceExchange", "capabilities": caps},
    ]
    out = text(venues_view(rows), 80)
    assert "2 venues" in out
    assert "…" not in out
    assert "coinbaseinternational" in out
    assert "CoinbaseExchange" in out
    assert "emul." in out
