"""``CcxtBase``: the generic ccxt.pro adapter's construction, identity and plumbing.

It builds ccxt's client for one (venue, account, market type) with our options (timeouts,
heartbeat, the guard's throttle hook, redacted verbose logs), says who it is, converts
ccxt's dicts to the typed records once, maps every ccxt exception through
:func:`core.translate_errors`, refuses methods the venue lacks (``has``) with
:class:`core.NotSupported`, and runs every REST call through the guard. Markets are added by
:class:`~exchanges.ccxt._markets.CcxtMarkets`, the lifecycle by
:class:`~exchanges.ccxt._core.CcxtCore`, the methods by :class:`CcxtExchange`. Venue quirks
live in thin subclasses (``exchanges.venues``), never in ``if venue == ...`` here.
"""

from __future__ import annotations

import asyncio
import difflib
from abc import abstractmethod
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar, TypeVar

import ccxt.pro as ccxtpro

from core import (
    AuthenticationError,
    BadRequest,
    BadResponse,
    ConfigurationError,
    Market,
    MarketType,
    NotSupported,
    Settings,
    Trade,
    ccxt_log_hook,
    get_settings,
    protect_ccxt_loggers,
    register_secret,
    translate_errors,
)
from exchanges._base import BaseExchange
from exchanges._capabilities import Capabilities, Support, market_type_lacks
from exchanges.ccxt._credentials import CredentialSource, check_required, credential_config
from exchanges.ccxt._private_streams import CredentialGate
from exchanges.sharing import LOCAL_STATE, Connection, SharingState
from exchanges.trading._arguments import Arguments
from exchanges.trading._guard import Guard, RetryPolicy
from exchanges.trading._orders import (
    ORDER_FIELD_PARAMS,
    ORDER_LOOKUP_PARAMS,
    ClientOrderIdRules,
    OrderRequest,
    ccxt_order_params,
    refuse_params,
    reserved_params,
)
from exchanges.trading._ratelimit import Priority, current_priority

T = TypeVar("T")


def ccxt_venues() -> list[str]:
    """Every venue id ccxt.pro knows."""
    return list(ccxtpro.exchanges)


