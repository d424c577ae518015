"""Who is alive and what runs where, in Redis: heartbeats (a key with a TTL, renewed), the
status hash of each runner's models, and reading them all (``exchanges bots status``).

Keys (besides the runner's state and inboxes, :mod:`exchanges.bots._redis`)::

    exchanges:bots:runners              set     runner names
    exchanges:bots:{R}:alive            string  runner R's heartbeat (JSON host/pid), PX ttl
    exchanges:bots:{R}:status           hash    model name -> JSON status line
    exchanges:bots:{R}:events           stream  status lines from workers, for runner R
    exchanges:bots:workers              set     worker names
    exchanges:bots:worker:W:alive       string  worker W's heartbeat, PX ttl
    exchanges:bots:worker:W:orders      stream  what runners tell worker W (start, stop)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from core import get_logger
from exchanges.bots._redis import PREFIX, runner_key
from exchanges.bots._values import BotError
from exchanges.sharing import Connection

log = get_logger(__name__)
RUNNERS, WORKERS = f"{PREFIX}:runners", f"{PREFIX}:workers"
STATUS_KEPT_MS = 3_600_000  # a stopped runner's status lines stay readable for an hour
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def status_line(
    runner: str,
    spec: Any,
    *,
    host: str,
    pid: int | None,
    state: str,
    restarts: int = 0,
    last_error: str | None = None,
    worker: str | None = None,
) -> dict[str, Any]:
    """One model's status line (``spec``: a :class:`ModelSpec` or the JSON of one)."""
    get = spec.get if isinstance(spec, dict) else lambda k: getattr(spec, k)
    return {
        "name": get("name"), "runner": runner, "symbol": get("symbol"), "venue": get("venue"),
        "account": get("account"), "host": host, "pid": pid, "state": state,
        "restarts": restarts, "last_error": last_error, "worker": worker,
    }  # fmt: skip


def worker_key(worker: str, *parts: str) -> str:
    return ":".join([f"{PREFIX}:worker:{worker}", *parts])


class Heartbeat:
    """``key`` held with a TTL while we run: taken with ``SET NX PX`` (refused when someone
    else holds it), renewed every ``ttl / 3`` and released only if still ours (a token in
    the value, compared by a script). ``tick`` runs after each renewal."""

    def __init__(
        self,
        conn: Connection,
        key: str,
        what: str,
        ttl: float,
        tick: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._conn, self.key, self.what, self.ttl = conn, key, what, ttl
        info = {"host": socket.gethostname(), "pid": os.getpid(), "token": secrets.token_hex(8)}
        self._value = json.dumps(info)
        self._tick = tick
        self._renew = conn.client.register_script(_RENEW)
        self._release = conn.client.register_script(_RELEASE)
        self._task: asyncio.Task[None] | None = None

    async def take(self) -> None:
        ms = int(self.ttl * 1000)
        if not await self._conn.client.set(self.key, self._value, nx=True, px=ms):
            held = await self._conn.client.get(self.key)
            who = json.loads(held) if held else {}
            raise BotError(
                f"{self.what} is already running (host {who.get('host')}, pid {who.get('pid')})"
            )
        self._task = asyncio.create_task(self._beat(), name=f"heartbeat {self.key}")

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                kept = await self._renew(keys=[self.key], args=[self._value, int(self.ttl * 1000)])
                if not kept:  # expired (a stall longer than the TTL): take it again
                    log.error("bots.heartbeat_lost", key=self.key)
                    await self._conn.client.set(
                        self.key, self._value, nx=True, px=int(self.ttl * 1000)
                    )
                if self._tick is not None:
                    await self._tick()
            except self._conn.errors as exc:
                log.warning("bots.heartbeat_failed", key=self.key, error=type(exc).__name__)

    async def release(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(*self._conn.errors):
            await self._release(keys=[self.key], args=[self._value])


class StatusBoard:
    """Writes the status lines of runner ``runner``'s models (coalesced, by one task); with
    ``events``, also to the runner's events stream (a worker telling the runner)."""

    def __init__(self, conn: Connection, runner: str, *, events: bool = False) -> None:
        self._conn, self.runner, self._events = conn, runner, events
        self._dirty: dict[str, dict[str, Any]] = {}
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._write(), name=f"status of {runner}")

    def mark(self, line: dict[str, Any]) -> None:
        self._dirty[line["name"]] = line
        self._wake.set()

    async def _write(self) -> None:
        while True:
            await self._wake.wait()
            await self.flush()

    async def flush(self) -> None:
        self._wake.clear()
        lines, self._dirty = self._dirty, {}
        if not lines:
            return
        pipe = self._conn.client.pipeline(transaction=False)
        texts = {name: json.dumps(line) for name, line in lines.items()}
        pipe.hset(runner_key(self.runner, "status"), mapping=texts)
        if self._events:
            for text in texts.values():
                pipe.xadd(runner_key(self.runner, "events"), {"line": text}, maxlen=10_000)
        try:
            await pipe.execute()
        except self._conn.errors as exc:
            log.warning("bots.status_not_written", runner=self.runner, error=type(exc).__name__)

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self.flush()


async def read_all(conn: Connection) -> list[dict[str, Any]]:
    """Every status line of every runner known, with ``runner_alive`` and, for a model on
    a worker, ``worker_alive``; runners whose lines have expired are forgotten."""
    client, lines = conn.client, []
    for raw in sorted(await client.smembers(RUNNERS)):
        runner = raw.decode()
        status = await client.hgetall(runner_key(runner, "status"))
        alive = bool(await client.exists(runner_key(runner, "alive")))
        if not status and not alive:
            await client.srem(RUNNERS, runner)
            continue
        for text in status.values():
            line = json.loads(text)
            line["runner_alive"] = alive
            if line.get("worker"):
                line["worker_alive"] = bool(
                    await client.exists(worker_key(line["worker"], "alive"))
                )
            lines.append(line)
    return sorted(lines, key=lambda line: (line["runner"], line["name"]))
