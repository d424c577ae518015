"""What the venue-facing ``exchanges`` commands share: their options, how they open an
adapter (through :class:`ExchangeFactory`, credentials from :class:`keys.KeyManager`,
exactly as a service does), how they run, and how they print.

A command runs in one :class:`Session`: an event loop kept across steps
(:class:`asyncio.Runner`), so a command can load markets, stop to ask for confirmation
with Ctrl-C still working, and then place an order on the same adapter. Errors from the
library end the command with one line (:func:`exchanges.cli._errors.fail`), Ctrl-C with
exit code 130, and the factory closes every adapter on the way out.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from collections.abc import Coroutine, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from core import ExchangeError, MarketType, OrderStateUnknown
from exchanges._base import BaseExchange
from exchanges.cli._errors import fail, interrupted, stop
from exchanges.cli._keys import KeysFile as KeysFile  # the keys commands' option, shared
from exchanges.factory._factory import ExchangeFactory

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)

# ---------------------------------------------------------------------- shared options
Venue = Annotated[str, typer.Argument(help="Venue id (ccxt's), e.g. binance.")]
Symbol = Annotated[str, typer.Argument(help="Unified symbol, e.g. BTC/USDT.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON (numbers as exact strings).")]
Endpoint = Annotated[
    str | None,
    typer.Option(
        "--endpoint",
        metavar="URL",
        help="Send every call to this server instead of the venue (a simulator's endpoint).",
    ),
]
Sandbox = Annotated[bool, typer.Option("--sandbox", help="Use the venue's testnet.")]
MarketTypeOption = Annotated[
    MarketType | None,
    typer.Option(
        "--market-type",
        case_sensitive=False,
        help="Market type (default: EXCHANGES_MARKET_TYPE, spot).",
    ),
]
Account = Annotated[
    str,
    typer.Option("--account", "-a", help="Account whose keys the key manager resolves."),
]
PublicAccount = Annotated[
    str | None,
    typer.Option(
        "--account", "-a", help="Account whose keys to use (default: none, public data only)."
    ),
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


@dataclasses.dataclass(frozen=True, slots=True)
class Target:
    """Which adapter a command needs: what ``ExchangeFactory.get_exchange`` is given."""

    venue: str
    account: str | None = None
    market_type: str | None = None
    endpoint: str | None = None
    sandbox: bool = False
    keys_file: Path | None = None

    def __post_init__(self) -> None:
        if self.sandbox and self.endpoint is not None:  # which server? refuse to guess
            raise typer.BadParameter(
                "--sandbox and --endpoint contradict each other: --endpoint already names "
                "the server (a simulator's, a testnet's); give one of them",
                param_hint="--sandbox",
            )

    @property
    def who(self) -> str:
        return self.venue if self.account is None else f"{self.venue}/{self.account}"


# ---------------------------------------------------------------------- running
class Session:
    """One command's event loop and factory. ``run`` shows a spinner while it waits when
    stdout is a terminal. ``pending`` says what to do if the step under way is cut short
    (an order being sent); it is printed after Ctrl-C or an unknown order outcome."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.pending: str | None = None
        self._runner = asyncio.Runner()
        key_manager = None
        if target.keys_file is not None:
            from keys import KeyManager

            key_manager = KeyManager(keys_file=target.keys_file)
        self._factory = ExchangeFactory(key_manager=key_manager)

    def run(self, coro: Coroutine[Any, Any, T], doing: str) -> T:
        """Run ``coro``; a spinner says ``doing`` meanwhile (none when empty: live views)."""
        if not doing or not console.is_terminal:
            return self._runner.run(coro)
        with console.status(f"{doing}..."):
            return self._runner.run(coro)

    def open(self) -> BaseExchange:
        """The adapter, connected (markets loaded), credentials resolved when an account
        is named."""
        t = self.target
        return self.run(
            self._factory.get_exchange(
                t.venue,
                account=t.account,
                market_type=t.market_type,
                endpoint=t.endpoint,
                sandbox=t.sandbox or None,  # not asked: the EXCHANGES_SANDBOX setting
            ),
            f"connecting to {t.who}",
        )

    def close(self) -> None:
        try:
            self._runner.run(self._factory.close_all())
        finally:
            self._runner.close()


@contextmanager
def session(target: Target) -> Iterator[Session]:
    """``with session(target) as s:`` -- library errors become one line and exit code 1
    (3 for an unknown order outcome), Ctrl-C exit code 130; adapters are closed."""
    s = Session(target)
    try:
        try:
            yield s
        finally:
            s.close()
    except KeyboardInterrupt:
        raise interrupted(s.pending) from None
    except ExchangeError as exc:
        failed = fail(exc)
        if isinstance(exc, OrderStateUnknown) and s.pending:
            err_console.print(f"  {s.pending}", highlight=False, soft_wrap=True)
        raise failed from None


def confirm(question: str, yes: bool, *, otherwise: str) -> None:
    """Go on when ``yes``, or when a person at the terminal says so; otherwise stop with
    ``otherwise`` (what did not happen). The prompt goes to stderr: stdout stays the
    command's result."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise stop(
            f"{otherwise}: stdin is not a terminal, so no one can confirm; "
            "pass --yes to go ahead without asking"
        )
    # Not typer.confirm: click turns Ctrl-C at a prompt into "Aborted!" (exit 1); here it
    # stays a KeyboardInterrupt, so the command ends like any interrupted one (exit 130).
    try:
        answer = err_console.input(Text(f"{question} [y/N] "))  # Text: no markup, no colours
    except EOFError:
        answer = ""
    agreed = answer.strip().lower() in ("y", "yes")
    if not agreed:
        raise stop(f"{otherwise}: not confirmed")


# ---------------------------------------------------------------------- printing
def plain(value: Any) -> Any:
    """A record as JSON-ready data: Decimals as exact strings, enums as their values."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def print_json(data: Any, *, compact: bool = False) -> None:
    """JSON on stdout: indented, or one object a line (``compact``, for streams)."""
    if compact:
        typer.echo(json.dumps(plain(data), separators=(",", ":")))
    else:
        typer.echo(json.dumps(plain(data), indent=2))


def num(value: Decimal | float | int | None) -> str:
    """A number for a table cell: Decimals without exponent, floats as Python writes them."""
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def exact(value: float | None) -> Decimal | None:
    """A market-data float as the Decimal it was written as (for differences and means
    without binary noise: 3000.06 - 3000.0 is 0.06, not 0.0599999...)."""
    return None if value is None else Decimal(repr(value))


def when(ms: int | None) -> str:
    """Epoch milliseconds as UTC ISO time."""
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def decimal_arg(value: str, field: str, venue: str) -> Decimal:
    """A positive amount or price typed on the command line, or exit naming the field."""
    from exchanges.trading._orders import to_positive_decimal

    try:
        return to_positive_decimal(value.strip(), field, venue=venue)
    except ExchangeError as exc:
        raise fail(exc) from None
