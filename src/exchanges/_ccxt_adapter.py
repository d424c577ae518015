"""``CcxtExchange``: one generic adapter for every ccxt.pro venue id.

It converts ccxt's dicts to the typed records once, maps every ccxt exception through
:func:`core.translate_errors`, refuses methods the venue lacks (``has``) with
:class:`core.NotSupported`, and validates every order before anything is sent. Venue
quirks live in thin subclasses (``exchanges.venues``), never in ``if venue == ...`` here.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import ccxt.pro as ccxtpro

from core import (
    AuthenticationError,
    BadResponse,
    BadSymbol,
    Balance,
    Candle,
    ConfigurationError,
    ExchangeUnavailable,
    Fill,
    Market,
    MarketType,
    NetworkError,
    NotSupported,
    Order,
    OrderBook,
    OrderStateUnknown,
    OrderType,
    Position,
    Settings,
    Side,
    Ticker,
    TimeInForce,
    Trade,
    convert,
    get_logger,
    get_settings,
    protect_ccxt_loggers,
    register_secret,
    translate_errors,
)
from exchanges._base import BaseExchange, Number
from exchanges._capabilities import Capabilities, Support
from exchanges._credentials import CredentialSource, check_required, credential_config
from exchanges._orders import (
    ClientOrderIdRules,
    OrderRequest,
    ccxt_order_params,
    order_from_response,
    require_order_features,
    validate_order,
)

T = TypeVar("T")
log = get_logger(__name__)


def ccxt_venues() -> list[str]:
    """Every venue id ccxt.pro knows."""
    return list(ccxtpro.exchanges)


def unknown_venue(venue: str) -> ConfigurationError:
    close = difflib.get_close_matches(venue, ccxt_venues(), n=5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return ConfigurationError(f"venue: {venue!r} is not a ccxt.pro exchange id{hint}")


class CcxtExchange(BaseExchange):
    """A ccxt.pro-backed adapter for one (venue, account, market type).

    ``credentials`` is a ``keys.Credentials`` (or any object with ``to_ccxt_config()``),
    or a mapping of ccxt's credential names (``apiKey``, ``secret``, ``password``...).
    ``options`` are merged into ccxt's ``options``; ``config`` into ccxt's constructor
    config (an escape hatch: e.g. ``{"session": ...}``, ``{"proxies": ...}``).
    """

    #: venue subclasses set their ccxt id; the generic class takes it as an argument
    ccxt_id: ClassVar[str | None] = None
    #: the venue's client order id rules (length, charset)
    client_order_id_rules: ClassVar[ClientOrderIdRules] = ClientOrderIdRules()
    #: corrections to ccxt's ``has`` for this venue (features ccxt builds but leaves unset)
    capability_overrides: ClassVar[Mapping[str, Support]] = {}

    def __init__(
        self,
        venue: str | None = None,
        *,
        account: str | None = None,
        credentials: CredentialSource | Mapping[str, str] | None = None,
        market_type: MarketType | str | None = None,
        margin_mode: str = "cross",
        sandbox: bool | None = None,
        settings: Settings | None = None,
        options: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        venue = venue or self.ccxt_id
        if venue is None:
            raise ConfigurationError("venue: no ccxt id given")
        if self.ccxt_id is not None and venue != self.ccxt_id:
            raise ConfigurationError(f"venue: {type(self).__name__} serves {self.ccxt_id!r}")
        klass = getattr(ccxtpro, venue, None)
        if venue not in ccxtpro.exchanges or klass is None:
            raise unknown_venue(venue)
        self._venue = venue
        self._account = account
        if margin_mode not in ("cross", "isolated"):
            raise ConfigurationError(f"margin_mode: {margin_mode!r} is not 'cross' or 'isolated'")
        self._margin_mode = margin_mode
        self._settings = settings or get_settings()
        try:
            self._market_type = MarketType.parse(
                market_type or self._settings.market_type, field="market_type"
            )
        except ValueError as exc:
            raise ConfigurationError(str(exc), venue=venue) from None
        protect_ccxt_loggers()
        creds = credential_config(credentials)
        register_secret(*creds.values())
        merged_options = {**self._default_options(), **(options or {})}
        ccxt_config: dict[str, Any] = {
            "enableRateLimit": self._settings.enable_rate_limit,
            "timeout": int(self._settings.request_timeout * 1000),
            "maxRetriesOnFailure": 0,  # writes are never retried blindly (field notes)
            **creds,
            **(config or {}),
        }
        ccxt_config["options"] = {**ccxt_config.get("options", {}), **merged_options}
        self._client: Any = klass(ccxt_config)
        try:
            check_required(venue, account, self._client.requiredCredentials, creds)
        except AuthenticationError:
            # Nothing was opened; forget a caller's session so ccxt's __del__ does not
            # report it as ours to close.
            self._client.session = None
            raise
        use_sandbox = self._settings.sandbox if sandbox is None else sandbox
        if use_sandbox:
            with translate_errors(venue, "sandbox"):
                self._client.set_sandbox_mode(True)
        self._sandbox = use_sandbox
        self._capabilities = Capabilities.from_ccxt_has(
            venue, self._client.has, self.capability_overrides
        )
        self._markets: dict[str, Market] = {}
        self._markets_loaded = False

    # ------------------------------------------------------------------ identity
    @property
    def id(self) -> str:
        return self._venue

    @property
    def account(self) -> str | None:
        return self._account

    @property
    def market_type(self) -> MarketType:
        return self._market_type

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def raw(self) -> Any:
        return self._client

    @property
    def sandbox(self) -> bool:
        return self._sandbox

    @property
    def markets(self) -> Mapping[str, Market]:
        """Markets loaded by ``connect()`` (empty before)."""
        return self._markets

    # ------------------------------------------------------------------ hooks for venues
    def _default_options(self) -> dict[str, Any]:
        """ccxt ``options`` for this market type. Venues override for their own names.

        A margin adapter trades on margin in ``margin_mode`` (ccxt picks the margin API
        from ``defaultMarginMode``; ``defaultType`` alone leaves orders on spot)."""
        options: dict[str, Any] = {"defaultType": self._market_type.value}
        if self._market_type is MarketType.MARGIN:
            options["defaultMarginMode"] = self._margin_mode
        return options

    def _order_params(
        self, order: OrderRequest, extra: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """ccxt (type, params) for a validated order. Venues override for their quirks."""
        return ccxt_order_params(order, extra)

    # ------------------------------------------------------------------ plumbing
    def _require(self, method: str) -> None:
        if not self._capabilities.supports(method):
            raise NotSupported(
                f"{self._venue} does not support {method}()", venue=self._venue, method=method
            )

    async def _call(self, method: str, awaitable: Awaitable[T]) -> T:
        with translate_errors(self._venue, method):
            return await awaitable

    async def _prepare(self, method: str) -> None:
        self._ensure_not_closed(method)
        self._require(method)  # before connecting: an unsupported call costs no request
        await self._ensure_open(method)

    def market(self, symbol: str) -> Market:
        """The loaded market for ``symbol``; :class:`core.BadSymbol` naming close matches."""
        found = self._markets.get(symbol)
        if found is None:
            close = difflib.get_close_matches(symbol, list(self._markets), n=5)
            hint = f"; close matches: {', '.join(close)}" if close else ""
            raise BadSymbol(
                f"symbol: {symbol!r} is not a market of {self._venue}{hint}", venue=self._venue
            )
        return found

    async def _connect(self) -> None:
        if not self._markets_loaded:
            await self._load_markets(reload=False)

    def use_markets(
        self,
        markets: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        records: Mapping[str, Market] | None = None,
    ) -> None:
        """Adopt market metadata loaded elsewhere (ccxt's ``set_markets``): the factory
        shares one venue's markets between accounts; ``connect()`` then loads nothing.
        ``records``: the same markets already converted (immutable, so shared as they are)."""
        raw = self._client.set_markets(
            list(markets.values()) if isinstance(markets, Mapping) else list(markets)
        )
        self._adopt(raw, records)

    def _adopt(self, raw: Mapping[str, Any], records: Mapping[str, Market] | None = None) -> None:
        if records is None or records.keys() != raw.keys():
            mode = self._client.precisionMode
            records = {symbol: convert.market(m, mode) for symbol, m in raw.items()}
        self._markets = dict(records)
        self._markets_loaded = True

    async def _load_markets(self, *, reload: bool) -> None:
        raw = await self._call("fetch_markets", self._client.load_markets(reload))
        self._adopt(raw)

    async def _close(self) -> None:
        with translate_errors(self._venue, "close"):
            await self._client.close()

    # ------------------------------------------------------------------ REST: market data
    async def fetch_markets(self, *, reload: bool = False) -> dict[str, Market]:
        await self._prepare("fetch_markets")
        if reload:
            await self._load_markets(reload=True)
        return dict(self._markets)

    async def fetch_ticker(self, symbol: str) -> Ticker:
        await self._prepare("fetch_ticker")
        self.market(symbol)
        return convert.ticker(await self._call("fetch_ticker", self._client.fetch_ticker(symbol)))

    async def fetch_tickers(self, symbols: Sequence[str] | None = None) -> dict[str, Ticker]:
        await self._prepare("fetch_tickers")
        for symbol in symbols or ():
            self.market(symbol)
        raw = await self._call(
            "fetch_tickers", self._client.fetch_tickers(list(symbols) if symbols else None)
        )
        return {symbol: convert.ticker(t) for symbol, t in raw.items()}

    async def fetch_order_book(self, symbol: str, limit: int | None = None) -> OrderBook:
        await self._prepare("fetch_order_book")
        self.market(symbol)
        raw = await self._call("fetch_order_book", self._client.fetch_order_book(symbol, limit))
        return convert.order_book(raw, symbol)

    async def fetch_trades(
        self, symbol: str, since: int | None = None, limit: int | None = None
    ) -> list[Trade]:
        await self._prepare("fetch_trades")
        self.market(symbol)
        raw = await self._call("fetch_trades", self._client.fetch_trades(symbol, since, limit))
        return [convert.trade(t) for t in raw]

    async def fetch_ohlcv(
        self, symbol: str, timeframe: str = "1m", since: int | None = None, limit: int | None = None
    ) -> list[Candle]:
        await self._prepare("fetch_ohlcv")
        self.market(symbol)
        raw = await self._call(
            "fetch_ohlcv", self._client.fetch_ohlcv(symbol, timeframe, since, limit)
        )
        return [convert.candle(c) for c in raw]

    # ------------------------------------------------------------------ REST: account
    async def fetch_balance(self) -> Balance:
        await self._prepare("fetch_balance")
        return convert.balance(await self._call("fetch_balance", self._client.fetch_balance()))

    async def fetch_positions(self, symbols: Sequence[str] | None = None) -> list[Position]:
        await self._prepare("fetch_positions")
        raw = await self._call(
            "fetch_positions", self._client.fetch_positions(list(symbols) if symbols else None)
        )
        return [convert.position(p) for p in raw]

    def prepare_order(
        self,
        symbol: str,
        side: Side | str,
        type: OrderType | str,
        amount: Number,
        price: Number | None = None,
        *,
        trigger_price: Number | None = None,
        trailing_amount: Number | None = None,
        time_in_force: TimeInForce | str | None = None,
        post_only: bool = False,
        reduce_only: bool = False,
        client_order_id: str | None = None,
    ) -> OrderRequest:
        """Validate and round an order exactly as ``place_order`` would, without sending it
        (a dry run; needs the markets loaded). Raises :class:`core.InvalidOrder` naming the
        field, :class:`core.BadSymbol`, or :class:`core.NotSupported`."""
        self._ensure_not_closed("prepare_order")
        request = validate_order(
            self.market(symbol),
            side=side,
            type=type,
            amount=amount,
            price=price,
            trigger_price=trigger_price,
            trailing_amount=trailing_amount,
            time_in_force=time_in_force,
            post_only=post_only,
            reduce_only=reduce_only,
            client_order_id=client_order_id,
            id_rules=self.client_order_id_rules,
            id_prefix=self._settings.client_order_id_prefix,
            venue=self._venue,
        )
        require_order_features(request, self._capabilities, self._venue)
        return request

    async def place_order(
        self,
        symbol: str,
        side: Side | str,
        type: OrderType | str,
        amount: Number,
        price: Number | None = None,
        *,
        trigger_price: Number | None = None,
        trailing_amount: Number | None = None,
        time_in_force: TimeInForce | str | None = None,
        post_only: bool = False,
        reduce_only: bool = False,
        client_order_id: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> Order:
        await self._prepare("place_order")
        request = self.prepare_order(
            symbol,
            side,
            type,
            amount,
            price,
            trigger_price=trigger_price,
            trailing_amount=trailing_amount,
            time_in_force=time_in_force,
            post_only=post_only,
            reduce_only=reduce_only,
            client_order_id=client_order_id,
        )
        ccxt_type, ccxt_params = self._order_params(request, params or {})
        price_arg = float(request.price) if request.price is not None else None
        log.info(
            "order.send",
            venue=self._venue,
            account=self._account,
            symbol=request.symbol,
            side=request.side.value,
            type=request.type.value,
            amount=str(request.amount),
            price=None if request.price is None else str(request.price),
            client_order_id=request.client_order_id,
        )
        try:
            raw = await self._call(
                "place_order",
                self._client.create_order(
                    request.symbol,
                    ccxt_type,
                    request.side.value,
                    float(request.amount),
                    price_arg,
                    ccxt_params,
                ),
            )
        except (NetworkError, ExchangeUnavailable, BadResponse) as exc:
            # The request may have reached the venue (a timeout, a dropped link, a 5xx or a
            # garbled answer do not say): retrying blindly could double the order. A 429 or a
            # clock error means it was refused, and propagates as it is.
            raise OrderStateUnknown(
                f"place_order outcome unknown after {exc.__class__.__name__}; "
                f"look up client order id "
                f"{request.client_order_id}",
                venue=self._venue,
                method="place_order",
                client_order_id=request.client_order_id,
            ) from exc
        return order_from_response(raw, request)

    async def cancel_order(self, order_id: str, symbol: str) -> Order:
        await self._prepare("cancel_order")
        self.market(symbol)
        raw = await self._call("cancel_order", self._client.cancel_order(order_id, symbol))
        incomplete = raw.get("side") is None or raw.get("status") is None
        if incomplete and self._capabilities.supports("fetch_order_status"):
            # Some venues answer a cancel with the id only: read the order's final state.
            return await self.fetch_order_status(order_id, symbol)
        return convert.order(raw)

    async def fetch_order_status(self, order_id: str, symbol: str) -> Order:
        await self._prepare("fetch_order_status")
        self.market(symbol)
        return convert.order(
            await self._call("fetch_order_status", self._client.fetch_order(order_id, symbol))
        )

    async def fetch_open_orders(self, symbol: str | None = None) -> list[Order]:
        await self._prepare("fetch_open_orders")
        if symbol is not None:
            self.market(symbol)
        raw = await self._call("fetch_open_orders", self._client.fetch_open_orders(symbol))
        return [convert.order(o) for o in raw]

    async def fetch_my_trades(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None
    ) -> list[Fill]:
        await self._prepare("fetch_my_trades")
        if symbol is not None:
            self.market(symbol)
        raw = await self._call(
            "fetch_my_trades", self._client.fetch_my_trades(symbol, since, limit)
        )
        return [convert.fill(t) for t in raw]

    # ------------------------------------------------------------------ WebSocket
    async def watch_ticker(self, symbol: str) -> Ticker:
        await self._prepare("watch_ticker")
        self.market(symbol)
        return convert.ticker(await self._call("watch_ticker", self._client.watch_ticker(symbol)))

    async def watch_trades(self, symbol: str) -> list[Trade]:
        await self._prepare("watch_trades")
        self.market(symbol)
        raw = await self._call("watch_trades", self._client.watch_trades(symbol))
        return [convert.trade(t) for t in raw]

    async def watch_order_book(self, symbol: str, limit: int | None = None) -> OrderBook:
        await self._prepare("watch_order_book")
        self.market(symbol)
        raw = await self._call("watch_order_book", self._client.watch_order_book(symbol, limit))
        return convert.order_book(raw, symbol, limit=limit)

    async def watch_ohlcv(self, symbol: str, timeframe: str = "1m") -> list[Candle]:
        await self._prepare("watch_ohlcv")
        self.market(symbol)
        raw = await self._call("watch_ohlcv", self._client.watch_ohlcv(symbol, timeframe))
        return [convert.candle(c) for c in raw]

    async def watch_balance(self) -> Balance:
        await self._prepare("watch_balance")
        return convert.balance(await self._call("watch_balance", self._client.watch_balance()))

    async def watch_orders(self, symbol: str | None = None) -> list[Order]:
        await self._prepare("watch_orders")
        raw = await self._call("watch_orders", self._client.watch_orders(symbol))
        return [convert.order(o) for o in raw]

    async def watch_my_trades(self, symbol: str | None = None) -> list[Fill]:
        await self._prepare("watch_my_trades")
        raw = await self._call("watch_my_trades", self._client.watch_my_trades(symbol))
        return [convert.fill(t) for t in raw]
