"""``RedisBudget``: the reservations of :mod:`exchanges.sharing._budget`, shared by every
process using the same Redis, as Lua scripts (``register_script``: ``EVALSHA``, reloaded
after a server restart) that run atomically on the server's clock (``TIME``).

Keys, under ``<prefix>:budget:<route>``: ``:w:<window index>`` (booked weight, expiring a
few windows later), ``:pause`` and ``:ban`` (epoch ms, expiring when they end).

When Redis fails mid-run (a connection refused, a timeout), the budget *degrades*: it logs
``sharing.degraded`` once and books in the process (:data:`~exchanges.sharing._budget.LOCAL`)
until a retry (at most one a second) reaches Redis again (``sharing.recovered``). A request
is reserved exactly once either way: a failed reservation is never a failed request, so
nothing is sent twice.
"""

from __future__ import annotations

import time
import weakref
from typing import Any

from core import get_logger
from exchanges.sharing._budget import AHEAD, LOCAL, Ask, Grant, InProcessBudget, Outcome
from exchanges.sharing._connection import Connection

log = get_logger(__name__)

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS[1] budget prefix; ARGV weight, cap, window ms, max wait ms, honour pause (1/0), ahead
_RESERVE = (
    _NOW
    + """
local p = KEYS[1]
local weight = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local win = tonumber(ARGV[3])
local max_wait = tonumber(ARGV[4])
local ahead = tonumber(ARGV[6])
local ban = tonumber(redis.call('GET', p .. ':ban') or '0')
local pause = tonumber(redis.call('GET', p .. ':pause') or '0')
if ban > now then return {2, ban - now, ban, pause, 0} end
local start = now
if ARGV[5] == '1' and pause > start then start = pause end
local first = math.floor(start / win)
for index = first, first + ahead do
  local begin = index * win
  local due = math.max(start, begin) - now
  if due > max_wait then return {1, due, ban, pause, begin} end
  local key = p .. ':w:' .. index
  local used = tonumber(redis.call('GET', key) or '0')
  if used + weight <= cap or used == 0 then
    redis.call('INCRBYFLOAT', key, weight)
    redis.call('PEXPIRE', key, begin + win * 2 - now)
    return {0, due, ban, pause, begin}
  end
end
local begin = (first + ahead + 1) * win
return {1, begin - now, ban, pause, begin}
"""
)

# KEYS[1] budget prefix; ARGV used weight, window ms
_USED = (
    _NOW
    + """
local win = tonumber(ARGV[2])
local index = math.floor(now / win)
local key = KEYS[1] .. ':w:' .. index
local used = tonumber(redis.call('GET', key) or '0')
if tonumber(ARGV[1]) > used then
  redis.call('SET', key, ARGV[1], 'PX', (index + 2) * win - now)
end
return 0
"""
)

# KEYS[1] the pause or ban key; ARGV[1] end (epoch ms) or, with ARGV[2] == 'rel', ms from now
_UNTIL = (
    _NOW
    + """
local until_ms = tonumber(ARGV[1])
if ARGV[2] == 'rel' then until_ms = now + until_ms end
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ms > current and until_ms > now then
  redis.call('SET', KEYS[1], until_ms, 'PX', until_ms - now)
end
return 0
"""
)

RETRY_INTERVAL = 1.0  # seconds between attempts to reach Redis again while degraded


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


class RedisBudget:
    """The budget of every process on ``connection``'s Redis (see the module docstring)."""

    def __init__(self, connection: Connection, fallback: InProcessBudget = LOCAL) -> None:
        self._connection = connection
        self._fallback = fallback
        client = connection.client
        self._reserve = client.register_script(_RESERVE)
        self._used = client.register_script(_USED)
        self._until = client.register_script(_UNTIL)
        self._retry_at = 0.0

    @property
    def name(self) -> str:
        return "redis"

    @property
    def degraded(self) -> bool:
        return self._connection.degraded

    def _prefix(self, key: str) -> str:
        return f"{self._connection.prefix}:budget:{key}"

    async def _run(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        """The script's answer, or None when Redis is unreachable (then degraded)."""
        if self._connection.degraded and time.monotonic() < self._retry_at:
            return None
        try:
            answer = await script(keys=keys, args=args)
        except self._connection.errors as exc:
            self._retry_at = time.monotonic() + RETRY_INTERVAL
            self._connection.mark_degraded(exc)
            return None
        self._connection.mark_recovered()
        return answer

    async def reserve(self, ask: Ask) -> Grant:
        answer = await self._run(
            self._reserve,
            [self._prefix(ask.key)],
            [
                repr(float(ask.weight)),
                repr(float(ask.cap)),
                _ms(ask.window),
                _ms(ask.max_wait),
                "1" if ask.honour_pause else "0",
                AHEAD,
            ],
        )
        if answer is None:
            return await self._fallback.reserve(ask)
        outcome, due, ban, pause, begin = (int(v) for v in answer)
        return Grant(Outcome(outcome), due / 1000, ban / 1000, pause / 1000, begin / 1000)

    async def record_used(self, key: str, used: float, window: float) -> None:
        self._fallback.record_used_now(key, used, window)  # kept current for a failover
        await self._run(self._used, [self._prefix(key)], [repr(float(used)), _ms(window)])

    async def pause(self, key: str, seconds: float) -> None:
        await self._fallback.pause(key, seconds)
        await self._run(self._until, [f"{self._prefix(key)}:pause"], [_ms(seconds), "rel"])

    async def ban(self, key: str, until: float) -> None:
        await self._fallback.ban(key, until)
        await self._run(self._until, [f"{self._prefix(key)}:ban"], [_ms(until), "abs"])


_BUDGETS: weakref.WeakKeyDictionary[Connection, RedisBudget] = weakref.WeakKeyDictionary()


def budget_on(connection: Connection) -> RedisBudget:
    """The request budget shared through ``connection``'s server (one per connection)."""
    budget = _BUDGETS.get(connection)
    if budget is None:
        budget = _BUDGETS[connection] = RedisBudget(connection)
    return budget
