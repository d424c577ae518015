"""The ccxt ``binance`` options that make a client's connect to the simulator cheap (none is
required: the defaults work)."""

from __future__ import annotations

from typing import Any

CLIENT_OPTIONS: dict[str, Any] = {
    # Not needed: ccxt's default options work against the simulator, which serves every
    # metadata call load_markets() makes (see _rest_metadata). These skip the calls that
    # add nothing here, so connecting costs one request instead of seven:
    # the USD-M and COIN-M exchangeInfo list no symbols (the simulator trades spot only).
    "fetchMarkets": {"types": ["spot"]},
    # /sapi/v1/capital/config/getall: the simulator's coins carry no more than the markets
    # already say (no deposits, no withdrawals); off, ccxt derives currencies from markets.
    "fetchCurrencies": False,
    # /sapi/v1/margin/allPairs and /isolated/allPairs: empty (no margin trading here).
    "fetchMargins": False,
    # fetch_balance() and friends stay on the spot API (never sapi margin / papi).
    "defaultType": "spot",
    # one depth snapshot size the simulator serves in full, for watch_order_book.
    "watchOrderBookLimit": 1000,
}
"""Pass as ``ccxt.pro.binance({"options": CLIENT_OPTIONS, ...})`` (merge with your own)."""
