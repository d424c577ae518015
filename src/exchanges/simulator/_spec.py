"""Static description of the simulated venue: symbols, their filters, the demo account."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

DEMO_API_KEY = "sim-demo-key-0000000000000000000000000000000000000000000000000000"
"""API key of the demo account every :class:`Simulator` creates (public: it is a demo)."""
DEMO_SECRET = "sim-demo-secret-00000000000000000000000000000000000000000000000000"  # noqa: S105
"""Secret of the demo account (public: it is a demo)."""
DEMO_BALANCES: dict[str, Decimal] = {
    "USDT": Decimal("100000"),
    "BTC": Decimal("1"),
    "ETH": Decimal("10"),
}
"""Starting balances of the demo account."""


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """One spot market: its Binance id, assets, filters and the generator's start price."""

    symbol: str  # unified, "BTC/USDT"
    base: str
    quote: str
    start_price: Decimal
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal = Decimal("9000")
    min_price: Decimal = Decimal("0.01")
    max_price: Decimal = Decimal("1000000")
    min_notional: Decimal = Decimal("5")
    max_notional: Decimal = Decimal("9000000")

    @property
    def id(self) -> str:
        """Binance's market id, ``BTCUSDT``."""
        return self.base + self.quote

    @property
    def base_precision(self) -> int:
        return 8

    @property
    def quote_precision(self) -> int:
        return 8


_KNOWN: dict[str, tuple[str, str, str, str]] = {
    # base: (start price, tick size, step size, min qty)
    "BTC": ("50000", "0.01", "0.00001", "0.00001"),
    "ETH": ("3000", "0.01", "0.0001", "0.0001"),
    "BNB": ("600", "0.01", "0.001", "0.001"),
    "SOL": ("150", "0.01", "0.001", "0.001"),
}


def spec_for(symbol: str) -> SymbolSpec:
    """A plausible spec for ``BASE/QUOTE``: known bases get realistic prices and filters."""
    if symbol.count("/") != 1:
        raise ValueError(f"symbol: {symbol!r} is not BASE/QUOTE")
    base, quote = symbol.split("/")
    if not base.isalnum() or not quote.isalnum():
        raise ValueError(f"symbol: {symbol!r} is not BASE/QUOTE")
    price, tick, step, min_qty = _KNOWN.get(base, ("100", "0.01", "0.001", "0.001"))
    return SymbolSpec(
        symbol=symbol,
        base=base,
        quote=quote,
        start_price=Decimal(price),
        tick_size=Decimal(tick),
        step_size=Decimal(step),
        min_qty=Decimal(min_qty),
    )
