"""How every ``exchanges`` subcommand reports an error: one line and a non-zero exit code,
or the traceback with ``exchanges --debug``.

Exit codes (docs/cli.md): 0 done; 1 an error (the venue, the network, credentials, a value
refused before sending, a confirmation refused); 2 the command line itself is wrong
(click's usage errors); 3 an order whose outcome is unknown (it may exist: look it up by
client order id before trying again); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import typer

from core import OrderStateUnknown

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_ORDER_UNKNOWN = 3
EXIT_INTERRUPTED = 130


class _Flags:
    debug = False


flags = _Flags()


def _say(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)


def fail(exc: Exception) -> typer.Exit:
    """``raise fail(exc) from None``: print one line (never wrapped) and exit 1 (3 for
    :class:`core.OrderStateUnknown`)."""
    if flags.debug:
        raise exc
    _say(f"error: {exc}")
    return typer.Exit(code=EXIT_ORDER_UNKNOWN if isinstance(exc, OrderStateUnknown) else EXIT_ERROR)


def stop(message: str, code: int = EXIT_ERROR) -> typer.Exit:
    """``raise stop("...")``: a refusal that is not a bug (no traceback, even with --debug)."""
    _say(f"error: {message}")
    return typer.Exit(code=code)


def interrupted(note: str | None = None) -> typer.Exit:
    """``raise interrupted(note)`` after Ctrl-C: one line, exit code 130."""
    _say("interrupted" + (f": {note}" if note else ""))
    return typer.Exit(code=EXIT_INTERRUPTED)
