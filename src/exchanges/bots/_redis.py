"""Bot state and messages in Redis (``EXCHANGES_REDIS_URL`` set): :class:`RedisBackend`,
and :class:`RedisSpec`, what a bot process connects with.

Keys, for the runner named ``R`` (the braces keep a runner's keys in one cluster slot)::

    exchanges:bots:{R}:models          hash   model name -> symbol
    exchanges:bots:{R}:state:<name>    hash   state key -> JSON text
    exchanges:bots:{R}:inbox:<name>    stream one entry per message: n, from, body (JSON)
    exchanges:bots:{R}:seq             hash   model name -> number of the last message queued
    exchanges:bots:{R}:cursor          hash   model name -> "<entry id> <n>" last taken

A message is queued with ``XADD ... MAXLEN ~ maxlen`` by a Lua script that numbers it
(``HINCRBY seq``) in the same step, to every recipient at once. A bot reads its inbox with
``XREAD BLOCK`` from the cursor, and moves the cursor (in Redis) when it takes a message:
what was queued while its process was down is read by the next one; a gap in the numbers
(the stream trimmed past a bot that was down too long) is counted and logged
(``bots.messages_lost``), never silent. The client is the process's sharing connection
(:func:`exchanges.sharing.connect`: bounded timeouts, one per URL and loop).
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from core import get_logger
from exchanges.bots._backend import Message, model_name
from exchanges.bots._values import EVERYONE, BotError, dumps
from exchanges.sharing import Connection, connect

log = get_logger(__name__)
MAXLEN = 10_000  # messages kept per inbox (approximately: XADD MAXLEN ~)
BLOCK_MS = 1_000  # one XREAD BLOCK; under the connection's 2 s command timeout
PREFIX = "exchanges:bots"

_PUBLISH = """
for i = 2, #KEYS do
  local n = redis.call('HINCRBY', KEYS[1], ARGV[i + 2], 1)
  redis.call('XADD', KEYS[i], 'MAXLEN', '~', ARGV[1], '*',
             'n', n, 'from', ARGV[2], 'body', ARGV[3])
end
return #KEYS - 1
"""


class BackendUnavailable(BotError, ConnectionError):
    """The backend's server did not answer (names it as ``host:port/db``, never a secret)."""


def runner_key(runner: str, *parts: str) -> str:
    """A key of the runner named ``runner`` (``exchanges:bots:{runner}:...``)."""
    return ":".join([f"{PREFIX}:{{{runner}}}", *parts])


@dataclass(frozen=True, slots=True)
class RedisSpec:
    """The Redis backend as a bot process reaches it: the URL and the runner's name."""

    url: str
    runner: str
    maxlen: int = MAXLEN

    def __repr__(self) -> str:  # the URL may hold a password
        return f"RedisSpec(runner={self.runner!r}, maxlen={self.maxlen})"

    async def connect(self, name: str) -> RedisBackend:
        return await RedisBackend.open(self.url, self.runner, maxlen=self.maxlen)


