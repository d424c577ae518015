"""The library's one error tree, and the one place where ccxt's exceptions are mapped onto it.

::

    ExchangeError                      root of everything this library raises
    ├── TransientError                 the venue or the link failed; the same call may succeed later
    │   ├── NetworkError               connection refused / reset / DNS
    │   │   └── RequestTimeout         no answer in time (a write may still have happened)
    │   ├── ExchangeUnavailable        5xx, maintenance, overload
    │   ├── RateLimited                429 / rate limit (``retry_after`` seconds when known)
    │   │   └── Banned                 418 / IP ban (``until``: epoch seconds, when known)
    │   ├── InvalidNonce               clock skew or nonce reuse (resync the clock, then retry)
    │   ├── StreamOutOfSync            an order-book sequence gap or checksum mismatch
    │   ├── BadResponse                the venue answered something unparseable
    │   └── CancelPending              a cancel was accepted but is not final yet
    ├── AuthenticationError            bad or missing credentials, bad signature
    │   └── PermissionDenied           authenticated, not allowed (key scope, region, account)
    ├── BadRequest                     the request is wrong; do not retry it unchanged
    │   ├── BadSymbol                  unknown or inactive market
    │   ├── InvalidOrder               rejected by the venue's or our own order checks
    │   │   ├── OrderNotFound          no such order (id or client order id)
    │   │   └── DuplicateOrderId       the client order id is already used
    │   └── InsufficientFunds
    ├── OperationRejected              refused by venue rules (market closed, no change)
    ├── NotSupported                   the venue or adapter lacks the method
    ├── OrderStateUnknown              a write whose outcome is unsettled (``client_order_id``)
    ├── ExchangeClosed                 the adapter was closed; it is not reusable
    ├── ConfigurationError             local configuration is wrong (proxy, endpoint, market type)
    └── VenueError                     the venue returned an error ccxt could not classify

Every class keeps the venue id (``venue``) and, when known, the library method
(``method``). Messages pass through :func:`core.redact` so they never carry an API key,
secret, signature or signed URL; the original ccxt exception is kept as ``__cause__`` with
its own arguments redacted the same way, so a traceback does not leak either.

Whether to retry is a separate question answered by :func:`is_retryable`: a transient
error is retryable for reads; a write (order placement) is never retried blindly, because a
timeout does not tell whether the order exists (see :class:`OrderStateUnknown`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from core._redact import redact


class ExchangeError(Exception):
    """Root of every error this library raises."""

    def __init__(self, message: str, *, venue: str | None = None, method: str | None = None):
        self.venue = venue
        self.method = method
        safe = redact(message)
        prefix = ""
        if venue and not safe.startswith(venue):
            prefix = f"{venue}: "
        super().__init__(prefix + safe)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class TransientError(ExchangeError):
    """The venue or the link failed; the same call may succeed later."""


class NetworkError(TransientError):
    """The connection failed (refused, reset, DNS, TLS)."""


class RequestTimeout(NetworkError):
    """No answer in time. For a write, the venue may still have applied it."""


class ExchangeUnavailable(TransientError):
    """The venue is down, overloaded or in maintenance (5xx)."""


class RateLimited(TransientError):
    """The venue refused the call for exceeding its rate limit."""

    def __init__(
        self,
        message: str,
        *,
        venue: str | None = None,
        method: str | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message, venue=venue, method=method)
        self.retry_after = retry_after


class Banned(RateLimited):
    """The venue banned the IP or account for a while (HTTP 418 on binance)."""

    def __init__(
        self,
        message: str,
        *,
        venue: str | None = None,
        method: str | None = None,
        retry_after: float | None = None,
        until: float | None = None,
    ):
        super().__init__(message, venue=venue, method=method, retry_after=retry_after)
        self.until = until


class InvalidNonce(TransientError):
    """The request's timestamp or nonce was refused: usually clock skew."""


class StreamOutOfSync(TransientError):
    """A streamed order book missed a sequence id or failed its checksum."""


class BadResponse(TransientError):
    """The venue answered with something that could not be parsed."""


class CancelPending(TransientError):
    """A cancel was accepted but the order is not final yet."""


class AuthenticationError(ExchangeError):
    """Credentials are missing, wrong or badly signed."""


class PermissionDenied(AuthenticationError):
    """Authenticated, but the key, account or location may not do this."""


class BadRequest(ExchangeError):
    """The request is wrong and will fail again unchanged.

    ``field`` names the offending argument when the adapter caught it before sending.
    """

    def __init__(
        self,
        message: str,
        *,
        venue: str | None = None,
        method: str | None = None,
        field: str | None = None,
    ):
        super().__init__(message, venue=venue, method=method)
        self.field = field


