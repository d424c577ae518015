"""The venue's request budget per IP, shared by every adapter of the process.

A venue counts request weight per IP (binance: 6000 a minute on spot, in windows that start
on its clock's minutes) and bans an IP that keeps going after 429s. Several accounts on one
machine spend the same budget, so its state lives here, once per *route to a venue host*,
not in each adapter:

* the used weight the venue last reported (binance ``X-MBX-USED-WEIGHT-1M``) and when the
  current window ends;
* a pause after a 429 (until its ``Retry-After`` has passed);
* the ban breaker (until a 418's ``Retry-After`` has passed).

A route is (venue id, REST host, egress). Two adapters of one venue pointing at the same
host share a budget; another host or port (a second simulator, binance's ``fapi`` host for
USD-M futures) has its own. The egress is the proxy settings; an HTTP session handed to ccxt
by the caller (``config={"session": ...}``) may carry its own connector or proxy, so it is a
route of its own, forgotten with the session.

What each venue reports, and its documented limits, is :data:`VENUE_LIMITS`. ccxt does not
keep ``exchangeInfo``'s ``rateLimits`` (its markets' ``info`` is per symbol), so the limits
are the documented ones unless ``EXCHANGES_RATE_LIMIT_WEIGHT`` says otherwise.
"""

from __future__ import annotations

import hashlib
import time
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any
from urllib.parse import urlsplit

from core import get_logger

log = get_logger(__name__)


class Priority(IntEnum):
    """Who goes first when the budget runs short: orders (never held back), then reads,
    then repairs (a supervised stream's backfill and resync reads), which yield first."""

    ORDER = 0
    READ = 1
    REPAIR = 2


_PRIORITY: ContextVar[Priority] = ContextVar("exchanges_read_priority", default=Priority.READ)
_DEADLINE: ContextVar[float | None] = ContextVar("exchanges_repair_deadline", default=None)


@contextmanager
def repairing(deadline: float | None = None) -> Iterator[None]:
    """Reads made inside (in this task, and tasks it starts) are repairs
    (:attr:`Priority.REPAIR`): a supervised stream's backfill, probes and resync reads go
    through the adapter's ordinary ``fetch_*`` methods under this. ``deadline``
    (``time.monotonic()``): when the repair is given up; a wait for the budget that would
    end later is not waited (the read fails at once with :class:`core.RateLimited`)."""
    priority = _PRIORITY.set(Priority.REPAIR)
    until = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(until)
        _PRIORITY.reset(priority)


def current_priority() -> Priority:
    """The priority of a read that names none: :attr:`Priority.REPAIR` inside
    :func:`repairing`, else :attr:`Priority.READ`."""
    return _PRIORITY.get()


def repair_deadline() -> float | None:
    """The deadline of the repair under way (``time.monotonic()``), if it has one."""
    return _DEADLINE.get()


@dataclass(frozen=True, slots=True)
class VenueLimits:
    """Where a venue reports its budget, and the budget's documented size."""

    #: lower-case name of the header carrying the weight used in the current window
    used_weight_header: str | None = None
    #: lower-case prefix of the per-account order-count headers (the rest names the interval)
    order_count_prefix: str | None = None
    #: seconds in one weight window
    window: float = 60.0
    #: whether windows start on multiples of ``window`` of the venue's clock
    aligned: bool = False
    #: weight allowed per window, by ccxt ``defaultType``
    limits: Mapping[str, int] = field(default_factory=dict)
    #: the ccxt ``urls["api"]`` entry that serves each ``defaultType`` (its host keys the budget)
    apis: Mapping[str, str] = field(default_factory=dict)
    #: venue weight per unit of ccxt's per-endpoint ``cost``, by ``defaultType`` (binance
    #: spot: cost 0.2 per weight 1, see ccxt's ``describe()['api']``); a type not listed
    #: counts its budget in ccxt's units (``window / rateLimit`` per window)
    cost_weight: Mapping[str, float] = field(default_factory=dict)


