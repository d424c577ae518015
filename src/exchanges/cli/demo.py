"""``make demo``: a strategy run through the real stack against the bundled simulator.

No keys, no internet. It starts the Binance-protocol simulator in-process, stores the
simulator's demo credentials with the KeyManager (a 0600 keys file in a temporary
directory), gets an authenticated adapter from the ExchangeFactory, and then, with the
unmodified ccxt.pro client underneath: loads markets, reads tickers and books, follows
live trades, books and candles through the supervisor in a live view while it drops every
WebSocket connection on purpose (the streams reconnect and backfill), places an order that
rests and cancels it, places one that fills and sees the fill on the private stream,
shows balances, shows an order refused before sending, and closes everything. Bounded in
time; Ctrl-C stops it cleanly. With ``--bots``, the second part (``make demo`` runs both): two
bots in processes of their own, one stopping the other with a message
(:mod:`exchanges.cli._demo_bots`).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from core import (
    Candle,
    EventKind,
    ExchangeError,
    Order,
    OrderBook,
    Settings,
    StreamEvent,
    Subscription,
    Trade,
    configure_logging,
)
from exchanges import BaseExchange, CcxtExchange, ExchangeFactory
from exchanges.simulator import DEMO_API_KEY, DEMO_SECRET, Simulator
from keys import KeyManager

SYMBOLS = ("BTC/USDT", "ETH/USDT")
console = Console()


def _order_row(table: Table, label: str, order: Order) -> None:
    table.add_row(
        label,
        order.side.value,
        str(order.type),
        str(order.amount),
        str(order.price),
        str(order.filled),
        order.status.value if order.status else "?",
        order.client_order_id or "",
    )


def _clip(text: str, width: int) -> str:
    """``text`` on one line, at most ``width`` characters, an ellipsis where it was cut."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


class _Board:
    """What the live view shows, fed by supervised subscriptions' callbacks."""

    def __init__(self) -> None:
        self.trades = dict.fromkeys(SYMBOLS, 0)
        self.first_trade: dict[str, str] = {}
        self.last_trade: dict[str, Trade] = {}
        self.books: dict[str, OrderBook] = {}
        self.candles: dict[str, Candle] = {}
        self.events: list[str] = []

    def on_trade(self, trade: Trade) -> None:
        self.trades[trade.symbol] += 1
        self.first_trade.setdefault(trade.symbol, str(trade.id))
        self.last_trade[trade.symbol] = trade

    def on_book(self, book: OrderBook) -> None:
        self.books[book.symbol] = book

    def candle_callback(self, symbol: str) -> Callable[[Candle], None]:
        def on_candle(candle: Candle) -> None:
            self.candles[symbol] = candle

        return on_candle

    def on_event(self, event: StreamEvent) -> None:
        if event.kind is not EventKind.QUIET:
            line = (
                f"{time.strftime('%H:%M:%S')} {event.key} {event.kind.value}: {event.state.value}"
            )
            self.events.append(line + (f" ({_clip(event.reason, 60)})" if event.reason else ""))

    def view(self, ex: BaseExchange, title: str) -> Group:
        table = Table(title=title)
        for column in ("symbol", "bid", "ask", "book nonce", "trades", "last trade", "1m close"):
            table.add_column(column)
        for symbol in SYMBOLS:
            book = self.books.get(symbol)
            trade = self.last_trade.get(symbol)
            candle = self.candles.get(symbol)
            table.add_row(
                symbol,
                str(book.best_bid[0]) if book and book.best_bid else "-",
                str(book.best_ask[0]) if book and book.best_ask else "-",
                "-" if not book else f"{book.nonce}" + ("" if book.synced else " (polled)"),
                str(self.trades[symbol]),
                f"{trade.side.value if trade.side else '?'} {trade.amount} @ {trade.price}"
                if trade
                else "-",
                str(candle.close) if candle else "-",
            )
        streams = Table(title="Supervised streams (ex.health())")
        for column in ("stream", "state", "reconnects", "unrepaired gaps", "last message"):
            streams.add_column(column)
        for s in ex.health().streams:
            age = "-" if s.last_message_age is None else f"{s.last_message_age:.1f} s ago"
            streams.add_row(
                str(s.key), s.state.value, str(s.reconnects), str(s.gaps_unrepaired), age
            )
        return Group(table, streams, *self.events[-13:])


async def _watch_market(ex: BaseExchange, sim: Simulator, seconds: float) -> Table:
    board = _Board()
    subs: list[Subscription[Any]] = []
    for symbol in SYMBOLS:
        subs.append(await ex.subscribe_trades(symbol, board.on_trade, on_event=board.on_event))
        subs.append(await ex.subscribe_order_book(symbol, board.on_book, on_event=board.on_event))
        subs.append(
            await ex.subscribe_ohlcv(
                symbol,
                board.candle_callback(symbol),
                on_event=board.on_event,
            )
        )
    title = f"Live for {seconds:.0f} s: subscribe_trades / _order_book / _ohlcv"
    with Live(board.view(ex, title), console=console, refresh_per_second=4) as live:
        deadline = time.monotonic() + seconds
        faulted = False
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(0.25, left))
            if not faulted and left < seconds / 2:
                faulted = True
                dropped = sim.faults.drop_connections()
                board.events.append(f"fault injected: {dropped} WebSocket connections dropped")
            live.update(board.view(ex, title))
    console.print()
    for sub in subs:
        if sub.error is not None:
            raise sub.error
    summary = Table(title="Trades: delivered vs the simulator's ground truth")
    for column in ("symbol", "delivered", "made by the engine meanwhile", "missing", "reconnects"):
        summary.add_column(column)
    for sub in subs[::3]:
        symbol = str(sub.key.symbol)
        first = board.first_trade.get(symbol)
        last = board.last_trade.get(symbol)
        made = [
            str(t.trade_id)
            for t in sim.state.engine(symbol).trades
            if first and last and int(first) <= t.trade_id <= int(str(last.id))
        ]
        summary.add_row(
            symbol,
            str(board.trades[symbol]),
            str(len(made)),
            str(len(made) - board.trades[symbol]),
            str(sub.stats.reconnects),
        )
    for sub in subs:
        await sub.cancel()
    return summary