class BadSymbol(BadRequest):
    """The symbol is unknown to the venue or inactive."""


class InvalidOrder(BadRequest):
    """The order was refused, by the venue or by the adapter's own checks before sending
    (then ``field`` names the offending argument)."""


class OrderNotFound(InvalidOrder):
    """No order with that id (or client order id) exists on the venue."""


class DuplicateOrderId(InvalidOrder):
    """The client order id was already used on the venue."""


class InsufficientFunds(BadRequest):
    """The account cannot afford the order or withdrawal."""


class OperationRejected(ExchangeError):
    """A valid request the venue refuses by rule (market closed, nothing to change, ...)."""


class NotSupported(ExchangeError):
    """The venue or adapter does not provide this method."""


class OrderStateUnknown(ExchangeError):
    """A write whose outcome could not be settled; look the order up by ``client_order_id``."""

    def __init__(
        self,
        message: str,
        *,
        venue: str | None = None,
        method: str | None = None,
        client_order_id: str | None = None,
    ):
        super().__init__(message, venue=venue, method=method)
        self.client_order_id = client_order_id


class ExchangeClosed(ExchangeError):
    """The adapter was closed; create a new one."""


class ConfigurationError(ExchangeError):
    """Local configuration is wrong (endpoint, proxy, market type, options)."""


class VenueError(ExchangeError):
    """The venue returned an error that ccxt could not classify."""


# --------------------------------------------------------------------------- mapping
# ccxt class name -> our class. Looked up along the raised exception's MRO, so a ccxt
# subclass added in a later version maps to its nearest known ancestor.
_CCXT_MAP: dict[str, type[ExchangeError]] = {
    "BaseError": ExchangeError,
    "ExchangeError": VenueError,
    "AuthenticationError": AuthenticationError,
    "PermissionDenied": PermissionDenied,
    "AccountNotEnabled": PermissionDenied,
    "AccountSuspended": PermissionDenied,
    "ArgumentsRequired": BadRequest,
    "BadRequest": BadRequest,
    "BadSymbol": BadSymbol,
    "OperationRejected": OperationRejected,
    "NoChange": OperationRejected,
    "MarginModeAlreadySet": OperationRejected,
    "MarketClosed": OperationRejected,
    "ManualInteractionNeeded": OperationRejected,
    "RestrictedLocation": PermissionDenied,
    "InsufficientFunds": InsufficientFunds,
    "InvalidAddress": BadRequest,
    "AddressPending": TransientError,
    "InvalidOrder": InvalidOrder,
    "OrderNotFound": OrderNotFound,
    "OrderNotCached": OrderNotFound,
    "OrderImmediatelyFillable": InvalidOrder,
    "OrderNotFillable": InvalidOrder,
    "DuplicateOrderId": DuplicateOrderId,
    "ContractUnavailable": InvalidOrder,
    "NotSupported": NotSupported,
    "InvalidProxySettings": ConfigurationError,
    "ExchangeClosedByUser": ExchangeClosed,
    "OperationFailed": TransientError,
    "NetworkError": NetworkError,
    "DDoSProtection": RateLimited,
    "RateLimitExceeded": RateLimited,
    "ExchangeNotAvailable": ExchangeUnavailable,
    "OnMaintenance": ExchangeUnavailable,
    "InvalidNonce": InvalidNonce,
    "ChecksumError": StreamOutOfSync,
    "RequestTimeout": RequestTimeout,
    "BadResponse": BadResponse,
    "NullResponse": BadResponse,
    "CancelPending": CancelPending,
    "UnsubscribeError": VenueError,
}

# ccxt reports bans as DDoSProtection with the status: binance's own text is
# "binance 418 <reason> <body>", the generic one "<id> <METHOD> <url> 418 <reason> <body>".
# Matched at those places only: a "418" inside a URL (limit=418) is not a ban.
_BAN_RE = re.compile(r"^\S+ 418\b|\b(?:GET|POST|PUT|DELETE|PATCH) \S+ 418\b")
# ccxt's generic HTTP error text: "<id> <METHOD> <url> <status> <reason> <body>". ccxt maps
# 400/403/404 (and others) to ExchangeNotAvailable; a 4xx is not an outage to retry.
_HTTP_4XX_RE = re.compile(r"\b(?:GET|POST|PUT|DELETE|PATCH) \S+ (4\d\d)\b")
_4XX: dict[str, type[ExchangeError]] = {"401": AuthenticationError, "403": PermissionDenied}


