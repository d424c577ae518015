"""The ``exchanges`` command. Errors print one line and exit non-zero (``--debug`` for the
traceback); ``--json`` prints machine-readable output. docs/cli.md lists every command.

Venue commands live in their own modules: ``_market`` (markets, ticker, book, trades),
``_account`` (balance), ``_orders`` (order place/cancel/status), ``_keys`` (keys),
``_watch`` (``--watch`` and health); ``_common`` holds their shared options and how they
open an adapter."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import tomllib
from collections.abc import Coroutine
from decimal import Decimal
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from core import ExchangeError, configure_logging, get_settings
from exchanges.cli._account import balance
from exchanges.cli._bots import bots_app
from exchanges.cli._errors import EXIT_ERROR, EXIT_USAGE, bounded, fail, flags, usage_error
from exchanges.cli._help import APP_SETTINGS, Command, Group
from exchanges.cli._keys import keys_app
from exchanges.cli._market import book, markets, ticker, trades
from exchanges.cli._orders import order_app
from exchanges.cli._watch import health

app = typer.Typer(
    name="exchanges", help="A unified async exchange layer on ccxt.pro.", cls=Group, **APP_SETTINGS
)
console = Console()
for _command in (markets, ticker, book, trades, balance, health):
    app.command(cls=Command)(_command)
app.add_typer(order_app, name="order")
app.add_typer(keys_app, name="keys")
app.add_typer(bots_app, name="bots")


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks on errors, and INFO log lines.")
    ] = False,
) -> None:
    flags.debug = debug
    settings = get_settings()
    if not debug and "log_level" not in settings.model_fields_set:
        # A command's output is its result; the library's INFO lines (adapter ready, order
        # sent) are for services. Warnings still show; EXCHANGES_LOG_LEVEL overrides.
        settings = settings.model_copy(update={"log_level": "WARNING"})
    configure_logging(settings)


async def _venue_rows(names: list[str]) -> list[dict[str, Any]]:
    from exchanges import adapter_class

    rows: list[dict[str, Any]] = []
    for name in names:
        adapter = adapter_class(name)(name)  # type: ignore[call-arg]
        try:
            caps = adapter.capabilities
            rows.append(
                {
                    "venue": name,
                    "adapter": type(adapter).__name__,
                    "capabilities": caps.as_dict(),
                }
            )
        finally:
            await adapter.close()
    return rows


@app.command(cls=Command)
def venues(
    names: Annotated[list[str] | None, typer.Argument(help="Venue ids (default: all).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List supported venues and what each can do (no network)."""
    from exchanges import ccxt_venues

    try:
        rows = asyncio.run(_venue_rows(names or ccxt_venues()))
    except ExchangeError as exc:
        raise fail(exc) from None
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    console.print(venues_view(rows))


# a capability -> its header (headers wrap; venue and adapter names never do)
_VENUE_COLUMNS = {
    "fetch_ticker": "ticker",
    "place_order": "place order",
    "watch_trades": "watch trades",
    "watch_order_book": "watch book",
    "watch_orders": "watch orders",
}
_SUPPORT = {"native": "native", "emulated": "emul.", "no": "-"}


def venues_view(rows: list[dict[str, Any]]) -> Table:
    """Each venue's adapter and what it supports, narrow enough for 80 columns."""
    table = Table(
        title=f"{len(rows)} venue{'' if len(rows) == 1 else 's'}",
        caption="native: the venue's own endpoint; emul.: ccxt builds it from other calls",
        box=None,
        pad_edge=False,
    )
    for name in ("venue", "adapter"):
        longest = max((len(r[name]) for r in rows), default=len(name))
        table.add_column(name, no_wrap=True, min_width=longest)
    for header in _VENUE_COLUMNS.values():
        table.add_column(header)
    for row in rows:
        caps = row["capabilities"]
        support = (_SUPPORT.get(caps[c], caps[c]) for c in _VENUE_COLUMNS)
        table.add_row(row["venue"], row["adapter"], *support)
    return table


async def _until_signalled(coro: Coroutine[Any, Any, None]) -> None:
    """Run ``coro`` until it ends or SIGINT/SIGTERM arrives, then let it clean up."""
    task = asyncio.ensure_future(coro)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        if not task.cancelled():
            raise
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