async def run(seconds: float = 8.0) -> None:
    started = time.perf_counter()
    async with Simulator(seed=42, rate=10.0) as sim:
        console.print(f"[bold]simulator[/bold] listening on {sim.endpoint} (Binance spot protocol)")
        with tempfile.TemporaryDirectory() as home:
            keys = KeyManager(keys_file=Path(home) / "keys.toml", env_file=None, use_keyring=False)
            keys.add("binance", "demo", {"api_key": DEMO_API_KEY, "secret": DEMO_SECRET})
            where = keys.check("binance", "demo").source
            console.print(f"[bold]keys[/bold] demo account stored in a 0600 file: {where}")
            factory = ExchangeFactory(key_manager=keys)
            try:
                await _strategy(factory, sim, seconds)
            finally:
                await factory.close_all()
    elapsed = time.perf_counter() - started
    console.print(f"[bold green]done[/bold green] in {elapsed:.1f} s; everything closed.")


async def _strategy(factory: ExchangeFactory, sim: Simulator, seconds: float) -> None:
    ex = await factory.get_exchange("binance", account="demo", endpoint=sim.endpoint)
    if not isinstance(ex, CcxtExchange):
        raise TypeError(f"expected a ccxt-backed adapter, got {ex!r}")
    console.print(f"[bold]adapter[/bold] {ex!r}: {len(ex.markets)} markets loaded")

    overview = Table(title="Top of book (fetch_ticker, fetch_order_book)")
    for column in ("symbol", "bid", "bid amount", "ask", "ask amount", "spread", "24h volume"):
        overview.add_column(column, justify="left" if column == "symbol" else "right")
    for symbol in SYMBOLS:
        ticker = await ex.fetch_ticker(symbol)
        book = await ex.fetch_order_book(symbol, limit=5)
        bid, ask = book.best_bid or ("-", "-"), book.best_ask or ("-", "-")  # (price, amount)
        overview.add_row(
            symbol,
            str(bid[0]),
            str(bid[1]),
            str(ask[0]),
            str(ask[1]),
            f"{book.spread:.2f}",
            str(ticker.base_volume),
        )
    console.print(overview)
    console.print(await _watch_market(ex, sim, seconds))

    before = await ex.fetch_balance()
    orders = Table(title="Orders (place_order, cancel_order, stream_my_trades)")
    for column in ("step", "side", "type", "amount", "price", "filled", "status", "client id"):
        orders.add_column(column)
    book = await ex.fetch_order_book("BTC/USDT", limit=1)
    if book.best_bid is None or book.best_ask is None:
        raise RuntimeError("the simulator's BTC/USDT book is empty")
    resting = await ex.place_order(
        "BTC/USDT",
        "buy",
        "limit",
        Decimal("0.01"),
        Decimal(str(book.best_bid[0])) * Decimal("0.95"),
    )
    _order_row(orders, "rests below the market", resting)
    _order_row(orders, "canceled", await ex.cancel_order(resting.id, "BTC/USDT"))

    fills = ex.stream_my_trades("BTC/USDT")  # supervised: no fill can slip between reads
    await fills.start()
    await sim.wait_user_stream(DEMO_API_KEY)
    price = Decimal(str(book.best_ask[0])) * Decimal("1.01")
    taker = await ex.place_order("BTC/USDT", "buy", "limit", Decimal("0.002"), price)
    _order_row(orders, "crosses the spread", taker)
    async with asyncio.timeout(10):
        async for fill in fills:
            if fill.order_id != taker.id:
                continue
            fee = f"fee {fill.fee.cost} {fill.fee.currency}" if fill.fee else "no fee"
            orders.add_row(
                "fill on the private stream",
                fill.side.value if fill.side else "?",
                "fill",
                str(fill.amount),
                str(fill.price),
                str(fill.amount),
                fee,
                "",
            )
            break
    await fills.cancel()
    console.print(orders)

    after = await ex.fetch_balance()
    balances = Table(title="Balances (fetch_balance)")
    for column in ("asset", "before", "after"):
        balances.add_column(column)
    for asset in ("BTC", "USDT"):
        balances.add_row(asset, str(before[asset].total), str(after[asset].total))
    console.print(balances)

    try:
        await ex.place_order("BTC/USDT", "buy", "limit", Decimal("0.000001"), Decimal("100"))
    except ExchangeError as exc:
        console.print(f"[bold]refused before sending[/bold]: {type(exc).__name__}: {exc}")


def main() -> None:
    # the demo's own tables are the output (its live view shows the streams' states); the
    # library logs errors only
    configure_logging(Settings(log_level="ERROR"))
    if "--bots" in sys.argv[1:]:  # the second part: two bots in processes of their own
        from exchanges.cli._demo_bots import run_bots

        os.environ.setdefault("EXCHANGES_LOG_LEVEL", "ERROR")  # the bots' processes read it
        _until_interrupted(run_bots(console))
        return
    _until_interrupted(run())


def _until_interrupted(demo: Coroutine[Any, Any, None]) -> None:
    """Run ``demo``; on Ctrl-C (its tasks cancelled, the adapters and the simulator closed
    on the way out) one line and exit 130, as the ``exchanges`` command does, so that
    ``make demo`` stops there instead of going on to its next part."""
    try:
        asyncio.run(demo)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