_BINANCE = VenueLimits(
    used_weight_header="x-mbx-used-weight-1m",
    order_count_prefix="x-mbx-order-count-",
    window=60.0,
    aligned=True,
    # REQUEST_WEIGHT per minute: spot (and margin's /api/v3 market data), USD-M, COIN-M
    limits={"spot": 6000, "margin": 6000, "future": 2400, "delivery": 2400},
    apis={
        "spot": "public",
        "margin": "public",
        "future": "fapiPublic",
        "delivery": "dapiPublic",
        "option": "eapiPublic",
    },
    cost_weight={"spot": 5.0, "margin": 5.0, "future": 1.0, "delivery": 1.0},
)

#: by ccxt id; a venue not listed reports nothing we read (its budget still holds the ban
#: breaker and the 429 pause)
VENUE_LIMITS: dict[str, VenueLimits] = {
    "binance": _BINANCE,
    "binanceusdm": _BINANCE,
    "binancecoinm": _BINANCE,
}
_NO_LIMITS = VenueLimits()

_PROXY_ATTRIBUTES = (
    "proxyUrl",
    "proxy_url",
    "httpProxy",
    "http_proxy",
    "httpsProxy",
    "https_proxy",
    "socksProxy",
    "socks_proxy",
    "aiohttp_proxy",
)
_PROXY_CALLBACKS = ("proxyUrlCallback", "httpProxyCallback", "httpsProxyCallback")


def venue_limits(venue: str) -> VenueLimits:
    return VENUE_LIMITS.get(venue, _NO_LIMITS)


