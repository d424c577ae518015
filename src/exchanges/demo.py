"""``make demo``: what the library does today, offline (no keys, no internet).

It builds adapters for a few venues through the registry, shows what each can do, then
runs a binance adapter's pre-send order checks on a market described locally: a valid
order is rounded to the venue's steps and given a client order id; bad ones are refused
naming the field, and nothing reaches the network. The demo will run a strategy against
the bundled Binance simulator once that lands.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from core import ExchangeError
from exchanges import BinanceExchange, adapter_class

VENUES = ("binance", "okx", "kraken", "coinbase", "bybit")
COLUMNS = ("fetch_order_book", "place_order", "watch_trades", "watch_order_book", "watch_orders")
BTC_USDT = {
    "id": "BTCUSDT",
    "symbol": "BTC/USDT",
    "base": "BTC",
    "quote": "USDT",
    "baseId": "BTC",
    "quoteId": "USDT",
    "type": "spot",
    "spot": True,
    "active": True,
    "precision": {"amount": 1e-05, "price": 0.01},
    "limits": {"amount": {"min": 1e-05, "max": 9000.0}, "cost": {"min": 5.0}},
    "info": {},
}


async def main() -> None:
    console = Console()
    table = Table(title="Venues through one interface (from ccxt's `has`)")
    table.add_column("venue")
    table.add_column("adapter")
    for column in COLUMNS:
        table.add_column(column)
    for venue in VENUES:
        adapter = adapter_class(venue)(venue)  # type: ignore[call-arg]
        async with asyncio.timeout(5):
            await adapter.close()
        table.add_row(
            venue, type(adapter).__name__, *(adapter.capabilities[c].value for c in COLUMNS)
        )
    console.print(table)

    ex = BinanceExchange()
    ex.use_markets([BTC_USDT])
    checks = Table(title="Orders checked before sending (BTC/USDT, lot 0.00001, tick 0.01)")
    checks.add_column("place_order(...)")
    checks.add_column("result")
    cases: list[tuple[str, tuple[str, str, Decimal | int | str, str | None]]] = [
        ("buy limit 0.0123456 @ 50000.019", ("buy", "limit", Decimal("0.0123456"), "50000.019")),
        ("buy limit 0 @ 50000", ("buy", "limit", 0, "50000")),
        ("buy limit NaN @ 50000", ("buy", "limit", "NaN", "50000")),
        ("buy limit 0.00001 @ 100 (notional 0.001)", ("buy", "limit", "0.00001", "100")),
        ("buy limit 0.01 (no price)", ("buy", "limit", "0.01", None)),
        ("hold market 0.01", ("hold", "market", "0.01", None)),
    ]
    for label, (side, kind, amount, price) in cases:
        try:
            order = ex.prepare_order("BTC/USDT", side, kind, amount, price)
            result = (
                f"[green]ok[/green]: amount {order.amount}, price {order.price}, "
                f"client id {order.client_order_id}"
            )
        except ExchangeError as exc:
            result = f"[red]{type(exc).__name__}[/red]: {exc}"
        checks.add_row(label, result)
    await ex.close()
    console.print(checks)
    console.print("Nothing was sent: every check above ran before the network.")


if __name__ == "__main__":
    asyncio.run(main())
