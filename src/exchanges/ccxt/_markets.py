"""``CcxtMarkets``: the generic adapter's markets: loaded, adopted, shared, looked up.

``connect()`` loads them once (through Redis when ``EXCHANGES_REDIS_URL`` is set and the
venue's markets carry nothing per account: one ``load_markets`` per venue, market type and
host for every process, :mod:`exchanges.sharing._markets`); ``use_markets`` and
``share_markets_from`` adopt them instead; ``market()`` looks a symbol up, naming close
matches when it is not one.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

from core import BadSymbol, ConfigurationError, Market, convert, translate_errors
from exchanges.ccxt._base_client import CcxtBase
from exchanges.sharing import Connection
from exchanges.sharing._markets import shared_markets


def _squash(symbol: str) -> str:
    """A symbol without case or separators, to recognise ``btcusdt`` as ``BTC/USDT``."""
    return "".join(c for c in symbol.upper() if c.isalnum())


class CcxtMarkets(CcxtBase):
    """Markets of a :class:`~exchanges.ccxt._base_client.CcxtBase`."""

    @property
    def markets(self) -> Mapping[str, Market]:
        """Markets loaded by ``connect()`` (empty before)."""
        return self._markets

    def market(self, symbol: str) -> Market:
        """The loaded market for ``symbol``; :class:`core.BadSymbol` naming close matches."""
        found = self._markets.get(self._args("market").symbol(symbol))
        if found is None:
            squashed = _squash(symbol)  # btcusdt, BTC-USDT: BTC/USDT in other clothes
            same = [s for s, m in self._markets.items() if squashed in (_squash(s), m.id.upper())]
            close = difflib.get_close_matches(symbol, list(self._markets), n=5)
            if same:
                hint = f"; did you mean {' or '.join(same[:3])}?"
            else:
                hint = f"; close matches: {', '.join(close)}" if close else ""
            raise BadSymbol(
                f"symbol: {symbol!r} is not a market of {self._venue}{hint}", venue=self._venue
            )
        return found

    async def _load_markets_once(self) -> bool:
        """Load the markets unless loaded (through Redis when shared); whether it loaded."""
        loading = not self._markets_loaded
        if loading and self._sharing is not None and self.share_markets:
            await self._load_shared_markets(self._sharing)
        elif loading:
            await self._load_markets(reload=False)
        return loading

    def use_markets(
        self,
        markets: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        records: Mapping[str, Market] | None = None,
        currencies: Mapping[str, Any] | None = None,
    ) -> None:
        """Adopt market metadata from a list of ccxt market dicts (ccxt's ``set_markets``,
        with ``currencies`` when given); ``connect()`` then loads nothing. ``records``: the
        same markets already converted."""
        raw = self._client.set_markets(
            list(markets.values()) if isinstance(markets, Mapping) else list(markets),
            dict(currencies) if currencies is not None else None,
        )
        self._adopt(raw, records)

    async def _load_shared_markets(self, sharing: Connection) -> None:
        """Markets through Redis: adopted from another process's load, or loaded here (one
        process of all those asking at once) and stored for the others."""

        async def load() -> tuple[list[dict[str, Any]], dict[str, Any]]:
            await self._load_markets(reload=False)
            client = self._client
            return list(client.markets.values()), dict(client.currencies or {})

        name = "|".join(
            (self._venue, self._guard.budget.host, self._market_type.value, str(self._sandbox))
        )
        (markets, currencies), adopted = await shared_markets(sharing, name, load)
        if adopted:
            with translate_errors(self._venue, "fetch_markets"):
                self.use_markets(markets, currencies=currencies)

    def share_markets_from(self, source: CcxtMarkets) -> None:
        """Use ``source``'s loaded markets, by reference (ccxt's ``set_markets_from_exchange``:
        markets, currencies and the venue's market helper tables such as kraken's altnames),
        with its immutable records; ``connect()`` then loads nothing."""
        if source.id != self.id or not source._markets_loaded:
            raise ConfigurationError(
                f"share_markets_from: {source!r} has no loaded {self.id} markets", venue=self.id
            )
        with translate_errors(self._venue, "fetch_markets"):
            self._client.set_markets_from_exchange(source.raw)
        self._markets = dict(source._markets)
        self._markets_loaded = True

    def _adopt(self, raw: Mapping[str, Any], records: Mapping[str, Market] | None = None) -> None:
        if records is None or records.keys() != raw.keys():
            mode = self._client.precisionMode
            records = {symbol: convert.market(m, mode) for symbol, m in raw.items()}
        self._markets = dict(records)
        self._markets_loaded = True

    async def _load_markets(self, *, reload: bool) -> None:
        raw = await self._read("fetch_markets", self._client.load_markets, reload)
        self._adopt(raw)
