"""The runner's side of the models it runs on workers (``append_model(..., on="w1")``).

Protocol (keys in :mod:`exchanges.bots._presence`): a worker holds its heartbeat key; the
runner holds its own. To start a model the runner checks the worker's heartbeat and adds
``{"op": "start", "runner": R, "model": {...}}`` to the worker's orders stream (the model's
name, class path ``module:Class``, symbol, venue, account, endpoint, args, factory
options, restart rules, stop grace); ``{"op": "stop", "runner": R, "names": [...]}`` stops
some. The worker writes each change of a model (pid, host, state, restarts, last error)
to the runner's status hash and its events stream, which the runner reads with
``XREAD BLOCK``. A worker whose heartbeat expires has its models marked ``failed``
(``worker 'w1' lost: its heartbeat expired``), not moved elsewhere; a worker stops the
models of a runner whose heartbeat expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from core import get_logger
from exchanges.bots._local import Restarts
from exchanges.bots._model import ModelSpec, ModelState
from exchanges.bots._presence import worker_key
from exchanges.bots._redis import BLOCK_MS, runner_key
from exchanges.bots._values import BotError, dumps
from exchanges.sharing import Connection

log = get_logger(__name__)
ENDED = (ModelState.FAILED, ModelState.STOPPED)


def spec_message(spec: ModelSpec, restarts: Restarts, grace: float) -> dict[str, Any]:
    """What a worker needs to start ``spec`` (JSON: no secret, the class by path)."""
    dumps(spec.options, what=f"model {spec.name!r}: factory options")
    return {
        "name": spec.name,
        "model": f"{spec.model.__module__}:{spec.model.__qualname__}",
        "symbol": spec.symbol,
        "venue": spec.venue,
        "account": spec.account,
        "endpoint": spec.endpoint,
        "args": spec.args,
        "options": spec.options,
        "restarts": asdict(restarts),
        "grace": grace,
    }


@dataclass(slots=True)
class RemoteModel:
    spec: ModelSpec
    worker: str
    state: ModelState = ModelState.STOPPED
    pid: int | None = None
    host: str | None = None
    restarts: int = 0
    last_error: str | None = None
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)


class Remote:
    """The models of runner ``runner`` on workers."""

    def __init__(self, runner: str, restarts: Restarts) -> None:
        self.runner, self._restarts = runner, restarts
        self.models: dict[str, RemoteModel] = {}
        self._conn: Connection | None = None
        self._listener: asyncio.Task[None] | None = None

    async def open(self, conn: Connection) -> None:
        self._conn = conn
        await conn.client.delete(runner_key(self.runner, "events"))  # ours alone: the lease
        self._listener = asyncio.create_task(self._listen(), name=f"events of {self.runner}")

    async def _listen(self) -> None:
        assert self._conn is not None
        key, last = runner_key(self.runner, "events"), "0-0"
        while True:
            try:
                reply = await self._conn.client.xread({key: last}, block=BLOCK_MS)
            except self._conn.errors as exc:
                log.warning("bots.events_unread", runner=self.runner, error=type(exc).__name__)
                await asyncio.sleep(1.0)
                continue
            for entry_id, fields in reply[0][1] if reply else []:
                last = entry_id.decode()
                self._apply(json.loads(fields[b"line"]))

    def _apply(self, line: dict[str, Any]) -> None:
        m = self.models.get(line["name"])
        if m is None:
            return
        m.state = ModelState(line["state"])
        m.pid, m.host = line.get("pid"), line.get("host")
        m.restarts, m.last_error = line.get("restarts", 0), line.get("last_error")
        if m.state in (ModelState.RUNNING, *ENDED):
            m.settled.set()
        if m.state in ENDED:
            m.ended.set()

    async def start(self, m: RemoteModel, grace: float) -> None:
        assert self._conn is not None
        if m.state not in ENDED:
            return
        client = self._conn.client
        if not await client.exists(worker_key(m.worker, "alive")):
            raise BotError(f"start_models: worker {m.worker!r} is not running (no heartbeat)")
        m.settled.clear()
        m.ended.clear()
        m.state, m.pid, m.last_error = ModelState.STARTING, None, None
        order = {
            "op": "start",
            "runner": self.runner,
            "model": spec_message(m.spec, self._restarts, grace),
        }
        await client.xadd(worker_key(m.worker, "orders"), {"order": json.dumps(order)})

    async def check_workers(self) -> None:
        """Mark ``failed`` the models of workers whose heartbeat has expired."""
        assert self._conn is not None
        for worker in {m.worker for m in self.models.values() if m.state not in ENDED}:
            if await self._conn.client.exists(worker_key(worker, "alive")):
                continue
            for m in self.models.values():
                if m.worker == worker and m.state not in ENDED:
                    m.state, m.pid = ModelState.FAILED, None
                    m.last_error = f"worker {worker!r} lost: its heartbeat expired"
                    log.error("bots.worker_lost", worker=worker, model=m.spec.name)
                    m.settled.set()
                    m.ended.set()

    async def stop(self, grace: float) -> None:
        """Tell the workers to stop our models; wait (bounded) until they say so."""
        if self._conn is None:
            return
        running: dict[str, list[str]] = {}
        for m in self.models.values():
            if m.state not in ENDED:
                running.setdefault(m.worker, []).append(m.spec.name)
        for worker, names in running.items():
            order = {"op": "stop", "runner": self.runner, "names": names}
            with contextlib.suppress(*self._conn.errors):
                await self._conn.client.xadd(
                    worker_key(worker, "orders"), {"order": json.dumps(order)}
                )
        waits = [m.ended.wait() for m in self.models.values() if m.state not in ENDED]
        try:
            async with asyncio.timeout(grace + 5.0):
                await asyncio.gather(*waits)
        except TimeoutError:
            late = [m.spec.name for m in self.models.values() if m.state not in ENDED]
            log.warning("bots.remote_stop_unconfirmed", models=late)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
