"""What may travel between a runner and its bots: JSON values, named keys, and the errors
that refuse anything else at the call (in the calling process, never in another one)."""

from __future__ import annotations

import json
from typing import Any

from core import BadRequest, ConfigurationError

#: ``send(to="*")``: every model but the sender
EVERYONE = "*"


class BotError(BadRequest):
    """Root of the errors of the bots room."""


class NotJsonError(BotError, TypeError):
    """A state value or a message is not JSON-serialisable (names the key)."""


class UnknownModelError(BotError, LookupError):
    """No model has that name or symbol."""


class ModelDefinitionError(ConfigurationError, ValueError):
    """A model class or its arguments cannot be run in a child process."""


def dumps(value: Any, *, what: str) -> str:
    """``value`` as one line of strict JSON (no NaN, string keys), or :class:`NotJsonError`
    naming ``what`` (``state key 'last'``, ``message to 'ETH/USDT'``)."""
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise NotJsonError(f"{what}: the value is not JSON-serialisable ({exc})") from None


def copy_json(value: Any, *, what: str) -> Any:
    """A checked, independent copy of ``value`` (what a reader gets back)."""
    return json.loads(dumps(value, what=what))


def check_key(key: Any) -> str:
    """A state key: a non-empty string."""
    if not isinstance(key, str) or not key:
        raise NotJsonError(f"state key {key!r}: keys are non-empty strings")
    return key