class IpBudget:
    """The request budget of one route to a venue host (see the module's docstring).

    Times are ``time.monotonic()`` seconds, except ``banned_until`` (epoch seconds, as
    :attr:`core.Banned.until`).
    """

    def __init__(
        self, venue: str, host: str, *, window: float, aligned: bool, route: str = "direct"
    ) -> None:
        self.venue = venue
        self.host = host
        #: names this budget in a shared backend (venue, host, egress; no secret)
        self.key = f"{venue}|{host}|{route}"
        #: whether other processes may share it (not a caller's session or proxy callback)
        self.shareable = True
        self.window = window
        self.aligned = aligned
        #: weight used in the current window, as the venue last reported it
        self.used: int | None = None
        #: when the current window ends (monotonic); None before the first report
        self.window_end: float | None = None
        #: reads wait until then (a 429's Retry-After)
        self.paused_until = 0.0
        #: the ban breaker (epoch seconds)
        self.banned_until: float | None = None
        #: the last offset to the venue's clock (local minus venue, ms) any adapter on
        #: this route measured; None before the first measurement
        self.clock_offset_ms: int | None = None
        #: slowdowns announced (each logged once as ``ratelimit.slowdown``)
        self.slowdowns = 0
        self._announced: tuple[str, float] | None = None

    def __repr__(self) -> str:
        return (
            f"<IpBudget {self.venue} {self.host} used={self.used} "
            f"window_end={self.window_end} banned_until={self.banned_until}>"
        )

    # ---------------------------------------------------------------- used weight
    def _next_end(self, now: float) -> float:
        if not self.aligned:
            # the window started at or before this report: ending a window after it is
            # the conservative guess (never earlier than the venue's reset)
            return now + self.window
        venue_now = time.time() - (self.clock_offset_ms or 0) / 1000
        return now + (self.window - venue_now % self.window)

    def record_used(self, used: int, now: float | None = None) -> None:
        """The venue reported ``used`` weight in its current window."""
        now = time.monotonic() if now is None else now
        if self.window_end is None or now >= self.window_end:
            self.window_end = self._next_end(now)
        elif self.used is not None and used < self.used:
            # the venue's counter went down: its window reset before our estimate; the
            # new one ends a window after this report at the latest
            self.window_end = now + self.window
        self.used = used

    def weight_wait(self, limit: int | None, threshold: float, now: float | None = None) -> float:
        """Seconds until the window resets when the used weight is at or past
        ``threshold * limit``; 0 otherwise."""
        now = time.monotonic() if now is None else now
        if limit is None or self.used is None or self.window_end is None:
            return 0.0
        if now >= self.window_end or self.used < threshold * limit:
            return 0.0
        return self.window_end - now

    # ---------------------------------------------------------------- 429 and 418
    def pause(self, seconds: float, now: float | None = None) -> bool:
        """Hold reads back for ``seconds`` (a 429's Retry-After). True when this starts a
        slowdown (no pause was running)."""
        now = time.monotonic() if now is None else now
        started = self.paused_until <= now
        self.paused_until = max(self.paused_until, now + seconds)
        return started

    def pause_wait(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        return max(0.0, self.paused_until - now)

    def ban(self, until: float) -> None:
        self.banned_until = max(self.banned_until or 0.0, until)

    def ban_remaining(self) -> float | None:
        """Seconds left of a running ban; None when there is none."""
        until = self.banned_until
        if until is None:
            return None
        remaining = until - time.time()
        if remaining <= 0:
            self.banned_until = None
            return None
        return remaining

    # ---------------------------------------------------------------- logging
    def announce(self, reason: str, end: float, **fields: Any) -> None:
        """Log a slowdown once (one line per slowdown, however many adapters see it)."""
        mark = (reason, round(end, 3))
        if self._announced == mark:
            return
        self._announced = mark
        self.slowdowns += 1
        log.warning(
            "ratelimit.slowdown",
            venue=self.venue,
            host=self.host,
            reason=reason,
            seconds=round(max(0.0, end - time.monotonic()), 3),
            **fields,
        )


# ------------------------------------------------------------------------ the registry
_Key = tuple[str, str, str]
_SHARED: dict[_Key, IpBudget] = {}
_BY_OWNER: weakref.WeakKeyDictionary[Any, dict[_Key, IpBudget]] = weakref.WeakKeyDictionary()


def rest_host(client: Any, limits: VenueLimits) -> str:
    """``host[:port]`` of the REST API the client's market type uses."""
    api = (getattr(client, "urls", None) or {}).get("api")
    url: str | None = None
    if isinstance(api, str):
        url = api
    elif isinstance(api, Mapping):
        default_type = (getattr(client, "options", None) or {}).get("defaultType")
        for name in (limits.apis.get(str(default_type)), "public", "rest", "spot"):
            if name is not None and isinstance(api.get(name), str):
                url = api[name]
                break
        else:
            url = next((u for u in api.values() if isinstance(u, str)), None)
    if not url:
        return ""
    implode = getattr(client, "implode_hostname", None)
    if callable(implode):
        url = implode(url)
    return urlsplit(str(url)).netloc.lower()


def _egress(client: Any) -> tuple[str, Any]:
    """(route label, owner): the owner is an object the budget lives as long as (a
    caller's session, a client whose proxy is chosen per request), or None."""
    if not getattr(client, "own_session", True) and getattr(client, "session", None) is not None:
        return "session", client.session
    if any(getattr(client, name, None) is not None for name in _PROXY_CALLBACKS):
        return "proxy-callback", client
    proxies = [
        f"{name}={value}"
        for name in _PROXY_ATTRIBUTES
        if isinstance(value := getattr(client, name, None), str) and value
    ]
    if not proxies:
        return "direct", None
    # hashed: a proxy URL may carry a password, and keys end up in reprs
    digest = hashlib.sha256("\n".join(proxies).encode()).hexdigest()[:16]
    return f"proxy:{digest}", None


def budget_for(venue: str, client: Any, *, window: float | None = None) -> IpBudget:
    """The budget shared by every adapter of ``venue`` on ``client``'s route (created on
    first use with ``window`` seconds, or the venue's own window, aligned to its clock)."""
    limits = venue_limits(venue)
    host = rest_host(client, limits)
    route, owner = _egress(client)
    key = (venue, host, route)
    table = _SHARED if owner is None else _BY_OWNER.setdefault(owner, {})
    budget = table.get(key)
    if budget is None:
        budget = table[key] = IpBudget(
            venue,
            host,
            window=window or limits.window,
            aligned=limits.aligned and not window,
            route=route if owner is None else f"{route}:{id(owner):x}",
        )
        budget.shareable = owner is None
    return budget


def reset_budgets() -> None:
    """Forget every shared budget (bans, pauses, used weight, reservations): for tests."""
    from exchanges.sharing import LOCAL_BUDGET

    _SHARED.clear()
    _BY_OWNER.clear()
    LOCAL_BUDGET.clear()
