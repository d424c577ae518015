"""The ccxt ``binance`` options a client must set to talk to the simulator."""

from __future__ import annotations

from typing import Any

CLIENT_OPTIONS: dict[str, Any] = {
    # load_markets() would also ask fapi/dapi (USD-M, COIN-M) exchangeInfo: spot only.
    "fetchMarkets": {"types": ["spot"]},
    # fetch_currencies() calls /sapi/v1/capital/config/getall (wallet API), not simulated;
    # off, ccxt derives currencies from the markets.
    "fetchCurrencies": False,
    # with credentials, load_markets() also asks /sapi/v1/margin/allPairs and
    # /sapi/v1/margin/isolated/allPairs (margin API, not simulated): off.
    "fetchMargins": False,
    # fetch_balance() and friends stay on the spot API (never sapi margin / papi).
    "defaultType": "spot",
    # one depth snapshot size the simulator serves in full, for watch_order_book.
    "watchOrderBookLimit": 1000,
}
"""Pass as ``ccxt.pro.binance({"options": CLIENT_OPTIONS, ...})`` (merge with your own)."""
