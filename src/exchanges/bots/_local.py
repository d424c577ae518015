"""The bot processes of one runner on this host: spawn children, the control socket they
say ``hello``/``ready``/``failed`` on, one supervisor task per model (restarts with backoff,
``failed`` past the budget), and stopping them. Used by :class:`~exchanges.bots.BotRunner`
for its own models and by a worker (:mod:`exchanges.bots._worker`) for those assigned to it.

The control socket also serves the state and messages of ``backend`` (the embedded case);
with Redis, the children reach the backend by ``data`` (a :class:`RedisSpec`) instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

from core import get_logger
from exchanges.bots import _child
from exchanges.bots._backend import BackendSpec, StateBackend
from exchanges.bots._model import ModelSpec, ModelState
from exchanges.bots._supervise import FailureWindow, backoff, describe_exit, sigint_ignored
from exchanges.bots._wire import SocketSpec, StateServer

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Restarts:
    """When a failed bot is started again (see :class:`~exchanges.bots.BotRunner`)."""

    max_restarts: int = 5
    window: float = 60.0
    initial: float = 0.5
    cap: float = 10.0


@dataclass(slots=True)
class LocalModel:
    spec: ModelSpec
    failures: FailureWindow
    state: ModelState = ModelState.STOPPED
    process: multiprocessing.process.BaseProcess | None = None
    restarts: int = 0
    last_error: str | None = None
    reported: str | None = None  # the error the process said it failed with
    task: asyncio.Task[None] | None = None
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # ready once, or ended
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def pid(self) -> int | None:
        alive = self.process is not None and self.process.exitcode is None
        return self.process.pid if alive and self.process is not None else None


class LocalProcesses:
    """Runs models in spawn children of this process; ``on_change(model)`` after each
    change of state, pid, restarts or error."""

    def __init__(
        self,
        *,
        data: BackendSpec | None = None,
        restarts: Restarts | None = None,
        on_change: Callable[[LocalModel], None] | None = None,
    ) -> None:
        self.models: dict[str, LocalModel] = {}
        self._data = data
        self.restarts = restarts or Restarts()
        self._on_change = on_change or (lambda m: None)
        self._ctx = multiprocessing.get_context("spawn")
        self._dir: str | None = None
        self._server: StateServer | None = None
        self.closed = False

    def add(self, spec: ModelSpec) -> LocalModel:
        r = self.restarts
        self.models[spec.name] = LocalModel(spec, FailureWindow(r.max_restarts, r.window))
        return self.models[spec.name]

    async def open(self, backend: StateBackend) -> None:
        """Listen on the control socket (serving ``backend`` too); idempotent."""
        if self._server is not None:
            return
        self._dir = tempfile.mkdtemp(prefix="exchanges-bots-")  # 0700: this user only
        self._server = StateServer(os.path.join(self._dir, "runner.sock"), backend, self)
        await self._server.start()

    def start(self, m: LocalModel) -> None:
        """Start ``m``'s supervisor (after :meth:`open`) unless it runs already."""
        if m.task is None or m.task.done():
            m.settled.clear()
            m.stopping.clear()
            self._set(m, ModelState.STARTING)
            m.task = asyncio.create_task(self._supervise(m), name=f"bot {m.spec.name}")

    def _set(self, m: LocalModel, state: ModelState) -> None:
        m.state = state
        self._on_change(m)

    async def _supervise(self, m: LocalModel) -> None:
        assert self._server is not None
        spec, path = m.spec, self._server.path
        data = self._data or SocketSpec(path)
        while not m.stopping.is_set():
            m.reported = None
            process = self._ctx.Process(
                target=_child.run, args=(spec, data, path), name=f"bot {spec.name}"
            )
            process.daemon = True  # also ended by multiprocessing's exit handler
            with sigint_ignored():
                process.start()
            m.process = process
            self._on_change(m)
            code = await _exited(process)
            m.settled.set()
            if m.stopping.is_set() or code == 0:
                break
            m.last_error = m.reported or describe_exit(code)
            if not m.failures.record():
                log.error("bots.model_failed_for_good", model=spec.name, error=m.last_error)
                self._set(m, ModelState.FAILED)
                return
            m.restarts += 1
            self._set(m, ModelState.RESTARTING)
            r = self.restarts
            delay = backoff(m.failures.recent, r.initial, r.cap)
            log.warning("bots.restarting", model=spec.name, error=m.last_error, delay=delay)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):  # the backoff, cut short by a stop
                    await m.stopping.wait()
        self._set(m, ModelState.STOPPED)

    # Control (called by the socket server for the model's current process)
    def _current(self, name: str, pid: int) -> LocalModel | None:
        m = self.models.get(name)
        return m if m is not None and m.process is not None and m.process.pid == pid else None

    def hello(self, name: str, pid: int) -> None:
        return None

    def ready(self, name: str, pid: int) -> None:
        m = self._current(name, pid)
        if m is not None and not m.stopping.is_set():
            self._set(m, ModelState.RUNNING)
            m.settled.set()

    def failed(self, name: str, pid: int, error: str) -> None:
        m = self._current(name, pid)
        if m is not None:
            m.reported = error

    async def stop(self, grace: float, names: list[str] | None = None) -> None:
        """Stop the models named (all by default): SIGTERM, then SIGKILL after ``grace``
        seconds for what is left."""
        chosen = [self.models[n] for n in names] if names is not None else self.models.values()
        chosen = list(chosen)
        for m in chosen:
            m.stopping.set()
            if m.process is not None and m.process.exitcode is None:
                m.process.terminate()
        tasks = [m.task for m in chosen if m.task is not None and not m.task.done()]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
            if late:
                for m in chosen:
                    if m.process is not None and m.process.exitcode is None:
                        log.warning("bots.killed", model=m.spec.name, pid=m.process.pid)
                        m.process.kill()
                await asyncio.wait(late, timeout=5.0)
        for m in chosen:
            if m.process is not None:
                m.process.join(timeout=0)

    async def close(self, grace: float) -> None:
        """Stop every model, then close the socket and remove its directory."""
        self.closed = True
        await self.stop(grace)
        if self._server is not None:
            await self._server.close()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


async def _exited(process: multiprocessing.process.BaseProcess) -> int | None:
    """Wait (without a thread) for ``process`` to end; its exit code."""
    loop = asyncio.get_running_loop()
    ended: asyncio.Future[None] = loop.create_future()
    sentinel = process.sentinel

    def readable() -> None:
        if not ended.done():
            ended.set_result(None)

    loop.add_reader(sentinel, readable)
    try:
        await ended
    finally:
        loop.remove_reader(sentinel)
    process.join()
    return process.exitcode
