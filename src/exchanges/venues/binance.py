"""binance: market types (spot, margin, USD-M, COIN-M) and an endpoint override.

Quirks handled here and nowhere else:

* ccxt's ``binance`` class serves every binance market family through ``defaultType``:
  ``spot``, ``margin``, ``future`` (USD-M, linear: ``fapi``) and ``delivery`` (COIN-M,
  inverse: ``dapi``). Our :class:`core.MarketType` plus ``sub_type`` choose among them;
  ``fetchMarkets`` is restricted to that family so ``connect()`` loads one market list,
  not four.
* ``endpoint=`` points every REST and WebSocket URL at a Binance-compatible server (the
  simulator, a recording proxy) and turns off the metadata calls such a server does not
  serve (``exchanges.simulator.CLIENT_OPTIONS``: wallet currencies, margin pairs).
* Margin orders: ccxt's async ``create_order`` routes to ``/sapi/v1/margin/order`` only
  when ``marginMode`` is in the call's params (the ``defaultMarginMode`` option is not
  read there), so a margin adapter adds it to every order.
* Client order ids: 1 to 36 characters of ``[.A-Za-z0-9:/_-]``.
* ``params=`` may not carry binance's own names for what the adapter validates
  (``closePosition``, ``priceMatch``, ``trailingDelta``...; the generic ones such as
  ``quantity``, ``newClientOrderId``, ``quoteOrderQty`` are refused for every venue).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal

from core import ConfigurationError, MarketType, Trade, convert
from exchanges.ccxt._adapter import CcxtExchange
from exchanges.trading._orders import ClientOrderIdRules, OrderRequest
from exchanges.venues.binance_endpoint import endpoint_urls

SubType = Literal["linear", "inverse"]
_OURS = frozenset({"defaultType", "defaultSubType", "fetchMarkets"})  # set from market_type


class BinanceExchange(CcxtExchange):
    ccxt_id = "binance"
    client_order_id_rules = ClientOrderIdRules(max_length=36, pattern=r"[.A-Za-z0-9:/_-]+")
    # the ``<symbol>@trade`` stream (ccxt's default) carries trade ids, consecutive per
    # symbol on every binance market family (fetch_trades serves aggregate ids instead)
    sequential_trade_ids = True
    # binance's own wire names (beyond the generic ones) refused in params=
    order_field_params = MappingProxyType(
        {
            "amount": ("closePosition",),  # futures: the whole position, whatever the amount
            "price": ("priceMatch",),  # futures: a price the venue picks
            "trailing_amount": ("trailingDelta", "callbackRate"),
        }
    )
    order_lookup_params = MappingProxyType({"order_id": ("algoId", "newClientStrategyId")})

    def __init__(
        self,
        venue: str | None = None,
        *,
        endpoint: str | None = None,
        sub_type: SubType = "linear",
        **kwargs: Any,
    ) -> None:
        if sub_type not in ("linear", "inverse"):
            raise ConfigurationError(f"sub_type: {sub_type!r} is not 'linear' or 'inverse'")
        self._sub_type: SubType = sub_type
        self._endpoint = endpoint.rstrip("/") if endpoint else None
        # fetch_open_orders() without a symbol is an explicit choice here (the order
        # tracker's reconcile() makes it): ccxt refuses it unless told (it weighs more)
        kwargs["options"] = {
            "fetchOpenOrders": {"warnWithoutSymbol": False},
            **(kwargs.get("options") or {}),
        }
        if self._endpoint is not None:
            # What the Binance-compatible server does not serve (wallet/margin metadata),
            # turned off; the market type keeps choosing defaultType and fetchMarkets.
            from exchanges.simulator import CLIENT_OPTIONS

            server = {k: v for k, v in CLIENT_OPTIONS.items() if k not in _OURS}
            kwargs["options"] = {**server, **(kwargs.get("options") or {})}
        super().__init__(venue, **kwargs)
        if self._endpoint is not None:
            try:
                self._client.urls = endpoint_urls(self._client.urls, self._endpoint)
            except ValueError as exc:
                raise ConfigurationError(str(exc), venue=self.id) from None

    @property
    def endpoint(self) -> str | None:
        """The Binance-compatible base URL every call goes to, when overridden."""
        return self._endpoint

    @property
    def sub_type(self) -> SubType:
        return self._sub_type

    def _default_options(self) -> dict[str, Any]:
        kind = self._market_type
        if kind is MarketType.OPTION:
            return {"defaultType": "option", "fetchMarkets": {"types": ["option"]}}
        if kind in (MarketType.SPOT, MarketType.MARGIN):
            # super() adds defaultMarginMode for margin: without it ccxt sends margin
            # orders to the spot API (/api/v3/order instead of /sapi/v1/margin/order).
            return {**super()._default_options(), "fetchMarkets": {"types": ["spot"]}}
        # USD-M (linear, fapi) or COIN-M (inverse, dapi), perpetual or dated.
        default_type = "future" if self._sub_type == "linear" else "delivery"
        return {
            "defaultType": default_type,
            "defaultSubType": self._sub_type,
            "fetchMarkets": {"types": [self._sub_type]},
        }

    def _trades_method(self, historical: bool) -> str:
        """ccxt's implicit method serving trade ids (not aggregate ids) for this family."""
        name = "HistoricalTrades" if historical else "Trades"
        if self._market_type in (MarketType.SPOT, MarketType.MARGIN):
            return f"publicGet{name}"
        return f"fapiPublicGet{name}" if self._sub_type == "linear" else f"dapiPublicGet{name}"

    async def _trade_ids_read(self, symbol: str, limit: int, params: dict[str, Any]) -> list[Trade]:
        await self._prepare("fetch_trades")
        self.market(symbol)
        raw = await self._read(
            "fetch_trades", self._client.fetch_trades, symbol, None, limit, params
        )
        return [convert.trade(t) for t in raw]

    async def recent_trades(self, symbol: str) -> list[Trade]:
        """The latest 1 000 trades by trade id (``/trades``, no key): ``fetch_trades`` serves
        aggregate trades, whose ids are not the stream's."""
        method = {"fetchTradesMethod": self._trades_method(False)}
        return await self._trade_ids_read(symbol, 1000, method)

    async def trades_from_id(self, symbol: str, first_id: int, count: int) -> list[Trade] | None:
        """Up to ``count`` (at most 1 000) trades from ``first_id`` on: the old trade lookup
        (``historicalTrades``, weight 25 per request whatever the count). Binance's spot
        documentation lists it without an API key; ccxt refuses it client-side when the
        client has none, so a keyless spot adapter sends the same request through ccxt's
        own HTTP layer (its session, throttle, error mapping) without the key header. For
        the futures families that was not checked: without a key, ``None`` (the stream then
        repairs from the recent page)."""
        limit = max(1, min(count, 1000))
        if self._client.apiKey:
            method = self._trades_method(True)
            params = {"fetchTradesMethod": method, "fromId": first_id}
            return await self._trade_ids_read(symbol, limit, params)
        if self._market_type not in (MarketType.SPOT, MarketType.MARGIN):
            return None
        await self._prepare("fetch_trades")
        self.market(symbol)
        raw = await self._read("fetch_trades", self._keyless_lookup, symbol, first_id, limit)
        return [convert.trade(t) for t in raw]

    async def _keyless_lookup(self, symbol: str, first_id: int, limit: int) -> list[Any]:
        """``GET /api/v3/historicalTrades`` as ccxt's ``publicGetHistoricalTrades`` would send
        it (same URL, throttle cost and response parsing), minus the key check in its
        ``sign()``: ccxt's ``fetch()`` is the request layer every ccxt call ends in."""
        client = self._client
        market = client.market(symbol)
        request = {"symbol": market["id"], "limit": limit, "fromId": first_id}
        if client.enableRateLimit:
            entry = inspect.getattr_static(client, "publicGetHistoricalTrades", None)
            config = getattr(entry, "config", None) or {}
            path = "historicalTrades"
            await client.throttle(
                client.calculate_rate_limiter_cost(["public"], "GET", path, request, config)
            )
        base = client.implode_hostname(client.urls["api"]["public"])
        response = await client.fetch(f"{base}/historicalTrades?{client.urlencode(request)}")
        trades: list[Any] = client.parse_trades(response, market, None, None)
        return trades

    async def backfill_trades(self, symbol: str, after: Trade) -> list[Trade] | None:
        """Trades from the id after ``after`` (trade ids, as the stream's)."""
        if after.id is None or not after.id.isdigit():
            return await super().backfill_trades(symbol, after)
        return await self.trades_from_id(symbol, int(after.id) + 1, 1000)

    def _order_params(
        self, order: OrderRequest, extra: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        ccxt_type, params = super()._order_params(order, extra)
        if self._market_type is MarketType.MARGIN:
            params.setdefault("marginMode", self._margin_mode)
        return ccxt_type, params
