"""How every ``exchanges`` subcommand reports an error: one line and a non-zero exit code,
or the traceback with ``exchanges --debug``.

The line is ``error: <what> (<where>): <why>``: what failed (from the error's class),
where (the field, the venue, or both), and why (the message, with the venue's prefixes,
its JSON envelope and a transport's nested causes reduced to their point), never longer
than :data:`MAX_LINE` characters. Usage errors (a bad option or argument) read the same
and exit 2 (:func:`usage_error`).

Exit codes (docs/cli.md): 0 done; 1 an error (the venue, the network, credentials, a value
refused before sending, a confirmation refused); 2 the command line itself is wrong
(click's usage errors); 3 an order whose outcome is unknown (it may exist: look it up by
client order id before trying again); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import json
import re
from typing import Any

import typer

from core import (
    AuthenticationError,
    BadRequest,
    BadSymbol,
    Banned,
    ConfigurationError,
    DuplicateOrderId,
    ExchangeClosed,
    ExchangeError,
    ExchangeUnavailable,
    InsufficientFunds,
    InvalidOrder,
    NetworkError,
    NotSupported,
    OperationRejected,
    OrderNotFound,
    OrderStateUnknown,
    PermissionDenied,
    RateLimited,
    RequestTimeout,
)

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_ORDER_UNKNOWN = 3
EXIT_INTERRUPTED = 130
MAX_LINE = 240  # characters of one error line, "error: " included

# what failed, by class: the first that matches (most specific first)
_WHAT: tuple[tuple[type[BaseException], str], ...] = (
    (OrderStateUnknown, "order outcome unknown"),
    (OrderNotFound, "order not found"),
    (DuplicateOrderId, "duplicate client order id"),
    (InsufficientFunds, "insufficient funds"),
    (BadSymbol, "unknown symbol"),
    (InvalidOrder, "invalid order"),
    (BadRequest, "request refused"),
    (PermissionDenied, "permission denied"),
    (AuthenticationError, "credentials"),
    (Banned, "banned"),
    (RateLimited, "rate limited"),
    (RequestTimeout, "timed out"),
    (NetworkError, "cannot reach the venue"),
    (ExchangeUnavailable, "venue unavailable"),
    (NotSupported, "not supported"),
    (ExchangeClosed, "adapter closed"),
    (ConfigurationError, "configuration"),
    (OperationRejected, "refused"),
    (ExchangeError, "venue error"),
    (ValueError, "invalid value"),
    (OSError, "system error"),
)
# the root of a transport failure, as ccxt and aiohttp spell it -> what it means
_ROOT_CAUSES = {
    "ConnectionRefusedError": "connection refused",
    "gaierror": "host not found",
    "ConnectionResetError": "connection reset",
    "TimeoutError": "timed out",
    "SSLCertVerificationError": "TLS certificate refused",
}
_FIELD_RE = re.compile(r"^([a-z_]+): ")
_JSON_RE = re.compile(r"\{.*\}")


class _Flags:
    debug = False


flags = _Flags()


def _say(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)


def bounded(line: str) -> str:
    """``line`` on one line, at most :data:`MAX_LINE` characters (an ellipsis if cut)."""
    line = " ".join(line.split())
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1].rstrip() + "…"


def _venue_text(text: str) -> str:
    """A venue's own words: the ``msg`` of its JSON envelope, else the text as it is."""
    found = _JSON_RE.search(text)
    if found:
        try:
            body: Any = json.loads(found.group(0))
        except ValueError:
            return text
        if isinstance(body, dict):
            said = body.get("msg") or body.get("message") or body.get("error")
            if isinstance(said, str):
                return (text[: found.start()] + said + text[found.end() :]).strip()
    return text


def describe(exc: BaseException, *, hint: str | None = None) -> str:
    """The error line for ``exc``, without ``error: ``: ``<what> (<where>): <why>``."""
    what = next((label for cls, label in _WHAT if isinstance(exc, cls)), type(exc).__name__)
    venue: str | None = getattr(exc, "venue", None)
    field: str | None = getattr(exc, "field", None)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text, _, causes = text.partition(" (caused by ")
    for _ in range(3):  # "binance: amount: ...", "binance {json}", "side: 'bye' ..."
        if venue and text.startswith(venue) and text[len(venue) : len(venue) + 1] in (":", " "):
            text = text[len(venue) + 1 :].lstrip()
        elif (m := _FIELD_RE.match(text)) and field in (None, m.group(1)):
            field = m.group(1)
            text = text[m.end() :]
    why = _venue_text(text)
    if venue:
        why = why.replace(f": {venue} ", ": ")  # a wrapped venue message: "...: binance {...}"
    if getattr(exc, "searched", None) and (account := getattr(exc, "account", None)):
        why = why.removesuffix("Searched, in order:").rstrip(" .")  # MissingCredentials
        hint = hint or f"`exchanges keys check {venue} --account {account}` shows where it looked"
    if causes:
        root = causes.rstrip(")").split(" <- ")[-1]
        name = root.partition(":")[0].strip()
        why = f"{why}: {_ROOT_CAUSES.get(name, root)}"
    where = " on ".join(w for w in (field, venue) if w)
    line = f"{what} ({where}): {why}" if where else f"{what}: {why}"
    return line if hint is None else f"{line}; {hint}"


def fail(exc: Exception, *, hint: str | None = None) -> typer.Exit:
    """``raise fail(exc) from None``: print one line (never wrapped, bounded) and exit 1
    (3 for :class:`core.OrderStateUnknown`). ``hint`` says what to do next."""
    if flags.debug:
        raise exc
    _say(bounded(f"error: {describe(exc, hint=hint)}"))
    return typer.Exit(code=EXIT_ORDER_UNKNOWN if isinstance(exc, OrderStateUnknown) else EXIT_ERROR)


def usage_error(exc: Any) -> int:
    """A command line click refused (``typer``'s vendored ``UsageError``), as one error
    line: ``error: invalid value (--depth): ...; see exchanges book --help``. Returns the
    exit code (2)."""
    param = getattr(exc, "param", None)
    message = str(getattr(exc, "message", "") or exc)
    if param is not None and param.param_type_name == "option":
        where = param.opts[0] if param.opts else param.name
    elif param is not None:
        where = param.metavar or (param.name or "").upper()
    else:
        where = getattr(exc, "param_hint", None)
    kind = type(exc).__name__
    if kind == "MissingParameter":
        what, message = f"missing {param.param_type_name if param else 'value'}", "required"
    elif kind == "BadParameter":
        what = "invalid value"
        message = message.removeprefix("Value error, ")
    elif kind == "NoSuchOption":
        what, where = "no such option", getattr(exc, "option_name", None)
        possible = getattr(exc, "possibilities", None)
        message = f"did you mean {', '.join(possible)}?" if possible else "not an option here"
    else:
        what = "usage"
    ctx = getattr(exc, "ctx", None)
    see = f"; see {ctx.command_path} --help" if ctx is not None else ""
    head = f"{what} ({where})" if where else what
    _say(bounded(f"error: {head}: {message.rstrip('.')}{see}"))
    return EXIT_USAGE


def stop(message: str, code: int = EXIT_ERROR) -> typer.Exit:
    """``raise stop("...")``: a refusal that is not a bug (no traceback, even with --debug)."""
    _say(bounded(f"error: {message}"))
    return typer.Exit(code=code)


def interrupted(note: str | None = None) -> typer.Exit:
    """``raise interrupted(note)`` after Ctrl-C: one line, exit code 130."""
    _say("interrupted" + (f": {note}" if note else ""))
    return typer.Exit(code=EXIT_INTERRUPTED)
