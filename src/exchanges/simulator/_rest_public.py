"""Public REST endpoints under ``/api/v3``: general and market data."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson
from aiohttp import web

from exchanges.simulator._candles import INTERVALS, MINUTE
from exchanges.simulator._errors import ApiError
from exchanges.simulator._format import agg_trade_json, kline_row, num, trade_json
from exchanges.simulator._http import (
    Params,
    answering,
    bounded_limit,
    int_param,
    required,
)
from exchanges.simulator._records import ZERO
from exchanges.simulator._spec import SymbolSpec
from exchanges.simulator._state import SimState

RATE_LIMITS = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
]
ORDER_TYPES = ["LIMIT", "LIMIT_MAKER", "MARKET"]


def symbol_info(spec: SymbolSpec) -> dict[str, Any]:
    return {
        "symbol": spec.id,
        "status": "TRADING",
        "baseAsset": spec.base,
        "baseAssetPrecision": spec.base_precision,
        "quoteAsset": spec.quote,
        "quotePrecision": spec.quote_precision,
        "quoteAssetPrecision": spec.quote_precision,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ORDER_TYPES,
        "icebergAllowed": False,
        "ocoAllowed": False,
        "otoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": False,
        "cancelReplaceAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": num(spec.min_price),
                "maxPrice": num(spec.max_price),
                "tickSize": num(spec.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": num(spec.min_qty),
                "maxQty": num(spec.max_qty),
                "stepSize": num(spec.step_size),
            },
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": num(Decimal(0)),
                "maxQty": num(spec.max_qty),
                "stepSize": num(Decimal(0)),
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": num(spec.min_notional),
                "applyMinToMarket": True,
                "maxNotional": num(spec.max_notional),
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }


def _symbols_param(state: SimState, params: Params) -> list[str] | None:
    if params.get("symbol"):
        return [state.market_id(params["symbol"])]
    if params.get("symbols"):
        try:
            names = orjson.loads(params["symbols"])
        except orjson.JSONDecodeError:
            raise ApiError(-1100, "Illegal characters found in parameter 'symbols'.") from None
        return [state.market_id(str(n)) for n in names]
    return None


class PublicApi:
    def __init__(self, state: SimState) -> None:
        self._state = state

    def endpoints(self) -> dict[str, Callable[[Params], Any]]:
        """REST path under /api/v3 -> the answer's body for the request's parameters."""
        return {
            "ping": self.ping,
            "time": self.time,
            "exchangeInfo": self.exchange_info,
            "depth": self.depth,
            "trades": self.trades,
            "historicalTrades": self.historical_trades,
            "aggTrades": self.agg_trades,
            "klines": self.klines,
            "uiKlines": self.klines,
            "avgPrice": self.avg_price,
            "ticker/24hr": self.ticker_24hr,
            "ticker": self.ticker_24hr,
            "ticker/price": self.ticker_price,
            "ticker/bookTicker": self.book_ticker,
        }

    def routes(self) -> list[web.RouteDef]:
        return [web.get(f"/api/v3/{path}", answering(fn)) for path, fn in self.endpoints().items()]

    def ping(self, _params: Params) -> Any:
        return {}

    def time(self, _params: Params) -> Any:
        return {"serverTime": self._state.now()}

    def exchange_info(self, params: Params) -> Any:
        state = self._state
        ids = _symbols_param(state, params) or list(state.specs)
        return {
            "timezone": "UTC",
            "serverTime": state.now(),
            "rateLimits": RATE_LIMITS,
            "exchangeFilters": [],
            "symbols": [symbol_info(state.specs[i]) for i in ids],
        }

    def depth(self, params: Params) -> Any:
        book = self._state.book(required(params, "symbol"))
        limit = bounded_limit(params, 100, 5000)
        snapshot = book.snapshot(limit)
        return {
            "lastUpdateId": book.update_id,
            "bids": [[num(p), num(q)] for p, q in snapshot["bids"]],
            "asks": [[num(p), num(q)] for p, q in snapshot["asks"]],
        }

    def trades(self, params: Params) -> Any:
        """Recent trades: the newest ``limit`` (Binance's ``/trades`` takes no ``fromId``;
        like any parameter it does not read, it is ignored here)."""
        engine = self._state.engine(required(params, "symbol"))
        limit = bounded_limit(params, 500, 1000)
        trades = engine.trades
        return [trade_json(t) for t in trades[max(engine.history_start(), len(trades) - limit) :]]

    def historical_trades(self, params: Params) -> Any:
        """Old trade lookup: ``limit`` trades from ``fromId`` on (default: the newest).
        No API key needed, as on Binance today. A ``fromId`` older than the history kept
        (``trade_history``) starts at the oldest trade kept."""
        engine = self._state.engine(required(params, "symbol"))
        limit = bounded_limit(params, 500, 1000)
        trades, oldest = engine.trades, engine.history_start()
        from_id = int_param(params, "fromId")
        if from_id is None:
            start = max(oldest, len(trades) - limit)
        else:
            start = bisect.bisect_left(trades, from_id, lo=oldest, key=lambda t: t.trade_id)
        return [trade_json(t) for t in trades[start : start + limit]]

    def agg_trades(self, params: Params) -> Any:
        engine = self._state.engine(required(params, "symbol"))
        limit = bounded_limit(params, 500, 1000)
        from_id = int_param(params, "fromId")
        start = int_param(params, "startTime")
        end = int_param(params, "endTime")
        picked = engine.history()
        if from_id is not None:
            picked = [t for t in picked if t.trade_id >= from_id]
        if start is not None:
            picked = [t for t in picked if t.time >= start]
        if end is not None:
            picked = [t for t in picked if t.time <= end]
        chosen = picked[:limit] if (from_id is not None or start is not None) else picked[-limit:]
        return [agg_trade_json(t) for t in chosen]

    def klines(self, params: Params) -> Any:
        market_id = self._state.market_id(required(params, "symbol"))
        interval = required(params, "interval")
        if interval not in INTERVALS:
            raise ApiError(-1120, "Invalid interval.")
        limit = bounded_limit(params, 500, 1000)
        candles = self._state.candles[market_id].klines(
            INTERVALS[interval], int_param(params, "startTime"), int_param(params, "endTime"), limit
        )
        return [kline_row(c, INTERVALS[interval]) for c in candles]

    def avg_price(self, params: Params) -> Any:
        market_id = self._state.market_id(required(params, "symbol"))
        now = self._state.now()
        window = self._state.candles[market_id].window(now, 5 * MINUTE)
        price = ZERO
        if window is not None and window.volume > ZERO:
            price = window.quote_volume / window.volume
        elif window is not None:
            price = window.close
        return {"mins": 5, "price": num(price), "closeTime": now}

    def _ticker(self, market_id: str) -> dict[str, Any]:
        state = self._state
        now = state.now()
        engine = state.engines[market_id]
        window = state.candles[market_id].window(now)
        last = engine.trades[-1] if engine.trades else None
        bid = engine.book.bids.levels(1)
        ask = engine.book.asks.levels(1)
        last_price = last.price if last else (window.close if window else ZERO)
        open_price = window.open if window else last_price
        change = last_price - open_price
        volume = window.volume if window else ZERO
        quote_volume = window.quote_volume if window else ZERO
        return {
            "symbol": market_id,
            "priceChange": num(change),
            "priceChangePercent": f"{(change / open_price * 100) if open_price else ZERO:.3f}",
            "weightedAvgPrice": num(quote_volume / volume if volume else last_price),
            "prevClosePrice": num(open_price),
            "lastPrice": num(last_price),
            "lastQty": num(last.qty if last else ZERO),
            "bidPrice": num(bid[0][0] if bid else ZERO),
            "bidQty": num(bid[0][1] if bid else ZERO),
            "askPrice": num(ask[0][0] if ask else ZERO),
            "askQty": num(ask[0][1] if ask else ZERO),
            "openPrice": num(open_price),
            "highPrice": num(max(window.high, last_price) if window else last_price),
            "lowPrice": num(min(window.low, last_price) if window else last_price),
            "volume": num(volume),
            "quoteVolume": num(quote_volume),
            "openTime": now - 1440 * MINUTE,
            "closeTime": now,
            "firstId": engine.trades[0].trade_id if engine.trades else -1,
            "lastId": last.trade_id if last else -1,
            "count": window.trades if window else 0,
        }

    def ticker(self, market_id: str) -> dict[str, Any]:
        """The 24 h ticker of one market (also used by the ``@ticker`` stream)."""
        return self._ticker(market_id)

    def ticker_24hr(self, params: Params) -> Any:
        ids = _symbols_param(self._state, params)
        if ids is not None and params.get("symbol"):
            return self._ticker(ids[0])
        return [self._ticker(i) for i in ids or self._state.specs]

    def ticker_price(self, params: Params) -> Any:
        ids = _symbols_param(self._state, params)
        rows = [
            {"symbol": i, "price": self._ticker(i)["lastPrice"]}
            for i in (ids or list(self._state.specs))
        ]
        return rows[0] if params.get("symbol") else rows

    def book_ticker(self, params: Params) -> Any:
        ids = _symbols_param(self._state, params)
        rows = []
        for market_id in ids or list(self._state.specs):
            book = self._state.engines[market_id].book
            bid = book.bids.levels(1) or [(ZERO, ZERO)]
            ask = book.asks.levels(1) or [(ZERO, ZERO)]
            rows.append(
                {
                    "symbol": market_id,
                    "bidPrice": num(bid[0][0]),
                    "bidQty": num(bid[0][1]),
                    "askPrice": num(ask[0][0]),
                    "askQty": num(ask[0][1]),
                }
            )
        return rows[0] if params.get("symbol") else rows
