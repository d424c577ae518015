"""``exchanges bots run module:Class SYMBOL...``: run bots with a live table of them;
``exchanges bots worker``: run models assigned by runners (Redis); ``exchanges bots status``:
every model of every runner and worker on the same Redis."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from core import ExchangeError, get_settings
from exchanges.bots import BotRunner
from exchanges.bots._presence import read_all
from exchanges.bots._worker import Worker
from exchanges.cli._common import Endpoint, PublicAccount
from exchanges.cli._errors import fail, stop
from exchanges.cli._help import APP_SETTINGS, Command, Group
from exchanges.sharing import connect

bots_app = typer.Typer(
    help="Run bots: each model in a process of its own.", cls=Group, **APP_SETTINGS
)


def _load(target: str) -> Any:
    module_name, _, qualname = target.partition(":")
    if not module_name or not qualname:
        raise stop(f"model: {target!r} is not module:Class (e.g. mybots:Momentum)")
    try:
        found: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise stop(f"model: cannot import {module_name!r} ({exc})") from None
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if found is None:
        raise stop(f"model: {module_name!r} has no {qualname!r}")
    return found


def _short(value: Any, width: int = 24) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


async def _table(runner: BotRunner) -> Table:
    table = Table("model", "symbol", "venue", "state", "pid", "restarts", "state keys", "error")
    for s in runner.status():
        state = await runner.get_model_state(s.name)
        keys = ", ".join(f"{k}={_short(v)}" for k, v in list(state.items())[:4])
        table.add_row(
            s.name,
            s.symbol,
            s.venue,
            s.state.value,
            str(s.pid or "-"),
            str(s.restarts),
            keys,
            s.last_error or "",
        )
    return table


async def _run(runner: BotRunner, refresh: float, seconds: float | None, console: Console) -> None:
    loop = asyncio.get_running_loop()
    deadline = None if seconds is None else loop.time() + seconds
    running = asyncio.create_task(runner.run())  # SIGINT / SIGTERM stop every bot
    with Live(await _table(runner), console=console, auto_refresh=False) as live:
        while not running.done():
            left = refresh if deadline is None else min(refresh, deadline - loop.time())
            if left <= 0:
                break
            await asyncio.wait({running}, timeout=left)
            live.update(await _table(runner), refresh=True)
    if running.done():
        running.result()
        return
    running.cancel()  # --seconds elapsed: run() stops every bot on its way out
    with contextlib.suppress(asyncio.CancelledError):
        await running


@bots_app.command("run", cls=Command)
def run(
    model: Annotated[str, typer.Argument(help="The model class, module:Class (importable).")],
    symbols: Annotated[list[str], typer.Argument(help="One bot per symbol, e.g. BTC/USDT.")],
    venue: Annotated[str, typer.Option("--venue", help="Venue id (ccxt's).")] = "binance",
    account: PublicAccount = None,
    endpoint: Endpoint = None,
    refresh: Annotated[float, typer.Option("--refresh", help="Table refresh, seconds.")] = 0.5,
    seconds: Annotated[
        float | None, typer.Option("--seconds", help="Stop after this long (default: Ctrl-C).")
    ] = None,
) -> None:
    """Run MODEL for each SYMBOL, each bot in its own process; Ctrl-C stops every bot."""
    console = Console()
    os.environ.setdefault("EXCHANGES_LOG_LEVEL", "WARNING")  # the bots' logs, as the CLI's
    try:
        runner = BotRunner(venue, account=account, endpoint=endpoint)
        for symbol in symbols:
            runner.append_model(_load(model), symbol)
        asyncio.run(_run(runner, refresh, seconds, console))
    except ExchangeError as exc:
        raise fail(exc) from None
    states = [s.state.value for s in runner.status()]
    if not console.is_terminal:
        console.print()  # the table's last line has no newline off a terminal
    console.print(f"stopped {len(states)} bots: " + ", ".join(sorted(set(states))))


@bots_app.command("worker", cls=Command)
def worker(
    name: Annotated[
        str | None, typer.Option("--name", help="This worker's name (default: the host name).")
    ] = None,
    heartbeat: Annotated[
        float, typer.Option("--heartbeat", help="Heartbeat TTL, seconds.", min=0.3)
    ] = 5.0,
) -> None:
    """Run the models runners assign to this worker (append_model(..., on=NAME)), each in
    its own process, until Ctrl-C or SIGTERM. Needs EXCHANGES_REDIS_URL."""
    os.environ.setdefault("EXCHANGES_LOG_LEVEL", "WARNING")
    try:
        w = Worker(name, heartbeat=heartbeat)
        Console(stderr=True).print(f"worker {w.name!r} on {w.host}: waiting for models")
        asyncio.run(w.run())
    except ExchangeError as exc:
        raise fail(exc) from None


async def _status_lines(url: str) -> list[dict[str, Any]]:
    conn = await connect(url)
    try:
        return await read_all(conn)
    finally:
        await conn.release()


@bots_app.command("status", cls=Command)
def status() -> None:
    """Every model of every runner and worker sharing EXCHANGES_REDIS_URL."""
    url = get_settings().redis_url
    if not url:
        raise stop("bots status: set EXCHANGES_REDIS_URL (the runners' Redis)")
    try:
        lines = asyncio.run(_status_lines(url))
    except ExchangeError as exc:
        raise fail(exc) from None
    table = Table(
        "runner", "model", "symbol", "host", "worker", "pid", "state", "restarts", "error"
    )
    for line in lines:
        runner = line["runner"] + ("" if line["runner_alive"] else " (gone)")
        worker = line.get("worker") or "-"
        if line.get("worker") and not line.get("worker_alive"):
            worker += " (gone)"
        table.add_row(
            runner, line["name"], line["symbol"], line["host"], worker,
            str(line["pid"] or "-"), line["state"], str(line["restarts"]),
            line["last_error"] or "",
        )  # fmt: skip
    Console().print(table if lines else "no bots")