class RedisBackend:
    """A :class:`~exchanges.bots.StateBackend` in Redis, for the models of one runner."""

    def __init__(self, connection: Connection, runner: str, *, maxlen: int = MAXLEN) -> None:
        self._conn = connection
        self._redis = connection.client
        self.runner = runner
        self.maxlen = maxlen
        self._publish = self._redis.register_script(_PUBLISH)
        self._symbols: dict[str, str] = {}  # name -> symbol, as last read
        self._cursors: dict[str, tuple[str, int]] = {}  # name -> (entry id, n) taken
        self._unclaimed: defaultdict[str, deque[Message]] = defaultdict(deque)
        self.lost: defaultdict[str, int] = defaultdict(int)  # messages trimmed unread

    @classmethod
    async def open(cls, url: str, runner: str, *, maxlen: int = MAXLEN) -> RedisBackend:
        return cls(await connect(url), runner, maxlen=maxlen)

    def __repr__(self) -> str:
        return f"<RedisBackend {self._conn.where} runner={self.runner!r}>"

    def _key(self, *parts: str) -> str:
        return runner_key(self.runner, *parts)

    @asynccontextmanager
    async def _talking(self) -> AsyncIterator[None]:
        try:
            yield
        except self._conn.errors as exc:
            raise BackendUnavailable(
                f"bots backend: Redis at {self._conn.where} failed ({type(exc).__name__})"
            ) from None

    async def _models(self) -> dict[str, str]:
        async with self._talking():
            raw = await self._redis.hgetall(self._key("models"))
        self._symbols = {k.decode(): v.decode() for k, v in raw.items()}
        return self._symbols

    async def _name(self, which: str) -> str:
        symbols = self._symbols if which in self._symbols else await self._models()
        return model_name(which, symbols)

    async def register(self, name: str, symbol: str) -> None:
        async with self._talking():
            await self._redis.hset(self._key("models"), name, symbol)
        self._symbols[name] = symbol

    async def get_state(self, name: str) -> dict[str, Any]:
        key = self._key("state", await self._name(name))
        async with self._talking():
            raw = await self._redis.hgetall(key)
        return {k.decode(): json.loads(v) for k, v in raw.items()}

    async def update_state(self, name: str, key: str, value: Any) -> None:
        text = dumps(value, what=f"state key {key!r}")
        state = self._key("state", await self._name(name))
        async with self._talking():
            await self._redis.hset(state, key, text)

    async def remove_key(self, name: str, key: str) -> None:
        state = self._key("state", await self._name(name))
        async with self._talking():
            await self._redis.hdel(state, key)

    async def publish(self, sender: str, to: str, body: Any) -> list[str]:
        text = dumps(body, what=f"message to {to!r}")
        if to == EVERYONE:
            names = sorted(n for n in await self._models() if n != sender)
        else:
            names = [await self._name(to)]
        if names:
            keys = [self._key("seq"), *(self._key("inbox", n) for n in names)]
            async with self._talking():
                await self._publish(keys=keys, args=[self.maxlen, sender, text, *names])
        return names

    async def _cursor(self, name: str) -> tuple[str, int]:
        if name not in self._cursors:
            async with self._talking():
                raw = await self._redis.hget(self._key("cursor"), name)
            entry, _, n = (raw.decode() if raw else "0-0 0").partition(" ")
            self._cursors[name] = (entry, int(n))
        return self._cursors[name]

    async def receive(self, name: str) -> Message:
        name = await self._name(name)
        if self._unclaimed[name]:
            return self._unclaimed[name].popleft()
        entry, last = await self._cursor(name)
        inbox = self._key("inbox", name)
        reply: list[Any] = []
        while not reply:  # cancelled here, nothing is taken: the cursor has not moved
            async with self._talking():
                reply = await self._redis.xread({inbox: entry}, count=1, block=BLOCK_MS)
        entry_id, fields = reply[0][1][0]
        entry, n = entry_id.decode(), int(fields[b"n"])
        message = Message(fields[b"from"].decode(), json.loads(fields[b"body"]))
        if n > last + 1:
            self.lost[name] += n - last - 1
            log.warning("bots.messages_lost", model=name, lost=n - last - 1, maxlen=self.maxlen)
        self._cursors[name] = (entry, n)
        moving = asyncio.ensure_future(self._move(name, entry, n))
        try:
            await asyncio.shield(moving)  # taken: the cursor moves even if we are cancelled
        except asyncio.CancelledError:
            self._unclaimed[name].append(message)  # for this process's next receive
            raise
        return message

    async def _move(self, name: str, entry: str, n: int) -> None:
        async with self._talking():
            await self._redis.hset(self._key("cursor"), name, f"{entry} {n}")

    async def close(self) -> None:
        await self._conn.release()
