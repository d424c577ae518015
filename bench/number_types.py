"""Which number type for market data? Cost of converting ccxt's parsed dicts to records.

Measures, per message, the conversion this library adds on top of raw ccxt.pro for the two
hottest paths (a trade, a 20-level order book), with floats (what ships) and with Decimal
(the alternative), and the memory of one book of each kind. Run:

    .venv/bin/python bench/number_types.py

and copy the printed table into docs/benchmarks.md.
"""

from __future__ import annotations

import platform
import sys
import timeit
import tracemalloc
from decimal import Decimal
from typing import Any

import ccxt

from core import Side, Trade, convert

TRADE: dict[str, Any] = {
    "info": {},
    "id": "123456789",
    "symbol": "BTC/USDT",
    "timestamp": 1_700_000_000_000,
    "datetime": "2023-11-14T22:13:20.000Z",
    "side": "buy",
    "price": 37123.45,
    "amount": 0.01234,
    "cost": 458.0,
    "takerOrMaker": None,
}
BOOK: dict[str, Any] = {
    "symbol": "BTC/USDT",
    "bids": [[37123.45 - i * 0.01, 0.5 + i] for i in range(20)],
    "asks": [[37123.46 + i * 0.01, 0.5 + i] for i in range(20)],
    "timestamp": 1_700_000_000_000,
    "nonce": 42,
}


def trade_decimal(raw: dict[str, Any]) -> Trade:
    """The same record with Decimal numbers (the alternative that was not chosen)."""
    get = raw.get
    return Trade(
        raw["symbol"],
        str(get("id")),
        int(get("timestamp")),
        Decimal(repr(raw["price"])),  # type: ignore[arg-type]
        Decimal(repr(raw["amount"])),  # type: ignore[arg-type]
        Side.BUY if get("side") == "buy" else Side.SELL,
        Decimal(repr(raw["cost"])),  # type: ignore[arg-type]
    )


def book_decimal(raw: dict[str, Any]) -> tuple[tuple[tuple[Decimal, Decimal], ...], ...]:
    side = ("bids", "asks")
    return tuple(tuple((Decimal(repr(p)), Decimal(repr(a))) for p, a in raw[s]) for s in side)


def per_call_us(fn: Any, arg: Any, number: int) -> float:
    best = min(timeit.repeat(lambda: fn(arg), number=number, repeat=5))
    return best / number * 1e6


def size_of(fn: Any) -> int:
    tracemalloc.start()
    keep = [fn() for _ in range(1000)]
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del keep
    return current // 1000


def main() -> None:
    n = 20_000
    rows = [
        ("trade: ccxt dict as is (raw ccxt.pro)", 0.0),
        ("trade -> Trade (float, shipped)", per_call_us(convert.trade, TRADE, n)),
        ("trade -> Trade with Decimal numbers", per_call_us(trade_decimal, TRADE, n)),
        ("book 20x2 -> OrderBook (float, shipped)", per_call_us(convert.order_book, BOOK, n)),
        ("book 20x2 -> levels as Decimal", per_call_us(book_decimal, BOOK, n)),
    ]
    print(f"python {sys.version.split()[0]}, ccxt {ccxt.__version__}, {platform.machine()}")
    print("| conversion | us per message |")
    print("|---|---|")
    for name, us in rows:
        print(f"| {name} | {us:.2f} |")
    float_book = size_of(lambda: convert.order_book(BOOK, "BTC/USDT", synced=True))
    decimal_book = size_of(lambda: book_decimal(BOOK))
    print()
    print("| memory of one 20x2 book | float OrderBook | Decimal levels |")
    print(f"| bytes | {float_book} | {decimal_book} |")


if __name__ == "__main__":
    main()
