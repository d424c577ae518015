"""A bot process: what runs after ``spawn``, from the runner's :class:`ModelSpec`.

It stops (``main`` cancelled, the adapter closed as ``close()`` does, exit 0) on SIGTERM, on
the runner's socket closing, and when its parent dies: the parent's sentinel (a pipe
``multiprocessing`` keeps open in the parent) reads end of file, and ``os.getppid()``
changes. SIGINT is ignored: the runner, which Ctrl-C reaches too, stops its bots. ``main``
raising, or the adapter failing to build, is reported to the runner and exits 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import traceback

import structlog

from core import ExchangeError, configure_logging, get_logger, get_settings, redact
from exchanges.bots._account import account_state
from exchanges.bots._backend import BackendSpec, StateBackend
from exchanges.bots._model import ModelSpec
from exchanges.bots._wire import BackendGone, SocketBackend, SocketSpec
from exchanges.factory import ExchangeFactory

log = get_logger(__name__)
PARENT_POLL = 0.5  # seconds between os.getppid() checks
CLOSE_GRACE = 10.0  # seconds for the adapter to close (orders in flight settle)


def run(spec: ModelSpec, backend: BackendSpec, control_path: str) -> None:
    """The process target."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_logging(get_settings())  # stderr, redacted, EXCHANGES_LOG_* of this process
    structlog.contextvars.bind_contextvars(bot=spec.name)
    code = asyncio.run(_run(spec, backend, control_path))
    # everything is closed: skip the interpreter's teardown of ccxt's module graph (most
    # of a bot's stop time, and CPU that 16 bots stopping at once on 2 cores do not have)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


async def _watch_parent(parent_pid: int, stop: asyncio.Event) -> None:
    while os.getppid() == parent_pid:  # noqa: ASYNC110 - the fallback: no event for it
        await asyncio.sleep(PARENT_POLL)
    stop.set()


async def _run(spec: ModelSpec, backend_spec: BackendSpec, control_path: str) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    parent = multiprocessing.parent_process()
    if parent is not None and parent.sentinel is not None:
        loop.add_reader(parent.sentinel, stop.set)
    watcher = asyncio.create_task(_watch_parent(os.getppid(), stop))
    control = SocketBackend(control_path, spec.name)
    backend: StateBackend = control
    try:
        await control.open()
        if not (isinstance(backend_spec, SocketSpec) and backend_spec.path == control_path):
            backend = await backend_spec.connect(spec.name)
        work = asyncio.create_task(_work(spec, control, backend))
        ends = {asyncio.create_task(stop.wait()), asyncio.create_task(control.gone.wait())}
        await asyncio.wait({work, *ends}, return_when=asyncio.FIRST_COMPLETED)
        for task in (*ends, work):
            task.cancel()
        await asyncio.wait({work}, timeout=CLOSE_GRACE)
        if not work.done():  # main ignores its cancellation: close what can be, and go
            log.error("bots.main_ignored_cancel", model=spec.name)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_GRACE):
                    await ExchangeFactory.close_all()
            os._exit(2)
        try:
            await work
        except asyncio.CancelledError:
            return 0
        except Exception as exc:
            error = redact(f"{type(exc).__name__}: {exc}")
            log.error("bots.model_failed", model=spec.name, error=error)
            if not isinstance(exc, ExchangeError):  # a bug in the model: where it is, redacted
                sys.stderr.write(redact("".join(traceback.format_exception(exc))))
            with contextlib.suppress(BackendGone, TimeoutError):
                async with asyncio.timeout(2.0):
                    await control.call("failed", pid=os.getpid(), error=error)
            return 1
        return 0
    finally:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(CLOSE_GRACE):
                await ExchangeFactory.close_all()
        watcher.cancel()
        if parent is not None and parent.sentinel is not None:
            loop.remove_reader(parent.sentinel)
        if backend is not control:
            await backend.close()
        await control.close()


async def _work(spec: ModelSpec, control: SocketBackend, backend: StateBackend) -> None:
    pid = os.getpid()
    await control.call("hello", pid=pid)
    exchange = await ExchangeFactory.get_exchange(
        spec.venue, account=spec.account, endpoint=spec.endpoint, **spec.options
    )
    bot = spec.model()
    bot.exchange = exchange
    bot.symbol, bot.venue, bot.account, bot.name = spec.symbol, spec.venue, spec.account, spec.name
    bot.args = dict(spec.args)
    bot.settings = get_settings()
    bot._backend = backend
    bot.initial_state = await account_state(exchange, spec.symbol)
    await control.call("ready", pid=pid)
    await bot.main(bot.args)
