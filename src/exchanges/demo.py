"""``make demo``: a strategy run through the real stack against the bundled simulator.

No keys, no internet. It starts the Binance-protocol simulator in-process, stores the
simulator's demo credentials with the KeyManager (a 0600 keys file in a temporary
directory), gets an authenticated adapter from the ExchangeFactory, and then, with the
unmodified ccxt.pro client underneath: loads markets, reads tickers and books, watches
live trades and the book, places an order that rests and cancels it, places one that
fills and sees the fill on the private stream, shows balances, shows an order refused
before sending, and closes everything. Bounded in time; Ctrl-C stops it cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from core import ExchangeError, Order, Settings, configure_logging
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


async def _watch_market(ex: BaseExchange, sim: Simulator, seconds: float) -> Table:
    trades = {s: 0 for s in SYMBOLS}
    books = {s: 0 for s in SYMBOLS}
    last: dict[str, str] = {}

    async def trades_of(symbol: str) -> None:
        while True:
            for trade in await ex.watch_trades(symbol):
                trades[symbol] += 1
                last[symbol] = (
                    f"{trade.side.value if trade.side else '?'} {trade.amount} @ {trade.price}"
                )

    async def book_of(symbol: str) -> None:
        while True:
            book = await ex.watch_order_book(symbol, limit=5)
            books[symbol] += 1
            if not book.synced:
                raise RuntimeError(f"{symbol}: unsynced book served")

    tasks = [asyncio.create_task(f(s)) for s in SYMBOLS for f in (trades_of, book_of)]
    try:
        await asyncio.wait(tasks, timeout=seconds)
        for task in tasks:
            if task.done():
                task.result()  # surface a failure
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    table = Table(title=f"Live for {seconds:.0f} s (watch_trades, watch_order_book)")
    for column in ("symbol", "trades", "book updates", "last trade", "truth: trades sent"):
        table.add_column(column)
    for symbol in SYMBOLS:
        sent = len(sim.state.trade_ids_sent.get(symbol.replace("/", "").lower() + "@trade", ()))
        table.add_row(
            symbol, str(trades[symbol]), str(books[symbol]), last.get(symbol, "-"), str(sent)
        )
    return table


async def run(seconds: float = 4.0) -> None:
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
    for column in ("symbol", "bid", "ask", "spread", "24h volume"):
        overview.add_column(column)
    for symbol in SYMBOLS:
        ticker = await ex.fetch_ticker(symbol)
        book = await ex.fetch_order_book(symbol, limit=5)
        overview.add_row(
            symbol,
            str(book.best_bid),
            str(book.best_ask),
            f"{book.spread:.2f}",
            str(ticker.base_volume),
        )
    console.print(overview)
    console.print(await _watch_market(ex, sim, seconds))

    before = await ex.fetch_balance()
    orders = Table(title="Orders (place_order, cancel_order, watch_my_trades)")
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

    # watch_my_trades resolves on the fill itself (watch_orders would first return the
    # NEW report; an update arriving between two watch_* calls is ccxt's to cache, not to
    # deliver: the supervised stream_orders is the answer to that)
    fills_stream = asyncio.ensure_future(ex.watch_my_trades("BTC/USDT"))
    await sim.wait_user_stream(DEMO_API_KEY)
    price = Decimal(str(book.best_ask[0])) * Decimal("1.01")
    taker = await ex.place_order("BTC/USDT", "buy", "limit", Decimal("0.002"), price)
    _order_row(orders, "crosses the spread", taker)
    async with asyncio.timeout(10):
        fills = await fills_stream
    for fill in fills:
        if fill.order_id == taker.id:
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
    # the demo's own tables are the output; the library logs warnings and errors only
    configure_logging(Settings(log_level="WARNING"))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
