"""Market-stream events: trades as they happen, depth diffs aggregated per 100 ms /
1000 ms (U/u continuous with the REST snapshot's ``lastUpdateId``), partial books,
tickers, book tickers and klines on their timers."""

from __future__ import annotations

import asyncio
from collections import deque
from decimal import Decimal
from typing import Any

import orjson

from exchanges.simulator._candles import INTERVALS, Candle
from exchanges.simulator._connection import Hub
from exchanges.simulator._format import agg_trade_json, num
from exchanges.simulator._records import ZERO, Side, Trade
from exchanges.simulator._rest_public import PublicApi
from exchanges.simulator._state import SimState

_TICKER_KEYS = {
    "p": "priceChange",
    "P": "priceChangePercent",
    "w": "weightedAvgPrice",
    "x": "prevClosePrice",
    "c": "lastPrice",
    "Q": "lastQty",
    "b": "bidPrice",
    "B": "bidQty",
    "a": "askPrice",
    "A": "askQty",
    "o": "openPrice",
    "h": "highPrice",
    "l": "lowPrice",
    "v": "volume",
    "q": "quoteVolume",
    "O": "openTime",
    "C": "closeTime",
    "F": "firstId",
    "L": "lastId",
    "n": "count",
}


def _dumps(data: Any) -> str:
    return orjson.dumps(data).decode()


class DepthAggregator:
    """Changed levels since the last flush, and the first update id among them."""

    def __init__(self) -> None:
        self.first_id: int | None = None
        self.dirty: set[tuple[Side, Decimal]] = set()

    def note(self, update_id: int, side: Side, price: Decimal) -> None:
        if self.first_id is None:
            self.first_id = update_id
        self.dirty.add((side, price))


