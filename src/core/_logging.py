"""structlog configured once, for the library's own lines and for ccxt's.

``configure_logging()`` installs one stdlib handler whose formatter runs structlog's
processors, so ccxt's DEBUG request dumps and this library's events share the same
redaction and the same renderer (console for humans, JSON for machines).

Redaction is applied twice on purpose:

* a structlog processor masks every string value of every event;
* a :class:`RedactingFilter` is attached to ccxt's loggers even when the application
  configures logging itself, so ccxt's request/response dumps (which carry
  ``X-MBX-APIKEY`` and signed URLs) are masked before any handler sees them.

ccxt's ``verbose`` output does not go through ``logging`` at all: ccxt calls
``self.log(...)``, which is ``print``. Adapters hand ccxt :func:`ccxt_log_hook` for it, so
those lines become redacted DEBUG events (``ccxt.verbose``) instead of stdout.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, MutableMapping
from typing import IO, Any

import structlog

from core._redact import redact, redact_all
from core._settings import Settings, get_settings

CCXT_LOGGERS = ("ccxt", "ccxt.base.exchange", "ccxt.async_support.base.exchange")

_configured = False


class RedactingFilter(logging.Filter):
    """Masks secrets in a stdlib log record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.args:
            if isinstance(record.args, MutableMapping):
                record.args = {k: redact_all([v])[0] for k, v in record.args.items()}
            else:
                record.args = redact_all(record.args)
        return True


def redact_event(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask secrets in every string (or stringified) value."""
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = redact(value)
        elif isinstance(value, BaseException):
            event_dict[key] = redact(repr(value))
    return event_dict


def protect_ccxt_loggers() -> None:
    """Attach the redacting filter to ccxt's loggers (idempotent)."""
    for name in CCXT_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


def ccxt_log_hook(venue: str) -> Callable[..., None]:
    """ccxt's ``log`` for one venue's client (``print`` by default; ccxt passes it on to
    its WebSocket clients): each ``verbose`` line as a DEBUG event ``ccxt.verbose``, masked
    before the logger sees it (an application's own structlog setup may not redact)."""
    logger = get_logger("ccxt.verbose")

    def log(*args: object) -> None:
        line = " ".join(str(arg) for arg in args).strip()
        logger.debug("ccxt.verbose", venue=venue, line=redact(line))

    return log


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_event,
    ]


def configure_logging(
    settings: Settings | None = None, *, stream: IO[str] | None = None, force: bool = False
) -> None:
    """Configure structlog and the stdlib root logger once per process.

    Call it from applications (the CLI does); libraries embedding this one may skip it and
    keep their own logging, and still get ccxt's lines redacted.
    """
    global _configured
    protect_ccxt_loggers()
    if _configured and not force:
        return
    settings = settings or get_settings()
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=_shared_processors(),
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_exchanges_handler", False)]:
        root.removeHandler(old)
    handler._exchanges_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    _configured = True


class _LibraryLogger:
    """The library's logger for ``name``: structlog's, as configured, once anyone has
    configured structlog (:func:`configure_logging` does); until then the stdlib's
    convention for a library: a :mod:`logging` record on logger ``name``, so nothing
    shows below WARNING, and warnings go to stderr, until the application configures
    logging. Never structlog's unconfigured default, which prints every level to stdout."""

    __slots__ = ("_configured", "_stdlib")

    def __init__(self, name: str) -> None:
        self._configured = structlog.get_logger(name)
        self._stdlib = structlog.wrap_logger(
            logging.getLogger(name),
            processors=[
                structlog.stdlib.filter_by_level,
                structlog.processors.format_exc_info,
                redact_event,
                structlog.processors.KeyValueRenderer(key_order=["event"]),
            ],
            wrapper_class=structlog.stdlib.BoundLogger,
        )

    def __getattr__(self, attr: str) -> Any:
        target = self._configured if structlog.is_configured() else self._stdlib
        return getattr(target, attr)


def get_logger(name: str) -> Any:
    """The logger to use in the library's modules (``get_logger(__name__)``): see
    :class:`_LibraryLogger` for where its lines go."""
    return _LibraryLogger(name)
