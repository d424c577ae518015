"""``exchanges bots worker``: runs, on this host, the models runners assign to it through
Redis (the protocol: :mod:`exchanges.bots._remote`). Each model runs in a child process of
the worker exactly as a runner runs its own (:class:`~exchanges.bots._local.LocalProcesses`:
restarts, backoff, stop grace), its state and messages in the assigning runner's Redis
keys. The worker stops a runner's models when told to, when that runner's heartbeat
expires, and all of them when it is stopped (SIGTERM, SIGINT); killed, its bots see their
parent die and end.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import signal
import socket
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from core import get_logger, get_settings
from exchanges.bots._bot import Bot
from exchanges.bots._local import LocalModel, LocalProcesses, Restarts
from exchanges.bots._model import ModelSpec, ModelState, check_model_class
from exchanges.bots._presence import WORKERS, Heartbeat, StatusBoard, status_line, worker_key
from exchanges.bots._redis import BLOCK_MS, RedisBackend, RedisSpec, runner_key
from exchanges.bots._values import BotError
from exchanges.sharing import Connection, connect

log = get_logger(__name__)


@dataclass(slots=True)
class _Served:
    """What the worker runs for one runner."""

    processes: LocalProcesses
    board: StatusBoard
    backend: RedisBackend
    grace: float = 10.0


def _import(path: str) -> type[Bot]:
    module_name, _, qualname = path.partition(":")
    found: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        found = getattr(found, part)
    model: type[Bot] = check_model_class(found, Bot)
    return model


class Worker:
    """Serves runners' assignments until :meth:`stop` (or a signal, in :meth:`run`)."""

    def __init__(
        self, name: str | None = None, *, url: str | None = None, heartbeat: float = 5.0
    ) -> None:
        self.host = socket.gethostname()
        self.name = name or self.host
        url = url or get_settings().redis_url
        if not url:
            raise BotError("bots worker: set EXCHANGES_REDIS_URL (the runners' Redis)")
        self.url, self.heartbeat = url, heartbeat
        self._served: dict[str, _Served] = {}
        self._conn: Connection | None = None
        self._stop = asyncio.Event()
        self._jobs: set[asyncio.Task[None]] = set()  # stops under way
        self.ready = asyncio.Event()  # registered, reading its orders

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        handled: list[signal.Signals] = []
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self._stop.set)
                handled.append(sig)
        conn = self._conn = await connect(self.url)
        orders = worker_key(self.name, "orders")
        await conn.client.delete(orders)  # a new worker of this name: old orders are void
        beat = Heartbeat(
            conn, worker_key(self.name, "alive"), f"worker {self.name!r}", self.heartbeat,
            tick=self._check_runners,
        )  # fmt: skip
        await beat.take()
        await conn.client.sadd(WORKERS, self.name)
        reading = asyncio.create_task(self._read(orders))
        self.ready.set()
        log.info("bots.worker_ready", worker=self.name, host=self.host)
        try:
            await asyncio.wait(
                {reading, asyncio.create_task(self._stop.wait())},
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            reading.cancel()
            await asyncio.gather(reading, return_exceptions=True)
            for runner in list(self._served):
                self._drop(runner)
            await asyncio.gather(*self._jobs, return_exceptions=True)
            await beat.release()
            for sig in handled:
                loop.remove_signal_handler(sig)
            await conn.release()
        if not reading.cancelled() and (error := reading.exception()) is not None:
            raise error

    async def _read(self, orders: str) -> None:
        assert self._conn is not None
        last = "0-0"
        while True:
            try:
                reply = await self._conn.client.xread({orders: last}, block=BLOCK_MS)
            except self._conn.errors as exc:
                log.warning("bots.orders_unread", worker=self.name, error=type(exc).__name__)
                await asyncio.sleep(1.0)
                continue
            for entry_id, fields in reply[0][1] if reply else []:
                last = entry_id.decode()
                await self._obey(json.loads(fields[b"order"]))

    async def _obey(self, order: dict[str, Any]) -> None:
        runner = order["runner"]
        if order["op"] == "start":
            await self._start(runner, order["model"])
        elif order["op"] == "stop" and runner in self._served:
            served = self._served[runner]
            names = [n for n in order["names"] if n in served.processes.models]
            self._job(served.processes.stop(served.grace, names))

    async def _serve(self, runner: str) -> _Served:
        if runner not in self._served:
            assert self._conn is not None
            board = StatusBoard(self._conn, runner, events=True)
            processes = LocalProcesses(
                data=RedisSpec(self.url, runner),
                on_change=lambda m: board.mark(self._line(runner, m)),
            )
            backend = await RedisBackend.open(self.url, runner)
            await processes.open(backend)
            self._served[runner] = _Served(processes, board, backend)
        return self._served[runner]

    def _line(self, runner: str, m: LocalModel) -> dict[str, Any]:
        return status_line(
            runner, m.spec, host=self.host, pid=m.pid, state=m.state.value,
            restarts=m.restarts, last_error=m.last_error, worker=self.name,
        )  # fmt: skip

    async def _start(self, runner: str, model: dict[str, Any]) -> None:
        served = await self._serve(runner)
        try:
            spec = ModelSpec(
                name=model["name"], symbol=model["symbol"], venue=model["venue"],
                account=model["account"], endpoint=model["endpoint"],
                model=_import(model["model"]), args=model["args"], options=model["options"],
            )  # fmt: skip
        except (ImportError, AttributeError, ValueError) as exc:
            line = status_line(
                runner, model, host=self.host, pid=None, state=ModelState.FAILED.value,
                last_error=f"{type(exc).__name__}: {exc}", worker=self.name,
            )  # fmt: skip
            served.board.mark(line)
            return
        served.grace = float(model.get("grace", 10.0))
        processes = served.processes
        processes.restarts = Restarts(**model.get("restarts", {}))
        m = processes.models.get(spec.name) or processes.add(spec)
        processes.start(m)

    async def _check_runners(self) -> None:
        assert self._conn is not None
        for runner in list(self._served):
            if not await self._conn.client.exists(runner_key(runner, "alive")):
                log.warning("bots.runner_lost", worker=self.name, runner=runner)
                self._drop(runner)

    def _job(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)

    def _drop(self, runner: str) -> None:
        """Stop a runner's models and forget it (in the background: the heartbeat goes on)."""
        self._job(self._close(self._served.pop(runner)))

    async def _close(self, served: _Served) -> None:
        await served.processes.close(served.grace)
        await served.board.close()
        await served.backend.close()
