"""Venue name -> adapter class. Venue subclasses register themselves on import; any other
ccxt.pro id falls back to the generic :class:`CcxtExchange`."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import TypeVar

from core import ConfigurationError
from exchanges._base import BaseExchange
from exchanges.ccxt._adapter import CcxtExchange, ccxt_venues

A = TypeVar("A", bound=type[BaseExchange])

_registry: dict[str, type[BaseExchange]] = {}


def register(name: str, adapter: type[BaseExchange]) -> type[BaseExchange]:
    """Map ``name`` to ``adapter`` (a :class:`BaseExchange` subclass)."""
    if not (isinstance(adapter, type) and issubclass(adapter, BaseExchange)):
        raise ConfigurationError(f"adapter: {adapter!r} is not a BaseExchange subclass")
    _registry[name.lower()] = adapter
    return adapter


def unregister(name: str) -> None:
    """Forget a registration (the name falls back to the generic adapter, if a ccxt id)."""
    _registry.pop(name.lower(), None)


def registered(name: str) -> Callable[[A], A]:
    """Class decorator form of :func:`register`."""

    def decorate(adapter: A) -> A:
        register(name, adapter)
        return adapter

    return decorate


def adapter_class(name: str) -> type[BaseExchange]:
    """The registered adapter, else the generic one for a ccxt.pro id, else an error that
    lists close matches."""
    key = name.lower()
    if key in _registry:
        return _registry[key]
    if key in ccxt_venues():
        return CcxtExchange
    known = sorted(set(_registry) | set(ccxt_venues()))
    close = difflib.get_close_matches(key, known, n=5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ConfigurationError(f"venue: {name!r} is neither registered nor a ccxt.pro id{hint}")


def registered_venues() -> dict[str, type[BaseExchange]]:
    return dict(_registry)
