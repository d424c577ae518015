"""``exchanges markets | ticker | book | trades``: public market data, one REST read each.

Each command fetches, then hands the record to a ``*_view`` function that builds the rich
table. ``--watch`` renders each update of ``stream_order_book`` / ``stream_trades`` with the
same view inside a ``rich.live.Live`` (``_cli_watch``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer
from rich.table import Table

from core import Market, OrderBook, Ticker, Trade
from exchanges.cli._common import (
    AsJson,
    Endpoint,
    KeysFile,
    MarketTypeOption,
    PublicAccount,
    Sandbox,
    Symbol,
    Target,
    Venue,
    console,
    exact,
    num,
    print_json,
    session,
    when,
)
from exchanges.cli._watch import Count, Seconds, Watch, book_json, watch_book, watch_trades

Depth = Annotated[int, typer.Option("--depth", min=1, help="Levels per side.")]
Limit = Annotated[int, typer.Option("--limit", min=1, help="How many recent trades.")]


# ---------------------------------------------------------------------- markets
def _step(step: Decimal | None, digits: int | None) -> str:
    if step is not None:
        return num(step)
    return "-" if digits is None else f"{digits} digits"


def markets_view(venue: str, rows: list[Market]) -> Table:
    table = Table(title=f"{venue}: {len(rows)} markets")
    for column in ("symbol", "type", "base", "quote", "amount step", "price step"):
        table.add_column(column)
    table.add_column("min amount", justify="right")
    table.add_column("min notional", justify="right")
    for m in rows:
        table.add_row(
            m.symbol if m.active else f"{m.symbol} (inactive)",
            m.type.value,
            m.base,
            m.quote,
            _step(m.precision.amount, m.precision.amount_digits),
            _step(m.precision.price, m.precision.price_digits),
            num(m.limits.amount.min),
            num(m.limits.cost.min),
        )
    return table


def markets(
    venue: Venue,
    quote: Annotated[
        str | None, typer.Option("--quote", help="Only markets quoted in this currency.")
    ] = None,
    market_type: MarketTypeOption = None,
    account: PublicAccount = None,
    endpoint: Endpoint = None,
    sandbox: Sandbox = False,
    keys_file: KeysFile = None,
    as_json: AsJson = False,
) -> None:
    """List the venue's markets: type, base/quote, precision, minimums (markets only)."""
    target = Target(venue, account, market_type, endpoint, sandbox, keys_file)
    with session(target) as s:
        ex = s.open()
        loaded = s.run(ex.fetch_markets(), "loading markets")
    rows = sorted(loaded.values(), key=lambda m: m.symbol)
    if market_type is not None:  # generic adapters load every type: keep the one asked for
        rows = [m for m in rows if m.type == market_type]
    if quote is not None:
        rows = [m for m in rows if m.quote.upper() == quote.upper()]
    if as_json:
        print_json(rows)
        return
    console.print(markets_view(venue, rows))