def _detach_causes(exc: BaseException) -> str:
    """Cut ``exc``'s cause chain (aiohttp errors format their URL, signature included, in
    ``str``), returning a redacted one-line summary of what was cut."""
    parts: list[str] = []
    link = exc.__cause__ or exc.__context__
    seen: set[int] = set()
    while link is not None and id(link) not in seen and len(parts) < 5:
        seen.add(id(link))
        parts.append(f"{type(link).__name__}: {redact(str(link))}")
        link = link.__cause__ or link.__context__
    exc.__cause__ = None
    exc.__context__ = None
    exc.__suppress_context__ = True
    return " <- ".join(parts)


def _target_for(exc: BaseException) -> type[ExchangeError] | None:
    for klass in type(exc).__mro__:
        if klass.__module__.startswith("ccxt") and klass.__name__ in _CCXT_MAP:
            return _CCXT_MAP[klass.__name__]
    return None


#: what ccxt raises when its own error handling fails (binance's user-data subscription
#: raises ``KeyError('spot')`` while handling a refused signature)
_HANDLER_SLIPS = (KeyError, TypeError, ValueError, AttributeError)


def _venue_error_behind(exc: BaseException) -> BaseException | None:
    """The ccxt error ``exc`` was raised while handling, when ``exc`` is ccxt failing in
    its own error handling (a bare KeyError whose context is the venue's refusal)."""
    if not isinstance(exc, _HANDLER_SLIPS):
        return None
    seen: set[int] = set()
    link = exc.__cause__ or exc.__context__
    while link is not None and id(link) not in seen:
        if _target_for(link) is not None:
            return link
        seen.add(id(link))
        link = link.__cause__ or link.__context__
    return None


def map_exception(
    exc: BaseException, *, venue: str | None = None, method: str | None = None
) -> ExchangeError | None:
    """Translate a ccxt (or asyncio timeout) exception into this library's tree.

    Returns ``None`` for exceptions that are not ccxt's (programming errors stay as they
    are), except a KeyError, TypeError, ValueError or AttributeError raised while ccxt
    handled one of its own errors: that one (the venue's answer) is translated. The ccxt
    exception's own arguments are redacted in place, because it stays attached as
    ``__cause__`` and would otherwise print a signed URL in tracebacks.
    """
    if isinstance(exc, ExchangeError):
        return exc
    if isinstance(exc, TimeoutError):
        return RequestTimeout("timed out", venue=venue, method=method)
    behind = _venue_error_behind(exc)
    if behind is not None:
        return map_exception(behind, venue=venue, method=method)
    target = _target_for(exc)
    if target is None:
        return None
    message = redact(str(exc))
    causes = _detach_causes(exc)
    if causes:
        message = f"{message} (caused by {causes})"
    exc.args = (message,)
    if target is RateLimited and _BAN_RE.search(message):
        target = Banned
    elif target is ExchangeUnavailable and (status := _HTTP_4XX_RE.search(message)):
        target = _4XX.get(status.group(1), BadRequest)
    elif target is VenueError and "ClientPayloadError" in causes:
        target = NetworkError  # a body cut off in transit, not the venue's refusal
    return target(message, venue=venue, method=method)


@contextmanager
def translate_errors(venue: str | None = None, method: str | None = None) -> Iterator[None]:
    """Context manager: re-raise any ccxt exception as this library's (``raise ... from``)."""
    try:
        yield
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        mapped = map_exception(exc, venue=venue, method=method)
        if mapped is None or mapped is exc:
            raise
        raise mapped from _venue_error_behind(exc) or exc


def is_retryable(exc: BaseException) -> bool:
    """Whether a *read* that failed with ``exc`` may be retried as it is.

    Transient errors are retryable, except a ban (wait for it to end instead), an
    out-of-sync stream (resynchronise instead) and a refused nonce or timestamp (resync the
    clock first: the same call would fail again). Authentication, bad requests, closed
    adapters and unknown order states are never retryable. Writes must not use this
    predicate alone: see :class:`OrderStateUnknown`.
    """
    if isinstance(exc, BaseException) and not isinstance(exc, ExchangeError):
        mapped = map_exception(exc)
        if mapped is None:
            return False
        exc = mapped
    if isinstance(exc, Banned | StreamOutOfSync | InvalidNonce):
        return False
    return isinstance(exc, TransientError)


def ccxt_error_classes() -> dict[str, type[Any]]:
    """Every exception class ccxt defines, by name (for tests and diagnostics)."""
    import importlib
    import inspect

    module = importlib.import_module("ccxt.base.errors")
    return {
        name: obj
        for name, obj in vars(module).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__module__ == module.__name__
    }