class Publisher:
    def __init__(self, state: SimState, hub: Hub, public: PublicApi) -> None:
        self._state = state
        self._hub = hub
        self._public = public
        self._fast: dict[str, DepthAggregator] = {}
        self._slow: dict[str, DepthAggregator] = {}
        self._top: dict[str, tuple[Any, ...]] = {}
        self._kline_open: dict[str, int] = {}  # stream -> open time of the candle last sent
        for market_id, engine in state.engines.items():
            fast, slow = DepthAggregator(), DepthAggregator()
            self._fast[market_id] = fast
            self._slow[market_id] = slow

            def listener(
                update_id: int,
                side: Side,
                price: Decimal,
                fast: DepthAggregator = fast,
                slow: DepthAggregator = slow,
            ) -> None:
                fast.note(update_id, side, price)
                slow.note(update_id, side, price)

            engine.book.listen(listener)

    # ---- trades ------------------------------------------------------------------------

    def on_trade(self, trade: Trade) -> None:
        state = self._state
        state.candles[trade.symbol].add(trade)
        low = trade.symbol.lower()
        name = low + "@trade"
        if self._hub.wanted(name):
            event = {
                "e": "trade",
                "E": state.now(),
                "s": trade.symbol,
                "t": trade.trade_id,
                "p": num(trade.price),
                "q": num(trade.qty),
                "T": trade.time,
                "m": trade.buyer_is_maker,
                "M": True,
            }
            self._hub.publish(name, _dumps(event))
            sent = state.trade_ids_sent.setdefault(name, deque(maxlen=200_000))
            sent.append(trade.trade_id)
        name = low + "@aggTrade"
        if self._hub.wanted(name):
            event = {"e": "aggTrade", "E": state.now(), "s": trade.symbol}
            event.update(agg_trade_json(trade))  # the same record REST aggTrades serves
            self._hub.publish(name, _dumps(event))

    # ---- depth -------------------------------------------------------------------------

    def _flush_depth(self, market_id: str, agg: DepthAggregator, names: list[str]) -> None:
        if agg.first_id is None:
            return
        book = self._state.engines[market_id].book
        wanted = [n for n in names if self._hub.wanted(n)]
        if wanted:
            bids: list[list[str]] = []
            asks: list[list[str]] = []
            for side, price in sorted(agg.dirty):
                row = [num(price), num(book.side(side).total(price))]
                (bids if side is Side.BUY else asks).append(row)
            event = {
                "e": "depthUpdate",
                "E": self._state.now(),
                "s": market_id,
                "U": agg.first_id,
                "u": book.update_id,
                "b": bids,
                "a": asks,
            }
            raw = _dumps(event)
            for name in wanted:
                self._hub.publish(name, raw, depth_diff=True)
        agg.first_id = None
        agg.dirty.clear()

    def _partial(self, market_id: str, suffix: str) -> None:
        low = market_id.lower()
        book = self._state.engines[market_id].book
        for levels in (5, 10, 20):
            name = f"{low}@depth{levels}{suffix}"
            if self._hub.wanted(name):
                snap = book.snapshot(levels)
                event = {
                    "lastUpdateId": book.update_id,
                    "bids": [[num(p), num(q)] for p, q in snap["bids"]],
                    "asks": [[num(p), num(q)] for p, q in snap["asks"]],
                }
                self._hub.publish(name, _dumps(event))

    def _book_ticker(self, market_id: str) -> None:
        name = market_id.lower() + "@bookTicker"
        book = self._state.engines[market_id].book
        bid = book.bids.levels(1) or [(ZERO, ZERO)]
        ask = book.asks.levels(1) or [(ZERO, ZERO)]
        top = (bid[0], ask[0])
        if self._top.get(market_id) == top or not self._hub.wanted(name):
            self._top[market_id] = top
            return
        self._top[market_id] = top
        event = {
            "u": book.update_id,
            "s": market_id,
            "b": num(bid[0][0]),
            "B": num(bid[0][1]),
            "a": num(ask[0][0]),
            "A": num(ask[0][1]),
        }
        self._hub.publish(name, _dumps(event))

    def flush_fast(self, market_id: str) -> None:
        """The 100 ms streams of one market (also called after every firehose step)."""
        low = market_id.lower()
        self._flush_depth(market_id, self._fast[market_id], [low + "@depth@100ms"])
        self._partial(market_id, "@100ms")
        self._book_ticker(market_id)

    def flush_slow(self) -> None:
        """The 1000 ms streams of every market."""
        now = self._state.now()
        for market_id in self._state.engines:
            low = market_id.lower()
            names = [low + "@depth", low + "@depth@1000ms"]
            self._flush_depth(market_id, self._slow[market_id], names)
            self._partial(market_id, "")
            self._partial(market_id, "@1000ms")
            for kind, event_type in (("ticker", "24hrTicker"), ("miniTicker", "24hrMiniTicker")):
                name = f"{low}@{kind}"
                if self._hub.wanted(name):
                    self._hub.publish(name, _dumps(self._ticker_event(market_id, event_type)))
        for name, event_type in (
            ("!ticker@arr", "24hrTicker"),
            ("!miniTicker@arr", "24hrMiniTicker"),
        ):
            if self._hub.wanted(name):
                events = [self._ticker_event(m, event_type) for m in self._state.engines]
                self._hub.publish(name, _dumps(events))
        for name in self._hub.streams():
            symbol, _, kind = name.partition("@")
            if kind.startswith("kline_") and kind[6:] in INTERVALS:
                self._kline(symbol.upper(), kind[6:], name, now)

    def _ticker_event(self, market_id: str, event_type: str) -> dict[str, Any]:
        ticker = self._public.ticker(market_id)
        event: dict[str, Any] = {"e": event_type, "E": self._state.now(), "s": market_id}
        keys = _TICKER_KEYS
        if event_type == "24hrMiniTicker":
            keys = {k: v for k, v in keys.items() if k in "cohlvq"}
        event.update({short: ticker[long] for short, long in keys.items()})
        return event

    def _kline(self, market_id: str, interval: str, name: str, now: int) -> None:
        """The open candle of ``interval``; when a new one has started, first the final
        (``"x": true``) state of the one that closed."""
        if market_id not in self._state.candles:
            return
        series = self._state.candles[market_id]
        span = INTERVALS[interval]
        candles = series.klines(span, limit=1)
        if not candles:
            return
        current = candles[-1]
        previous_open = self._kline_open.get(name)
        if previous_open is not None and previous_open < current.open_time:
            closed = series.klines(span, start=previous_open, limit=1)
            if closed and closed[0].open_time == previous_open:
                self._hub.publish(
                    name, _dumps(self._kline_event(market_id, interval, closed[0], now, True))
                )
        self._kline_open[name] = current.open_time
        final = now >= current.open_time + span
        self._hub.publish(name, _dumps(self._kline_event(market_id, interval, current, now, final)))

    def _kline_event(
        self, market_id: str, interval: str, c: Candle, now: int, final: bool
    ) -> dict[str, Any]:
        span = INTERVALS[interval]
        return {
            "e": "kline",
            "E": now,
            "s": market_id,
            "k": {
                "t": c.open_time,
                "T": c.open_time + span - 1,
                "s": market_id,
                "i": interval,
                "f": -1,
                "L": -1,
                "o": num(c.open),
                "c": num(c.close),
                "h": num(c.high),
                "l": num(c.low),
                "v": num(c.volume),
                "n": c.trades,
                "x": final,
                "q": num(c.quote_volume),
                "V": num(c.taker_buy_volume),
                "Q": num(c.taker_buy_quote_volume),
                "B": "0",
            },
        }

    async def run(self, fast_interval: float = 0.1) -> None:
        """Flush the timed streams until cancelled."""
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        tick = 0
        while True:
            next_at += fast_interval
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            for market_id in self._state.engines:
                self.flush_fast(market_id)
            tick += 1
            if tick % 10 == 0:
                self.flush_slow()
