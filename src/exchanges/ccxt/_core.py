"""``CcxtCore``: the generic ccxt.pro adapter's lifecycle, on its markets and plumbing.

``connect()`` joins the host's Redis when ``EXCHANGES_REDIS_URL`` is set (the request budget
goes through it), loads the markets once and starts the clock sync; ``close()`` lets the
writes in flight settle (bounded), then closes ccxt's client and the Redis connection. The
class chain: :class:`~exchanges.ccxt._base_client.CcxtBase` (construction, identity,
plumbing), :class:`~exchanges.ccxt._markets.CcxtMarkets` (markets), ``CcxtCore`` (this),
then the methods (:class:`CcxtExchange`); the feeds and private streams type against
``CcxtCore``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from core import get_logger, translate_errors
from exchanges.ccxt._base_client import ccxt_venues, unknown_venue
from exchanges.ccxt._markets import CcxtMarkets
from exchanges.sharing import connect as connect_sharing
from exchanges.sharing._redis_budget import budget_on

__all__ = ["CcxtCore", "ccxt_venues", "unknown_venue"]

log = get_logger(__name__)


class CcxtCore(CcxtMarkets):
    """A ccxt.pro-backed adapter for one (venue, account, market type): its connect and
    close (what the constructor takes: :class:`~exchanges.ccxt._base_client.CcxtBase`)."""

    async def _connect(self) -> None:
        url = self._settings.redis_url
        if url and self._sharing is None:
            self._sharing = await connect_sharing(url)  # ConfigurationError when unreachable
            self._guard.reservations.backend = budget_on(self._sharing)
        loading = await self._load_markets_once()
        # the clock offset (signed adapters; measured when connect talks to the venue
        # anyway, else the route's last measurement) and its periodic sync
        await self._guard.start(measure=loading)

    @asynccontextmanager
    async def _in_flight(self) -> AsyncIterator[None]:
        """Mark a write in flight: ``close()`` lets it settle before closing the client."""
        self._writes += 1
        self._writes_idle.clear()
        try:
            yield
        finally:
            self._writes -= 1
            if self._writes == 0:
                self._writes_idle.set()

    async def _close(self) -> None:
        await self._guard.close()  # the periodic clock sync: no task outlives the adapter
        # New orders are refused from the moment close() starts (the adapter is CLOSING);
        # those already sent settle (or end as OrderStateUnknown) within this bound.
        grace = self._settings.request_timeout + self._settings.order_settle_timeout
        try:
            async with asyncio.timeout(grace):
                await self._writes_idle.wait()
        except TimeoutError:
            # Those writes end as OrderStateUnknown (their lookups fail on the closed
            # client), carrying their client order ids.
            log.error("close.writes_unsettled", venue=self._venue, in_flight=self._writes)
        finally:
            # shielded: a close() cancelled by its caller still releases sessions and sockets
            with translate_errors(self._venue, "close"):
                await asyncio.shield(self._client.close())
            if self._sharing is not None:
                sharing, self._sharing = self._sharing, None
                await asyncio.shield(sharing.release())
