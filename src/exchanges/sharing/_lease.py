"""Who holds a shared stream: a lease in Redis with a fencing number.

``<name>:lease`` holds ``"<fence> <holder> <token>"`` with a TTL; ``<name>:fence`` is a
counter raised (``INCR``) each time the lease is taken, so every holder has a larger
number than the one before it. Taking is ``SET NX PX`` (and the ``INCR``) in one script;
renewing (``PEXPIRE``) and releasing (``DEL``) compare the whole value first, so a holder
whose lease expired can neither extend nor delete its successor's. A holder that fails to
renew stops publishing at once; readers ignore entries with a fence older than the newest
they have seen (a holder paused past its TTL).
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any

from exchanges.sharing._connection import Connection

# KEYS[1] lease, KEYS[2] fence; ARGV holder, token, ttl ms
_TAKE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], fence .. ' ' .. ARGV[1] .. ' ' .. ARGV[2], 'NX', 'PX', ARGV[3])
return fence
"""
# KEYS[1] lease; ARGV value, ttl ms
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def this_holder() -> str:
    """``pid@host``: how a holder is named in health."""
    return f"{os.getpid()}@{socket.gethostname()}"


@dataclass(frozen=True, slots=True)
class Holder:
    fence: int
    name: str  # pid@host


class Lease:
    """One participant's view of the lease ``name`` (each participant has its own token)."""

    def __init__(self, connection: Connection, name: str, ttl: float) -> None:
        self.connection = connection
        self.key = f"{name}:lease"
        self.fence_key = f"{name}:fence"
        self.ttl_ms = max(1, int(ttl * 1000))
        self.holder = this_holder()
        self.token = uuid.uuid4().hex
        self.fence = 0  # ours while we hold it
        self._value: str | None = None
        client: Any = connection.client
        self._take = client.register_script(_TAKE)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    @property
    def held(self) -> bool:
        return self._value is not None

    async def take(self) -> bool:
        """Take the lease if nobody holds it (a new, larger fence)."""
        fence = int(
            await self._take(
                keys=[self.key, self.fence_key], args=[self.holder, self.token, self.ttl_ms]
            )
        )
        if fence:
            self.fence = fence
            self._value = f"{fence} {self.holder} {self.token}"
        return bool(fence)

    async def renew(self) -> bool:
        """Extend it if still ours; ``False`` (and no longer held) if it is not."""
        if self._value is None:
            return False
        if int(await self._renew(keys=[self.key], args=[self._value, self.ttl_ms])):
            return True
        self._value = None
        return False

    async def release(self) -> None:
        value, self._value = self._value, None
        if value is not None:
            await self._release(keys=[self.key], args=[value])

    def drop(self) -> None:
        """Forget it without telling Redis (it could not be reached)."""
        self._value = None

    async def current(self) -> Holder | None:
        """Who holds it now (None: nobody)."""
        raw = await self.connection.client.get(self.key)
        if raw is None:
            return None
        fence, name, _token = raw.decode().split(" ", 2)
        return Holder(int(fence), name)
