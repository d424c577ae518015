"""``BotRunner``: starts each model in a process of its own, carries their state and
messages, restarts the ones that fail, and stops them all.

::

    runner = BotRunner("binance", account="main")
    runner.append_model(Momentum, "BTC/USDT", args={"check_interval": 0.5})
    async with runner:
        await runner.start_models()
        print(await runner.get_model_state("BTC/USDT"))

Embedded (this module): bots are ``spawn`` children of the runner; their state and
messages live in the runner (:class:`~exchanges.bots._backend.MemoryBackend`), reached over
a Unix socket in a private temporary directory (:mod:`exchanges.bots._wire`).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from core import get_logger
from exchanges.bots import _child
from exchanges.bots._account import account_state
from exchanges.bots._backend import MemoryBackend
from exchanges.bots._bot import Bot
from exchanges.bots._model import (
    ModelSpec,
    ModelState,
    ModelStatus,
    check_args,
    check_model_class,
)
from exchanges.bots._supervise import FailureWindow, backoff, describe_exit, sigint_ignored
from exchanges.bots._values import (
    EVERYONE,
    BotError,
    ModelDefinitionError,
    UnknownModelError,
    check_key,
    dumps,
)
from exchanges.bots._wire import SocketSpec, StateServer
from exchanges.factory import ExchangeFactory, adapter_class

log = get_logger(__name__)
RUNNER = "runner"  # the sender name of messages the runner sends
_SAME: Any = object()  # append_model: "as the runner"


@dataclass(slots=True)
class _Model:
    spec: ModelSpec
    failures: FailureWindow
    state: ModelState = ModelState.STOPPED
    process: multiprocessing.process.BaseProcess | None = None
    restarts: int = 0
    last_error: str | None = None
    reported: str | None = None  # the error the process said it failed with
    task: asyncio.Task[None] | None = None
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # ready once, or ended

    @property
    def pid(self) -> int | None:
        alive = self.process is not None and self.process.exitcode is None
        return self.process.pid if alive and self.process is not None else None


class BotRunner:
    """Runs models (subclasses of :class:`Bot`), each in its own OS process.

    ``venue``, ``account``, ``endpoint`` and ``options`` are what each bot's process passes
    to ``ExchangeFactory.get_exchange`` (a model may name others). A process that fails
    (``main`` raised, the process died, even by SIGKILL) is restarted after a capped,
    jittered backoff (``backoff_initial`` doubling up to ``backoff_max`` seconds) with its
    state kept; more than ``max_restarts`` failures within ``restart_window`` seconds and
    the model is ``failed``, the others running on. ``stop()`` gives the bots
    ``stop_grace`` seconds to end (``main`` cancelled, adapter closed), then kills them.
    """

    def __init__(
        self,
        venue: str = "binance",
        account: str | None = None,
        endpoint: str | None = None,
        *,
        max_restarts: int = 5,
        restart_window: float = 60.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 10.0,
        stop_grace: float = 10.0,
        start_timeout: float = 120.0,
        **options: Any,
    ) -> None:
        adapter_class(venue)  # an unknown venue fails here, not in a child
        self.venue, self.account, self.endpoint = venue.lower(), account, endpoint
        self._options = options
        self._max_restarts, self._restart_window = max_restarts, restart_window
        self._backoff = (backoff_initial, backoff_max)
        self.stop_grace, self.start_timeout = stop_grace, start_timeout
        self._models: dict[str, _Model] = {}
        self._backend = MemoryBackend()
        self._registered: set[str] = set()
        self._ctx = multiprocessing.get_context("spawn")
        self._dir: str | None = None
        self._server: StateServer | None = None
        self._factory: ExchangeFactory | None = None
        self._stopping = asyncio.Event()
        self.host = socket.gethostname()

    def __repr__(self) -> str:
        return f"<BotRunner {self.venue} models={len(self._models)}>"

    # ------------------------------------------------------------------ models
    def append_model(
        self,
        model: type[Bot],
        symbol: str,
        args: dict[str, Any] | None = None,
        *,
        venue: str | None = None,
        account: Any = _SAME,
        endpoint: Any = _SAME,
        name: str | None = None,
        **options: Any,
    ) -> str:
        """Add a model trading ``symbol``; its name (``name``, default the symbol). On
        another ``venue``, ``endpoint`` defaults to none and ``account`` to the runner's."""
        check_model_class(model, Bot)
        if not isinstance(symbol, str) or not symbol:
            raise ModelDefinitionError("symbol: a non-empty string such as 'BTC/USDT'")
        name = symbol if name is None else name
        if not isinstance(name, str) or not name or name in (EVERYONE, RUNNER):
            raise ModelDefinitionError(f"name: {name!r} cannot name a model")
        if name in self._models:
            raise ModelDefinitionError(f"name: {name!r} is taken; pass name= to tell them apart")
        model_venue = (venue or self.venue).lower()
        adapter_class(model_venue)
        same = model_venue == self.venue
        spec = ModelSpec(
            name=name,
            symbol=symbol,
            venue=model_venue,
            account=self.account if account is _SAME else account,
            endpoint=(self.endpoint if same else None) if endpoint is _SAME else endpoint,
            model=model,
            args=check_args(args),
            options={**(self._options if same else {}), **options},
        )
        self._models[name] = _Model(spec, FailureWindow(self._max_restarts, self._restart_window))
        return name

    def _model(self, which: str) -> _Model:
        if which in self._models:
            return self._models[which]
        found = [m for m in self._models.values() if m.spec.symbol == which]
        if len(found) == 1:
            return found[0]
        if found:
            names = sorted(m.spec.name for m in found)
            raise UnknownModelError(f"{which!r} is the symbol of {names}: use a name")
        raise UnknownModelError(f"no model named {which!r} or trading it")

    def status(self) -> list[ModelStatus]:
        """Each model: name, symbol, venue, pid, host, state, restarts, last error."""
        return [
            ModelStatus(
                name=m.spec.name,
                symbol=m.spec.symbol,
                venue=m.spec.venue,
                account=m.spec.account,
                pid=m.pid,
                host=self.host,
                state=m.state,
                restarts=m.restarts,
                last_error=m.last_error,
            )
            for m in self._models.values()
        ]

    # ------------------------------------------------------------------ lifecycle
    async def _open(self) -> None:
        if self._server is not None:
            return
        self._dir = tempfile.mkdtemp(prefix="exchanges-bots-")  # 0700: this user only
        self._server = StateServer(os.path.join(self._dir, "runner.sock"), self._backend, self)
        await self._server.start()

    async def start_models(self, *which: str) -> None:
        """Start the models named (by name or symbol), or every one not started yet; return
        when each has become ready once or its first process has ended."""
        if self._stopping.is_set():
            raise BotError("start_models: the runner is stopped")
        chosen = [self._model(w) for w in which] if which else list(self._models.values())
        await self._open()
        for name in self._models:  # every one: a message may be sent to one not started
            await self._named(name)
        for m in chosen:
            if m.task is None or m.task.done():
                m.settled.clear()
                m.state = ModelState.STARTING
                m.task = asyncio.create_task(self._supervise(m), name=f"bot {m.spec.name}")
        waits = [asyncio.create_task(m.settled.wait()) for m in chosen]
        try:
            async with asyncio.timeout(self.start_timeout):
                await asyncio.gather(*waits)
        except TimeoutError:
            late = [m.spec.name for m in chosen if not m.settled.is_set()]
            raise BotError(f"start_models: {late} not ready in {self.start_timeout} s") from None
        finally:
            for w in waits:
                w.cancel()

    async def _supervise(self, m: _Model) -> None:
        assert self._server is not None
        spec, path = m.spec, self._server.path
        while not self._stopping.is_set():
            m.reported = None
            process = self._ctx.Process(
                target=_child.run, args=(spec, SocketSpec(path), path), name=f"bot {spec.name}"
            )
            process.daemon = True  # also ended by multiprocessing's exit handler
            with sigint_ignored():
                process.start()
            m.process = process
            code = await _exited(process)
            m.settled.set()
            if self._stopping.is_set() or code == 0:
                break
            m.last_error = m.reported or describe_exit(code)
            if not m.failures.record():
                m.state = ModelState.FAILED
                log.error("bots.model_failed_for_good", model=spec.name, error=m.last_error)
                return
            m.state = ModelState.RESTARTING
            m.restarts += 1
            delay = backoff(m.failures.recent, *self._backoff)
            log.warning("bots.restarting", model=spec.name, error=m.last_error, delay=delay)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):  # the backoff, cut short by stop()
                    await self._stopping.wait()
        m.state = ModelState.STOPPED

    # Control (called by the socket server for the model's current process)
    def _current(self, name: str, pid: int) -> _Model | None:
        m = self._models.get(name)
        return m if m is not None and m.process is not None and m.process.pid == pid else None

    def hello(self, name: str, pid: int) -> None:
        return None

    def ready(self, name: str, pid: int) -> None:
        m = self._current(name, pid)
        if m is not None and not self._stopping.is_set():
            m.state = ModelState.RUNNING
            m.settled.set()

    def failed(self, name: str, pid: int, error: str) -> None:
        m = self._current(name, pid)
        if m is not None:
            m.reported = error

    async def stop(self, grace: float | None = None) -> None:
        """Stop every bot: SIGTERM (``main`` cancelled, adapter closed), then, after
        ``grace`` seconds (default ``stop_grace``), SIGKILL for what is left; then the
        socket and the runner's own adapters close. Idempotent."""
        self._stopping.set()
        grace = self.stop_grace if grace is None else grace
        tasks = [m.task for m in self._models.values() if m.task is not None]
        for m in self._models.values():
            if m.process is not None and m.process.exitcode is None:
                m.process.terminate()
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
            if late:
                for m in self._models.values():
                    if m.process is not None and m.process.exitcode is None:
                        log.warning("bots.killed", model=m.spec.name, pid=m.process.pid)
                        m.process.kill()
                await asyncio.wait(late, timeout=5.0)
        for m in self._models.values():
            if m.process is not None:
                m.process.join(timeout=0)
        if self._server is not None:
            await self._server.close()
        if self._factory is not None:
            await self._factory.close_all()
            self._factory = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    async def run(self, *which: str) -> None:
        """Start the models (as :meth:`start_models`), run until SIGINT or SIGTERM reaches
        this process or every model has ended (stopped or failed), then :meth:`stop`."""
        signalled = asyncio.Event()
        loop = asyncio.get_running_loop()
        handled: list[signal.Signals] = []
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, signalled.set)
                handled.append(sig)
        waiting = asyncio.create_task(signalled.wait())
        starting = asyncio.create_task(self.start_models(*which))
        watch: set[asyncio.Task[Any]] = {waiting, starting}
        try:
            await asyncio.wait(watch, return_when=asyncio.FIRST_COMPLETED)
            if starting.done():
                starting.result()  # a start that failed raises here
                tasks = [m.task for m in self._models.values() if m.task is not None]
                if tasks:
                    watch.add(asyncio.create_task(asyncio.wait(tasks)))  # every model ended
                    await asyncio.wait(watch - {starting}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in watch:
                task.cancel()
            for sig in handled:
                loop.remove_signal_handler(sig)
            await self.stop()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ state
    async def _named(self, which: str) -> str:
        """The model's name, known to the backend (append_model cannot await)."""
        name = self._model(which).spec.name
        if name not in self._registered:
            await self._backend.register(name, self._models[name].spec.symbol)
            self._registered.add(name)
        return name

    async def get_model_state(self, which: str) -> dict[str, Any]:
        """The state of a model (by name or symbol)."""
        return await self._backend.get_state(await self._named(which))

    async def get_full_state(self, which: str) -> dict[str, Any]:
        """``{"model": its state, "account": balances of its base and quote}`` (``{}``
        without keys), read by the runner's own adapter."""
        m = self._models[await self._named(which)]
        model = await self._backend.get_state(m.spec.name)
        if m.spec.account is None:
            return {"model": model, "account": {}}
        self._factory = self._factory or ExchangeFactory()
        exchange = await self._factory.get_exchange(
            m.spec.venue, account=m.spec.account, endpoint=m.spec.endpoint, **m.spec.options
        )
        return {"model": model, "account": await account_state(exchange, m.spec.symbol)}

    async def write_value(self, which: str, key: str, value: Any) -> None:
        """Set ``key`` in a model's state (JSON: refused here otherwise)."""
        check_key(key)
        dumps(value, what=f"state key {key!r}")
        await self._backend.update_state(await self._named(which), key, value)

    async def remove_key(self, which: str, key: str) -> None:
        await self._backend.remove_key(await self._named(which), check_key(key))

    async def send(self, to: str, message: Any) -> list[str]:
        """Send ``message`` (JSON) to a model by name or symbol, or to all (``"*"``)."""
        dumps(message, what=f"message to {to!r}")
        for name in self._models:
            await self._named(name)
        return await self._backend.publish(RUNNER, to, message)


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
