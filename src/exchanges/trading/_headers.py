"""What a venue's REST answer headers say about the route's budget.

The used weight of the current window (binance ``X-MBX-USED-WEIGHT-1M``), the account's
order counts by interval (``X-MBX-ORDER-COUNT-10S``...) and a 429's or 418's
``Retry-After``, read where :class:`~exchanges.trading._ratelimit.VenueLimits` says the
venue reports them. The guard (:mod:`exchanges.trading._guard`) acts on them.
"""

from __future__ import annotations

from typing import Any

from exchanges.trading._ratelimit import VenueLimits


def retry_after(headers: Any) -> float | None:
    """Seconds of a ``Retry-After`` header (any case); None when absent or unreadable."""
    if not headers:
        return None
    for name, value in dict(headers).items():
        if str(name).lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def budget_headers(headers: Any, limits: VenueLimits) -> tuple[int | None, dict[str, int]]:
    """The used weight (None when not reported) and the order counts by interval
    (``{"10s": 3, "1d": 17}``) in ``headers``, as ``limits`` names them."""
    counts: dict[str, int] = {}
    if limits.used_weight_header is None and limits.order_count_prefix is None:
        return None, counts
    lowered = {str(name).lower(): value for name, value in dict(headers).items()}
    used = None
    if limits.used_weight_header is not None:
        used = _int(lowered.get(limits.used_weight_header))
    prefix = limits.order_count_prefix
    if prefix is not None:
        for name, value in lowered.items():
            count = _int(value) if name.startswith(prefix) else None
            if count is not None:
                counts[name[len(prefix) :]] = count
    return used, counts
