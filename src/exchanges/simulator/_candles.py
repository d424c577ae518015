"""Klines: one-minute candles built from trades, aggregated to Binance's intervals."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from decimal import Decimal

from exchanges.simulator._records import ZERO, Trade

MINUTE = 60_000
INTERVALS: dict[str, int] = {
    "1m": MINUTE,
    "3m": 3 * MINUTE,
    "5m": 5 * MINUTE,
    "15m": 15 * MINUTE,
    "30m": 30 * MINUTE,
    "1h": 60 * MINUTE,
    "2h": 120 * MINUTE,
    "4h": 240 * MINUTE,
    "6h": 360 * MINUTE,
    "8h": 480 * MINUTE,
    "12h": 720 * MINUTE,
    "1d": 1440 * MINUTE,
    "3d": 3 * 1440 * MINUTE,
    "1w": 7 * 1440 * MINUTE,
}


@dataclass
class Candle:
    open_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal = ZERO
    quote_volume: Decimal = ZERO
    trades: int = 0
    taker_buy_volume: Decimal = ZERO
    taker_buy_quote_volume: Decimal = ZERO

    def add(self, trade: Trade) -> None:
        if self.trades == 0 and self.volume == ZERO:
            self.open = self.high = self.low = trade.price
        self.high = max(self.high, trade.price)
        self.low = min(self.low, trade.price)
        self.close = trade.price
        self.volume += trade.qty
        self.quote_volume += trade.qty * trade.price
        self.trades += 1
        if not trade.buyer_is_maker:
            self.taker_buy_volume += trade.qty
            self.taker_buy_quote_volume += trade.qty * trade.price

    def starting_at(self, open_time: int) -> Candle:
        """A copy opening at ``open_time``, to merge later minutes into."""
        return replace(self, open_time=open_time)

    def merge(self, other: Candle) -> None:
        self.high = max(self.high, other.high)
        self.low = min(self.low, other.low)
        self.close = other.close
        self.volume += other.volume
        self.quote_volume += other.quote_volume
        self.trades += other.trades
        self.taker_buy_volume += other.taker_buy_volume
        self.taker_buy_quote_volume += other.taker_buy_quote_volume


class CandleSeries:
    """One symbol's minute candles (a bounded history) and their aggregates."""

    def __init__(self, keep_minutes: int = 3 * 1440) -> None:
        self._minutes: dict[int, Candle] = {}
        self._keep = keep_minutes

    def seed_history(
        self, rng: random.Random, now: int, price: Decimal, tick: Decimal, minutes: int
    ) -> None:
        """Invent ``minutes`` of past candles that end at ``price``."""
        start = now - now % MINUTE
        close = price
        for i in range(1, minutes + 1):
            drift = Decimal(str(round(rng.gauss(0, 0.0008), 6)))
            open_ = (close * (1 + drift)).quantize(tick)
            wiggle = abs(close - open_) + tick * rng.randint(1, 50)
            high = max(open_, close) + wiggle.quantize(tick)
            low = max(min(open_, close) - wiggle.quantize(tick), tick)
            volume = Decimal(rng.randint(100, 5000)) / Decimal(100)
            self._minutes[start - i * MINUTE] = Candle(
                open_time=start - i * MINUTE,
                open=open_,
                high=high,
                low=low,
                close=close,
                volume=volume,
                quote_volume=(volume * close).quantize(tick),
                trades=rng.randint(10, 500),
            )
            close = open_

    def add(self, trade: Trade) -> None:
        minute = trade.time - trade.time % MINUTE
        candle = self._minutes.get(minute)
        if candle is None:
            candle = Candle(minute, trade.price, trade.price, trade.price, trade.price)
            self._minutes[minute] = candle
            if len(self._minutes) > self._keep:
                for key in sorted(self._minutes)[: len(self._minutes) - self._keep]:
                    del self._minutes[key]
        candle.add(trade)

    def last_price(self) -> Decimal | None:
        if not self._minutes:
            return None
        return self._minutes[max(self._minutes)].close

    def klines(
        self,
        interval_ms: int,
        start: int | None = None,
        end: int | None = None,
        limit: int = 500,
    ) -> list[Candle]:
        buckets: dict[int, Candle] = {}
        for minute in sorted(self._minutes):
            candle = self._minutes[minute]
            bucket = minute - minute % interval_ms
            if start is not None and bucket + interval_ms <= start:
                continue
            if end is not None and bucket > end:
                continue
            current = buckets.get(bucket)
            if current is None:
                buckets[bucket] = candle.starting_at(bucket)
            else:
                current.merge(candle)
        ordered = [buckets[key] for key in sorted(buckets)]
        return ordered[:limit] if start is not None else ordered[-limit:]

    def window(self, now: int, span_ms: int = 1440 * MINUTE) -> Candle | None:
        """One candle summarising the last ``span_ms`` (the 24 h ticker)."""
        since = now - span_ms
        result: Candle | None = None
        for minute in sorted(self._minutes):
            if minute < since - MINUTE:
                continue
            candle = self._minutes[minute]
            if result is None:
                result = candle.starting_at(minute)
            else:
                result.merge(candle)
        return result
