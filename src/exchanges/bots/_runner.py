"""``BotRunner``: starts each model in a process of its own, carries their state and
messages, restarts the ones that fail, and stops them all.

::

    runner = BotRunner("binance", account="main")
    runner.append_model(Momentum, "BTC/USDT", args={"check_interval": 0.5})
    async with runner:
        await runner.start_models()
        print(await runner.get_model_state("BTC/USDT"))

Bots are ``spawn`` children of the runner (:mod:`exchanges.bots._local`). Embedded, their
state and messages live in the runner (:class:`~exchanges.bots._backend.MemoryBackend`),
reached over a Unix socket in a private temporary directory (:mod:`exchanges.bots._wire`);
with ``EXCHANGES_REDIS_URL`` set, in Redis (:mod:`exchanges.bots._redis`), under the
runner's ``name``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import threading
from types import TracebackType
from typing import Any, Self

from core import get_logger, get_settings
from exchanges.bots._account import account_state
from exchanges.bots._backend import MemoryBackend, StateBackend
from exchanges.bots._bot import Bot
from exchanges.bots._local import LocalModel, LocalProcesses, Restarts
from exchanges.bots._model import (
    ModelSpec,
    ModelStatus,
    check_args,
    check_model_class,
)
from exchanges.bots._presence import RUNNERS, STATUS_KEPT_MS, Heartbeat, StatusBoard, status_line
from exchanges.bots._redis import RedisBackend, RedisSpec, runner_key
from exchanges.bots._remote import Remote, RemoteModel, spec_message
from exchanges.bots._values import (
    EVERYONE,
    BotError,
    ModelDefinitionError,
    UnknownModelError,
    check_key,
    dumps,
)
from exchanges.factory import ExchangeFactory, adapter_class
from exchanges.sharing import Connection, connect

log = get_logger(__name__)
RUNNER = "runner"  # the sender name of messages the runner sends
_SAME: Any = object()  # append_model: "as the runner"


class BotRunner:
    """Runs models (subclasses of :class:`Bot`), each in its own OS process.

    ``venue``, ``account``, ``endpoint`` and ``options`` are what each bot's process passes
    to ``ExchangeFactory.get_exchange`` (a model may name others). A process that fails
    (``main`` raised, the process died, even by SIGKILL) is restarted after a capped,
    jittered backoff (``backoff_initial`` doubling up to ``backoff_max`` seconds) with its
    state kept; more than ``max_restarts`` failures within ``restart_window`` seconds and
    the model is ``failed``, the others running on. ``stop()`` gives the bots
    ``stop_grace`` seconds to end (``main`` cancelled, adapter closed), then kills them.

    With ``EXCHANGES_REDIS_URL`` set (when the runner is made), state and messages live
    in Redis under ``name`` (default ``<host>-<pid>``: give a fixed one for the state to
    outlive the runner).
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
        name: str | None = None,
        heartbeat: float = 5.0,
        **options: Any,
    ) -> None:
        adapter_class(venue)  # an unknown venue fails here, not in a child
        self.venue, self.account, self.endpoint = venue.lower(), account, endpoint
        self._options = options
        self.restarts = Restarts(max_restarts, restart_window, backoff_initial, backoff_max)
        self.stop_grace, self.start_timeout = stop_grace, start_timeout
        self.host = socket.gethostname()
        self.name = name or f"{self.host}-{os.getpid()}"
        self.redis_url = get_settings().redis_url
        data = RedisSpec(self.redis_url, self.name) if self.redis_url else None
        self._local = LocalProcesses(data=data, restarts=self.restarts, on_change=self._changed)
        self._remote = Remote(self.name, self.restarts)
        self.heartbeat = heartbeat
        self._presence: tuple[Connection, Heartbeat, StatusBoard] | None = None
        self._models: dict[str, LocalModel | RemoteModel] = {}
        self._backend: StateBackend | None = None if self.redis_url else MemoryBackend()
        self._registered: set[str] = set()
        self._factory: ExchangeFactory | None = None
        self._stopping = asyncio.Event()

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
        on: str | None = None,
        **options: Any,
    ) -> str:
        """Add a model trading ``symbol``; its name (``name``, default the symbol). On
        another ``venue``, ``endpoint`` defaults to none and ``account`` to the runner's.
        ``on="w1"``: run it on the worker named ``w1`` (``exchanges bots worker``, same
        ``EXCHANGES_REDIS_URL``) instead of in a child of this process."""
        if on is not None and not self.redis_url:
            raise ModelDefinitionError(f"on: {on!r}: workers need EXCHANGES_REDIS_URL set")
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
        if on is None:
            self._models[name] = self._local.add(spec)
        else:
            spec_message(spec, self.restarts, self.stop_grace)  # JSON, or refused here
            self._models[name] = self._remote.models[name] = RemoteModel(spec, on)
        return name

    def _model(self, which: str) -> LocalModel | RemoteModel:
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
                host=(m.host or "?") if isinstance(m, RemoteModel) else self.host,
                state=m.state,
                restarts=m.restarts,
                last_error=m.last_error,
            )
            for m in self._models.values()
        ]

    # ------------------------------------------------------------------ lifecycle
    async def _store(self) -> StateBackend:
        """The backend (Redis: opened in this loop on first use)."""
        if self._backend is None:
            assert self.redis_url is not None
            self._backend = await RedisBackend.open(self.redis_url, self.name)
        return self._backend

    async def _open(self) -> None:
        await self._local.open(await self._store())
        if self.redis_url and self._presence is None:
            conn = await connect(self.redis_url)
            beat = Heartbeat(
                conn, runner_key(self.name, "alive"), f"runner {self.name!r}", self.heartbeat,
                tick=self._remote.check_workers,
            )  # fmt: skip
            try:
                await beat.take()
            except BaseException:
                await conn.release()
                raise
            await conn.client.sadd(RUNNERS, self.name)
            self._presence = (conn, beat, StatusBoard(conn, self.name))
            await self._remote.open(conn)
            for m in self._local.models.values():
                self._changed(m)

    def _changed(self, m: LocalModel) -> None:
        if self._presence is not None:
            line = status_line(
                self.name, m.spec, host=self.host, pid=m.pid, state=m.state.value,
                restarts=m.restarts, last_error=m.last_error,
            )  # fmt: skip
            self._presence[2].mark(line)

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
            if isinstance(m, RemoteModel):
                await self._remote.start(m, self.stop_grace)
            else:
                self._local.start(m)
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

    async def stop(self, grace: float | None = None) -> None:
        """Stop every bot: SIGTERM (``main`` cancelled, adapter closed), then, after
        ``grace`` seconds (default ``stop_grace``), SIGKILL for what is left; then the
        socket and the runner's own adapters close. Idempotent."""
        self._stopping.set()
        grace = self.stop_grace if grace is None else grace
        await asyncio.gather(self._local.close(grace), self._remote.stop(grace))
        if self._presence is not None:
            conn, beat, board = self._presence
            self._presence = None
            await self._remote.close()
            await board.close()
            with contextlib.suppress(*conn.errors):
                await conn.client.pexpire(runner_key(self.name, "status"), STATUS_KEPT_MS)
            await beat.release()
            await conn.release()
        if self._factory is not None:
            await self._factory.close_all()
            self._factory = None
        if self._backend is not None:
            await self._backend.close()
            if self.redis_url:
                self._backend = None

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
                tasks: list[asyncio.Future[Any]] = [
                    m.task for m in self._local.models.values() if m.task is not None
                ]
                ends = [asyncio.create_task(m.ended.wait()) for m in self._remote.models.values()]
                watch.update(ends)  # ours to cancel (the supervisors' tasks are not)
                tasks += ends
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
            await (await self._store()).register(name, self._models[name].spec.symbol)
            self._registered.add(name)
        return name

    async def get_model_state(self, which: str) -> dict[str, Any]:
        """The state of a model (by name or symbol)."""
        return await (await self._store()).get_state(await self._named(which))

    async def get_full_state(self, which: str) -> dict[str, Any]:
        """``{"model": its state, "account": balances of its base and quote}`` (``{}``
        without keys), read by the runner's own adapter."""
        m = self._models[await self._named(which)]
        model = await (await self._store()).get_state(m.spec.name)
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
        await (await self._store()).update_state(await self._named(which), key, value)

    async def remove_key(self, which: str, key: str) -> None:
        await (await self._store()).remove_key(await self._named(which), check_key(key))

    async def send(self, to: str, message: Any) -> list[str]:
        """Send ``message`` (JSON) to a model by name or symbol, or to all (``"*"``)."""
        dumps(message, what=f"message to {to!r}")
        for name in self._models:
            await self._named(name)
        return await (await self._store()).publish(RUNNER, to, message)
