"""The one interface state and messages go through, and its embedded implementation.

A backend holds, per model (by name): a state (a JSON object) and a message inbox. The
runner and its bots see the same backend through :class:`StateBackend`; the embedded one is
:class:`MemoryBackend`, living in the runner and reached by the bots over the runner's
socket (:mod:`exchanges.bots._wire`). A Redis backend plugs in behind the same Protocol
(state: one hash per model, ``HSET``/``HDEL``/``HGETALL`` with JSON values; inbox: one
stream per model, ``XADD``/``XREAD BLOCK``) and its :class:`BackendSpec` would carry the URL
to the children instead of the socket path. Values reach a backend already checked
(:func:`exchanges.bots._values.dumps`); a backend stores JSON, never Python objects.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from exchanges.bots._values import EVERYONE, UnknownModelError, dumps


@dataclass(frozen=True, slots=True)
class Message:
    """A message received by a model: who sent it (a model name, or ``"runner"``) and the
    JSON value sent."""

    sender: str
    body: Any


@runtime_checkable
class StateBackend(Protocol):
    """State and messages of the models of one runner. Every method is a coroutine."""

    async def register(self, name: str, symbol: str) -> None:
        """Make a model known (idempotent); its state starts empty and is kept across
        restarts of its process."""

    async def get_state(self, name: str) -> dict[str, Any]:
        """A copy of the model's state."""

    async def update_state(self, name: str, key: str, value: Any) -> None:
        """Set one key of the model's state."""

    async def remove_key(self, name: str, key: str) -> None:
        """Remove one key (no error when absent)."""

    async def publish(self, sender: str, to: str, body: Any) -> list[str]:
        """Queue ``body`` for the model named ``to`` (by name, else by symbol) or, with
        ``to="*"``, for every model but the sender; the names it was queued for."""

    async def receive(self, name: str) -> Message:
        """The model's next message, waiting for one; first queued, first received."""

    async def close(self) -> None:
        """Release connections (the embedded backend has none)."""


class BackendSpec(Protocol):
    """What a bot process needs to reach the backend (picklable: it crosses ``spawn``)."""

    async def connect(self, name: str) -> StateBackend:
        """A backend for the model ``name``, opened in the calling process and loop."""


def model_name(which: str, symbols: Mapping[str, str]) -> str:
    """The model ``which`` names: a model's name, or the symbol of exactly one model
    (``symbols``: name -> symbol). :class:`UnknownModelError` otherwise."""
    if which in symbols:
        return which
    named = [n for n, s in symbols.items() if s == which]
    if len(named) == 1:
        return named[0]
    if named:
        raise UnknownModelError(f"{which!r} is the symbol of {sorted(named)}: use a name")
    raise UnknownModelError(f"no model named {which!r} or trading it")


class MemoryBackend:
    """The embedded backend: dicts and inboxes in the runner's process."""

    def __init__(self) -> None:
        self._symbols: dict[str, str] = {}
        self._state: dict[str, dict[str, str]] = {}  # name -> key -> JSON text
        self._inbox: dict[str, deque[Message]] = {}
        self._arrived: dict[str, asyncio.Event] = {}

    def __repr__(self) -> str:
        return f"<MemoryBackend models={len(self._symbols)}>"

    def _name(self, which: str) -> str:
        return model_name(which, self._symbols)

    async def register(self, name: str, symbol: str) -> None:
        self._symbols[name] = symbol
        self._state.setdefault(name, {})
        self._inbox.setdefault(name, deque())
        self._arrived.setdefault(name, asyncio.Event())

    async def get_state(self, name: str) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self._state[self._name(name)].items()}

    async def update_state(self, name: str, key: str, value: Any) -> None:
        self._state[self._name(name)][key] = dumps(value, what=f"state key {key!r}")

    async def remove_key(self, name: str, key: str) -> None:
        self._state[self._name(name)].pop(key, None)

    async def publish(self, sender: str, to: str, body: Any) -> list[str]:
        text = dumps(body, what=f"message to {to!r}")
        names = [n for n in self._symbols if n != sender] if to == EVERYONE else [self._name(to)]
        for name in names:
            self._inbox[name].append(Message(sender, json.loads(text)))
            self._arrived[name].set()
        return names

    async def receive(self, name: str) -> Message:
        name = self._name(name)
        inbox, arrived = self._inbox[name], self._arrived[name]
        while not inbox:
            arrived.clear()
            await arrived.wait()
        return inbox.popleft()

    async def close(self) -> None:
        return None
