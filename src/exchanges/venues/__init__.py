"""Thin venue subclasses: quirks only. Importing this package registers them."""

from exchanges.factory._registry import register
from exchanges.venues.binance import BinanceExchange
from exchanges.venues.coinbase import CoinbaseExchange
from exchanges.venues.kraken import KrakenExchange
from exchanges.venues.okx import OkxExchange

VENUE_ADAPTERS = (BinanceExchange, CoinbaseExchange, KrakenExchange, OkxExchange)

for _adapter in VENUE_ADAPTERS:
    assert _adapter.ccxt_id is not None
    register(_adapter.ccxt_id, _adapter)

__all__ = [
    "VENUE_ADAPTERS",
    "BinanceExchange",
    "CoinbaseExchange",
    "KrakenExchange",
    "OkxExchange",
]
