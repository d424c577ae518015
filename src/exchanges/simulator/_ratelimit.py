"""Binance's request-weight budget: ``X-MBX-USED-WEIGHT-1M``, 429 when over it, 418 (a
ban) for a client that keeps going after 429s."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Mapping

from exchanges.simulator._errors import ApiError

_DEPTH_WEIGHTS = ((100, 5), (500, 25), (1000, 50))


def request_weight(path: str, method: str, params: Mapping[str, str]) -> int:
    """Binance spot's documented weights for the endpoints the simulator serves."""
    endpoint = path.removeprefix("/api/v3/")
    has_symbol = bool(params.get("symbol") or params.get("symbols"))
    if endpoint == "depth":
        limit = int(params.get("limit") or 100) if (params.get("limit") or "").isdigit() else 100
        return next((w for top, w in _DEPTH_WEIGHTS if limit <= top), 250)
    if endpoint in ("exchangeInfo", "account", "allOrders", "myTrades"):
        return 20
    if endpoint in ("trades", "historicalTrades"):
        return 25
    if endpoint == "aggTrades":
        return 4
    if endpoint in ("ticker/24hr", "ticker"):
        return 2 if has_symbol else 80
    if endpoint in ("ticker/price", "ticker/bookTicker"):
        return 2 if has_symbol else 4
    if endpoint == "openOrders":
        return 6 if has_symbol or method == "DELETE" else 80
    if endpoint == "order" and method == "GET":
        return 4
    if endpoint in ("klines", "uiKlines", "avgPrice"):
        return 2
    return 1


class WeightLimiter:
    """A fixed window of ``window`` seconds holding ``limit`` weight (6000 per minute on
    Binance). After ``ban_after`` rejected requests in one window the caller is banned
    for ``ban_seconds`` (418). ``requests`` counts the requests by path (tests: how many
    ``exchangeInfo``), ``refused`` the 429 and 418 answers by status."""

    def __init__(
        self,
        limit: int = 6000,
        window: float = 60.0,
        ban_after: int = 3,
        ban_seconds: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.ban_after = ban_after
        self.ban_seconds = ban_seconds
        self.used = 0
        self._clock = clock
        self._window_start = clock()
        self._rejected = 0
        self._banned_until = 0.0
        self.requests: Counter[str] = Counter()
        self.refused: Counter[int] = Counter()

    def _roll(self, now: float) -> None:
        if now - self._window_start >= self.window:
            elapsed = (now - self._window_start) // self.window
            self._window_start += elapsed * self.window
            self.used = 0
            self._rejected = 0

    def charge(self, weight: int, path: str = "") -> None:
        """Count a request; raises the 429 or 418 answer when over budget."""
        now = self._clock()
        self._roll(now)
        self.requests[path] += 1
        if now < self._banned_until:
            self.refused[418] += 1
            raise self._ban_error(now)
        if self.used + weight > self.limit:
            self._rejected += 1
            if self._rejected > self.ban_after:
                self._banned_until = now + self.ban_seconds
                self.refused[418] += 1
                raise self._ban_error(now)
            self.refused[429] += 1
            retry = max(1, math.ceil(self._window_start + self.window - now))
            error = ApiError(
                -1003,
                f"Too much request weight used; current limit is {self.limit} request weight "
                "per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling "
                "the API.",
                status=429,
            )
            error.retry_after = retry
            raise error
        self.used += weight

    def _ban_error(self, now: float) -> ApiError:
        until_ms = int((time.time() + self._banned_until - now) * 1000)
        error = ApiError(
            -1003,
            f"Way too much request weight used; IP banned until {until_ms}. Please use "
            "WebSocket Streams for live updates to avoid bans.",
            status=418,
        )
        error.retry_after = max(1, math.ceil(self._banned_until - now))
        return error


class OrderCounter:
    """Binance's unfilled-order-count limit: ``limit`` new orders per ``window`` seconds
    (100 per 10 s on spot); over it, 429 with -1015. Reported in
    ``X-MBX-ORDER-COUNT-10S``."""

    def __init__(
        self, limit: int = 100, window: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.count = 0
        self._clock = clock
        self._window_start = clock()

    def charge(self) -> None:
        now = self._clock()
        if now - self._window_start >= self.window:
            self._window_start += (now - self._window_start) // self.window * self.window
            self.count = 0
        if self.count >= self.limit:
            error = ApiError(
                -1015,
                f"Too many new orders; current limit is {self.limit} orders per "
                f"{self.window:g} SECOND.",
                status=429,
            )
            error.retry_after = max(1, math.ceil(self._window_start + self.window - now))
            raise error
        self.count += 1
