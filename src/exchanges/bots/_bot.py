"""``Bot``: the base class of a model; its ``main`` runs in a process of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from core import Settings
from exchanges._base import BaseExchange
from exchanges.bots._backend import Message, StateBackend
from exchanges.bots._values import check_key, dumps


class Bot:
    """Subclass it and write ``async def main(self, args)``. Inside ``main``:

    * ``self.exchange``: a ready adapter, built in this process by
      ``ExchangeFactory.get_exchange(venue, account=..., endpoint=...)``
      (``self.exchange.raw`` is the ccxt.pro client, for direct venue calls);
    * ``self.symbol``, ``self.venue``, ``self.account``, ``self.name``, ``self.args``,
      ``self.settings`` (the library's settings in this process);
    * ``self.initial_state``: the balances of the symbol's base and quote currencies when
      the bot started (``{}`` without keys);
    * ``get_state()``, ``update_state(key, value)``, ``remove_key(key)``: this model's state,
      kept by the runner across restarts of the process; values are JSON;
    * ``send(to, message)`` to a model by name or symbol, or to every other one with
      ``to="*"``, and ``async for message in self.messages()``.

    The class must be importable by module path (defined at the top level of a module):
    the bot's process imports it.
    """

    exchange: BaseExchange
    symbol: str
    venue: str
    account: str | None
    name: str
    args: dict[str, Any]
    settings: Settings
    initial_state: dict[str, Any]
    _backend: StateBackend

    def __repr__(self) -> str:
        name, venue = getattr(self, "name", "?"), getattr(self, "venue", "?")
        return f"<{type(self).__name__} {name} on {venue}>"

    async def main(self, args: dict[str, Any]) -> None:
        """The bot's work. Returning ends the model (``stopped``); raising restarts it."""
        raise NotImplementedError

    async def get_state(self) -> dict[str, Any]:
        """A copy of this model's state."""
        return await self._backend.get_state(self.name)

    async def update_state(self, key: str, value: Any) -> None:
        """Set ``key`` to ``value`` (JSON-serialisable: refused here otherwise)."""
        check_key(key)
        dumps(value, what=f"state key {key!r}")
        await self._backend.update_state(self.name, key, value)

    async def remove_key(self, key: str) -> None:
        """Remove ``key`` from this model's state (nothing happens when absent)."""
        await self._backend.remove_key(self.name, check_key(key))

    async def send(self, to: str, message: Any) -> list[str]:
        """Send ``message`` (JSON) to a model by name or symbol, or to all others (``"*"``);
        the names of the models it was queued for."""
        dumps(message, what=f"message to {to!r}")
        return await self._backend.publish(self.name, to, message)

    async def messages(self) -> AsyncIterator[Message]:
        """The messages sent to this model, in order, as they come (``.sender``, ``.body``)."""
        while True:
            yield await self._backend.receive(self.name)