def unknown_venue(venue: str) -> ConfigurationError:
    close = difflib.get_close_matches(venue, ccxt_venues(), n=5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return ConfigurationError(f"venue: {venue!r} is not a ccxt.pro exchange id{hint}")


class CcxtBase(BaseExchange):
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
    #: whether accounts may share this venue's market metadata (False when ccxt's markets
    #: carry per-account data, such as an account's fee tier)
    share_markets: ClassVar[bool] = True
    #: corrections to ccxt's ``has`` for this venue (features ccxt builds but leaves unset)
    capability_overrides: ClassVar[Mapping[str, Support]] = {}
    #: the trade stream numbers trades 1, 2, 3... per symbol, so a hole is visible
    sequential_trade_ids: ClassVar[bool] = False
    #: the venue's own wire names of what place_order validates (argument -> names),
    #: refused in ``params`` with the generic ones (``trading._orders.ORDER_FIELD_PARAMS``)
    order_field_params: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    #: the venue's own wire names that would point a cancel or an order lookup at another
    #: order or market (with ``exchanges.trading._orders.ORDER_LOOKUP_PARAMS``)
    order_lookup_params: ClassVar[Mapping[str, tuple[str, ...]]] = {}

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
        retry_policy: RetryPolicy | None = None,
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
        merged_options = {
            # one snapshot attempt per subscription: ccxt's own retries (3, back to back)
            # ignore Retry-After; the supervisor retries with backoff instead
            "watchOrderBook": {"maxRetries": 1},
            # caches deep enough for bursts between two reads (ccxt.pro reads these from
            # options; its default is 1000 records per symbol)
            "tradesLimit": self._settings.stream_cache_size,
            "ordersLimit": self._settings.stream_cache_size,
            "OHLCVLimit": self._settings.stream_cache_size,
            **self._default_options(),
            **(options or {}),
        }
        ccxt_config: dict[str, Any] = {
            "enableRateLimit": self._settings.enable_rate_limit,
            "timeout": int(self._settings.request_timeout * 1000),
            "maxRetriesOnFailure": 0,  # writes are never retried blindly (field notes)
            # streams: our heartbeat (ccxt drops a link after two missed pongs; binance's
            # default would take six minutes)
            "streaming": {"keepAlive": int(self._settings.stream_heartbeat * 1000)},
            # ccxt's rate-limit hook (fetch2 calls it with each request's cost): our guard
            # books the request in the route's budget, then runs ccxt's own throttle
            "throttle": self._throttle,
            # ccxt's verbose output (print by default) as redacted DEBUG log events
            "log": ccxt_log_hook(venue),
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
        self._guard = Guard(venue, self._client, retry_policy, settings=self._settings)
        self._credential_gate = CredentialGate(venue)  # one refusal fails every private watch
        lacks = market_type_lacks(self._market_type.value)
        self._capabilities = Capabilities.from_ccxt_has(
            venue,
            self._client.has,
            {**self.capability_overrides, **dict.fromkeys(lacks, Support.NO)},
        )
        self._order_fields = reserved_params(ORDER_FIELD_PARAMS, self.order_field_params)
        self._order_lookups = reserved_params(ORDER_LOOKUP_PARAMS, self.order_lookup_params)
        self._markets: dict[str, Market] = {}
        self._markets_loaded = False
        self._writes = 0  # orders and cancels in flight; close() waits for them
        self._writes_idle = asyncio.Event()
        self._writes_idle.set()
        self._sharing: Connection | None = None

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
    def sharing(self) -> SharingState:
        """What this adapter shares with the host's other processes (``EXCHANGES_REDIS_URL``):
        ``mode`` ``"local"``, ``"redis"`` or ``"degraded"`` (Redis failed mid-run)."""
        return self._sharing.state if self._sharing is not None else LOCAL_STATE

    def _shared_connection(self) -> Connection | None:
        return self._sharing

    def _sharing_scope(self) -> str:
        return "|".join(
            (self._venue, self._guard.budget.host, self._market_type.value, str(self._sandbox))
        )

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

    # ------------------------------------------------------------------ hooks for the feeds
    @abstractmethod
    async def recent_trades(self, symbol: str) -> list[Trade]:
        """The latest public trades, with the ids the trade stream carries."""

    @abstractmethod
    async def backfill_trades(self, symbol: str, after: Trade) -> list[Trade] | None:
        """Public trades after ``after``, oldest first: how a trade stream fills a hole."""

    async def trades_from_id(self, symbol: str, first_id: int, count: int) -> list[Trade] | None:
        """Up to ``count`` public trades from trade id ``first_id`` on, oldest first, in one
        request: how a stream with consecutive trade ids repairs a hole. ``None`` (the
        default): the venue cannot look trades up by id."""
        return None

    # ------------------------------------------------------------------ arguments
    def _args(self, method: str, error: type[BadRequest] = BadRequest) -> Arguments:
        """The door checks of ``method``'s arguments (``exchanges.trading._arguments``)."""
        return Arguments(self._venue, method, error)

    def _extra_params(
        self, params: object, method: str, error: type[BadRequest], *, lookup: bool = False
    ) -> dict[str, Any]:
        """``params`` checked: a mapping with string keys, none of them naming what
        ``method`` validates itself (an order's fields; with ``lookup``, the order and
        market a cancel or lookup goes to)."""
        extra = self._args(method, error).params(params)
        reserved = self._order_lookups if lookup else self._order_fields
        refuse_params(extra, reserved, method=method, venue=self._venue, error=error)
        return extra

    def _timeframe(self, timeframe: object, method: str) -> str:
        """A timeframe of this venue's (``"1m"``...), else :class:`core.BadRequest`."""
        check = self._args(method)
        value = check.text(timeframe, "timeframe")
        known = self._client.timeframes or {}
        if value not in known:
            raise check.fail(
                "timeframe", f"{value!r} is not one of {self._venue}'s ({', '.join(known)})"
            )
        return value

    # ------------------------------------------------------------------ plumbing
    def _require(self, method: str) -> None:
        if not self._capabilities.supports(method):
            kind = self._market_type.value
            where = f" on {kind} markets" if method in market_type_lacks(kind) else ""
            raise NotSupported(
                f"{self._venue} does not support {method}(){where}",
                venue=self._venue,
                method=method,
            )

    async def _throttle(self, cost: float | None = None) -> None:
        await self._guard.throttle(cost)

    async def _call(self, method: str, awaitable: Awaitable[T]) -> T:
        with translate_errors(self._venue, method):
            return await awaitable

    async def _read(
        self,
        method: str,
        fn: Callable[..., Awaitable[T]],
        *args: Any,
        retry: bool = True,
        priority: Priority | None = None,
    ) -> T:
        """A REST read ``fn(*args)``: breaker, pacing by ``priority`` (default: a repair
        inside :func:`exchanges.trading._ratelimit.repairing`, which a stream's repairs run under,
        else a read), retries with backoff and Retry-After (unless ``retry=False``: a
        caller that polls on its own), clock resync. Each attempt calls ``fn`` afresh."""
        chosen = current_priority() if priority is None else priority
        return await self._guard.call(
            method, lambda: self._call(method, fn(*args)), retry=retry, priority=chosen
        )

    async def _write(self, method: str, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """A REST write ``fn(*args)``: breaker and clock resync (after a refused timestamp),
        never held back, never a retry."""
        return await self._guard.call(
            method, lambda: self._call(method, fn(*args)), retry=False, priority=Priority.ORDER
        )

    @contextmanager
    def _reading(self, method: str) -> Iterator[None]:
        """Converting the venue's answer: a shape the records cannot hold is a
        :class:`core.BadResponse` naming the method, not a bare ValueError."""
        try:
            yield
        except (ValueError, KeyError, TypeError) as exc:
            raise BadResponse(
                f"{method}: could not read the venue's answer ({exc})",
                venue=self._venue,
                method=method,
            ) from None

    async def _prepare(self, method: str) -> None:
        self._ensure_not_closed(method)
        self._require(method)  # before connecting: an unsupported call costs no request
        await self._ensure_open(method)