# ---------------------------------------------------------------------- ticker
def ticker_view(venue: str, t: Ticker) -> Table:
    table = Table(title=f"{venue} {t.symbol}", show_header=False)
    table.add_column("field")
    table.add_column("value", justify="right")
    bid, ask = exact(t.bid), exact(t.ask)
    spread = None if bid is None or ask is None else ask - bid
    rows = [
        ("bid", num(t.bid)),
        ("ask", num(t.ask)),
        ("spread", num(spread)),
        ("last", num(t.last)),
        ("open", num(t.open)),
        ("high", num(t.high)),
        ("low", num(t.low)),
        ("change %", num(t.percentage)),
        ("base volume", num(t.base_volume)),
        ("quote volume", num(t.quote_volume)),
        ("time (UTC)", when(t.timestamp)),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def ticker(
    venue: Venue,
    symbol: Symbol,
    market_type: MarketTypeOption = None,
    account: PublicAccount = None,
    endpoint: Endpoint = None,
    sandbox: Sandbox = False,
    keys_file: KeysFile = None,
    as_json: AsJson = False,
) -> None:
    """Show a symbol's ticker: bid, ask, last, 24 h range and volume."""
    target = Target(venue, account, market_type, endpoint, sandbox, keys_file)
    with session(target) as s:
        ex = s.open()
        t = s.run(ex.fetch_ticker(symbol), f"fetching the {symbol} ticker")
    if as_json:
        print_json(t)
        return
    console.print(ticker_view(venue, t))


# ---------------------------------------------------------------------- order book
def book_view(venue: str, book: OrderBook, depth: int) -> Table:
    """Bids and asks side by side, best first (also the ``--watch`` view)."""
    title = f"{venue} {book.symbol}"
    if book.bids and book.asks:
        best_bid, best_ask = Decimal(repr(book.bids[0][0])), Decimal(repr(book.asks[0][0]))
        title += f": spread {num(best_ask - best_bid)}, mid {num((best_ask + best_bid) / 2)}"
    caption = None if book.timestamp is None else f"at {when(book.timestamp)}"
    table = Table(title=title, caption=caption)
    table.add_column("bid amount", justify="right")
    table.add_column("bid", justify="right", style="green")
    table.add_column("ask", justify="right", style="red")
    table.add_column("ask amount", justify="right")
    bids, asks = book.bids[:depth], book.asks[:depth]
    for i in range(max(len(bids), len(asks))):
        bid = bids[i] if i < len(bids) else None
        ask = asks[i] if i < len(asks) else None
        table.add_row(
            "" if bid is None else num(bid[1]),
            "" if bid is None else num(bid[0]),
            "" if ask is None else num(ask[0]),
            "" if ask is None else num(ask[1]),
        )
    return table


def book(
    venue: Venue,
    symbol: Symbol,
    depth: Depth = 10,
    market_type: MarketTypeOption = None,
    account: PublicAccount = None,
    endpoint: Endpoint = None,
    sandbox: Sandbox = False,
    keys_file: KeysFile = None,
    as_json: AsJson = False,
    watch: Watch = False,
    count: Count = None,
    seconds: Seconds = None,
) -> None:
    """Show the order book: one REST snapshot, DEPTH levels per side; with --watch, the
    supervised stream's updates (one JSON object a line with --json)."""
    target = Target(venue, account, market_type, endpoint, sandbox, keys_file)
    with session(target) as s:
        ex = s.open()
        if watch:
            s.run(watch_book(ex, symbol, depth, as_json, count, seconds, book_view), "")
            return
        snapshot = s.run(ex.fetch_order_book(symbol, limit=depth), f"fetching the {symbol} book")
    if as_json:
        print_json(book_json(snapshot, depth))
        return
    console.print(book_view(venue, snapshot, depth))


# ---------------------------------------------------------------------- trades
def trades_view(venue: str, symbol: str, rows: list[Trade]) -> Table:
    """Recent public trades, oldest first (also the ``--watch`` view)."""
    table = Table(title=f"{venue} {symbol}: {len(rows)} recent trades")
    table.add_column("time (UTC)")
    table.add_column("side")
    table.add_column("price", justify="right")
    table.add_column("amount", justify="right")
    table.add_column("id")
    for t in rows:
        side = "-" if t.side is None else t.side.value
        style = {"buy": "green", "sell": "red"}.get(side)
        table.add_row(
            when(t.timestamp), side, num(t.price), num(t.amount), t.id or "-", style=style
        )
    return table


def trades(
    venue: Venue,
    symbol: Symbol,
    limit: Limit = 20,
    market_type: MarketTypeOption = None,
    account: PublicAccount = None,
    endpoint: Endpoint = None,
    sandbox: Sandbox = False,
    keys_file: KeysFile = None,
    as_json: AsJson = False,
    watch: Watch = False,
    count: Count = None,
    seconds: Seconds = None,
) -> None:
    """Show recent public trades (one REST read); with --watch, every new trade from the
    supervised stream (the last LIMIT in the table; one JSON object a line with --json)."""
    target = Target(venue, account, market_type, endpoint, sandbox, keys_file)
    with session(target) as s:
        ex = s.open()
        if watch:
            s.run(watch_trades(ex, symbol, limit, as_json, count, seconds, trades_view), "")
            return
        rows = s.run(ex.fetch_trades(symbol, limit=limit), f"fetching {symbol} trades")
    rows = rows[-limit:]
    if as_json:
        print_json(rows)
        return
    console.print(trades_view(venue, symbol, rows))