@app.command(cls=Command)
def simulator(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).")] = 8765,
    rate: Annotated[float, typer.Option(help="Book updates per second per symbol.")] = 4.0,
    symbols: Annotated[
        list[str] | None,
        typer.Option("--symbols", "-s", help="Symbols, comma-separated or repeated."),
    ] = None,
    firehose: Annotated[
        bool, typer.Option(help="Market data as fast as the sockets take (benchmarks).")
    ] = False,
    accounts: Annotated[
        Path | None,
        typer.Option(
            help="TOML file of extra accounts: [accounts.NAME] api_key, secret, balances."
        ),
    ] = None,
    max_connections: Annotated[
        int | None,
        typer.Option(help="Connections served at once [default: from the open-file limit]."),
    ] = None,
    header_timeout: Annotated[
        float | None, typer.Option(help="Seconds for a request head to arrive [default: 10].")
    ] = None,
    body_timeout: Annotated[
        float | None, typer.Option(help="Seconds for a request body to arrive [default: 10].")
    ] = None,
    keepalive_timeout: Annotated[
        float | None, typer.Option(help="Seconds an idle connection is kept [default: 75].")
    ] = None,
) -> None:
    """Run the bundled Binance-protocol simulator until Ctrl-C / SIGTERM."""
    from exchanges.simulator import DEFAULT_SYMBOLS, ServerLimits, serve

    chosen = [s.strip() for item in symbols or DEFAULT_SYMBOLS for s in item.split(",") if s]
    given: dict[str, Any] = {
        "max_connections": max_connections,
        "header_timeout": header_timeout,
        "body_timeout": body_timeout,
        "keepalive_timeout": keepalive_timeout,
    }
    try:
        extra = _read_sim_accounts(accounts) if accounts else []
        limits = ServerLimits(**{k: v for k, v in given.items() if v is not None})
    except (OSError, ValueError) as exc:
        raise fail(exc) from None

    def add_accounts(sim: Any) -> None:
        for name, key, secret, balances in extra:
            sim.add_account(key, secret, balances=balances)
            typer.echo(f"  account   {name}: {key} ({', '.join(balances) or 'no balances'})")

    try:
        asyncio.run(
            _until_signalled(
                serve(port, rate, chosen, on_ready=add_accounts, firehose=firehose, limits=limits)
            )
        )
    except OSError as exc:  # port in use, permission denied
        raise fail(exc) from None
    typer.echo("simulator stopped")


def _read_sim_accounts(path: Path) -> list[tuple[str, str, str, dict[str, Decimal]]]:
    """Simulator accounts from TOML (test credentials, not real keys)."""
    with path.open("rb") as handle:
        doc = tomllib.load(handle)
    out = []
    for name, entry in (doc.get("accounts") or {}).items():
        try:
            key, secret = str(entry["api_key"]), str(entry["secret"])
            balances = {str(a): Decimal(str(v)) for a, v in (entry.get("balances") or {}).items()}
        except (KeyError, TypeError, ArithmeticError) as exc:
            raise ValueError(f"{path}: accounts.{name}: {exc!r}") from None
        out.append((str(name), key, secret, balances))
    return out


@app.command("simulator-fault", cls=Command)
def simulator_fault(
    fault: Annotated[str, typer.Argument(help="A Faults method: stall, drop_connections, ...")],
    args: Annotated[
        list[str] | None, typer.Argument(help="The method's arguments as name=value.")
    ] = None,
    endpoint: Annotated[str, typer.Option(help="The running simulator.")] = "http://127.0.0.1:8765",
) -> None:
    """Inject a fault into a running simulator (e.g. `stall scope=btcusdt@trade duration=5`)."""
    body: dict[str, Any] = {"fault": fault}
    for item in args or []:
        name, sep, raw = item.partition("=")
        if not sep:
            raise fail(ValueError(f"argument {item!r}: expected name=value"))
        try:
            body[name] = json.loads(raw)  # numbers, true/false, null
        except ValueError:
            body[name] = raw

    async def send() -> tuple[int, Any]:
        import aiohttp

        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{endpoint.rstrip('/')}/_sim/faults", json=body) as reply,
        ):
            return reply.status, await reply.json()

    try:
        status, answer = asyncio.run(send())
    except OSError as exc:
        raise fail(exc) from None
    if status != 200:
        raise fail(ValueError(answer.get("error", answer)))
    typer.echo(f"injected {answer['fault']}: {answer['result']}")


@app.command("version", cls=Command)
def show_version() -> None:
    """Print the library's and ccxt's versions."""
    import ccxt

    try:
        own = version("exchanges")
    except PackageNotFoundError:
        own = "unknown"
    typer.echo(f"exchanges {own} (ccxt {ccxt.__version__})")


def main() -> None:
    """The ``exchanges`` command: every failure, the command line's own included, ends
    with one ``error:`` line (exit 2 for a usage error)."""
    command = typer.main.get_command(app)
    try:
        code = command.main(standalone_mode=False)
    except typer.TyperException as exc:  # click's UsageError and kin (typer vendors click)
        if getattr(exc, "exit_code", EXIT_ERROR) == EXIT_USAGE:
            sys.exit(usage_error(exc))
        typer.secho(bounded(f"error: {exc}"), fg=typer.colors.RED, err=True)
        sys.exit(getattr(exc, "exit_code", EXIT_ERROR))
    except typer.Abort:
        typer.secho("error: aborted", fg=typer.colors.RED, err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(code if isinstance(code, int) else 0)
