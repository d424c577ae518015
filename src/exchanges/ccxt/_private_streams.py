"""One adapter's private streams share one set of credentials, and so one refusal.

A venue that refuses the credentials (a wrong secret, a revoked key) refuses every private
channel they sign, not just the one that asked first. ccxt does not say so to the others:
on binance the balance, order and fill streams all wait on one user-data subscription
(``userDataStream.subscribe.signature`` on the WebSocket API), and when the venue refuses
it ccxt's handler fails with ``KeyError('spot')`` before it rejects what the other callers
wait on, so they wait for ever; a later caller waits on the same future.

:class:`CredentialGate` keeps the refusal as the adapter's state. Every private watch goes
through :meth:`CredentialGate.watch`: once the venue refused the credentials, a pending
watch of any private channel fails with :class:`core.AuthenticationError` at once (within
the event-loop step that brought the refusal), and a later one fails before anything is
sent. Public streams do not pass through it and keep working.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from contextlib import suppress
from typing import TypeVar

from core import AuthenticationError, translate_errors

T = TypeVar("T")


class CredentialGate:
    """The refusal shared by one adapter's private channels (see the module docstring)."""

    def __init__(self, venue: str) -> None:
        self._venue = venue
        #: the venue's first refusal of these credentials, if any
        self.refusal: AuthenticationError | None = None
        self._refused: asyncio.Future[None] | None = None  # resolved at the refusal

    def check(self, method: str) -> None:
        """Raise :class:`core.AuthenticationError` if the venue refused these credentials."""
        first = self.refusal
        if first is not None:
            raise type(first)(
                f"{method}: the venue refused this adapter's credentials ({first})",
                venue=self._venue,
                method=method,
            ) from first

    def refuse(self, error: AuthenticationError) -> None:
        """Record the venue's refusal (the first one counts); every pending private watch
        fails with it."""
        if self.refusal is not None:
            return
        self.refusal = error
        waiter = self._refused
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _waiter(self) -> asyncio.Future[None]:
        waiter = self._refused
        if waiter is None or waiter.get_loop() is not asyncio.get_running_loop():
            waiter = self._refused = asyncio.get_running_loop().create_future()
        return waiter

    async def watch(self, method: str, awaitable: Awaitable[T]) -> T:
        """Await a private ``watch_*`` of the venue client, translating its errors; fail
        with :class:`core.AuthenticationError` as soon as any private channel of this
        adapter was refused (recording this one's refusal for the others)."""
        if self.refusal is not None:
            if asyncio.iscoroutine(awaitable):
                awaitable.close()  # never started: nothing was sent
            self.check(method)
        watch: asyncio.Future[T] = asyncio.ensure_future(awaitable)
        refused = self._waiter()
        try:
            await asyncio.wait((watch, refused), return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not watch.done():  # cancelled, or refused: the venue client's wait goes
                watch.cancel()
                with suppress(BaseException):
                    await watch
        if watch.cancelled():
            self.check(method)
        try:
            with translate_errors(self._venue, method):
                return watch.result()
        except AuthenticationError as exc:
            self.refuse(exc)
            raise
