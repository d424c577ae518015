"""``ExchangeFactory``: ready, authenticated adapters, built once and pooled (contract).

::

    ex = await ExchangeFactory.get_exchange("binance", account="main")   # process-wide
    factory = ExchangeFactory(key_manager=KeyManager("keys.toml"))      # or your own
    ex = await factory.get_exchange("okx", account="desk", market_type="swap")
    await factory.close_all()

* Adapters are pooled per (venue, account, market type, endpoint, sandbox): asking twice
  returns the same live adapter, and concurrent first calls build it once.
* Market metadata is loaded once per (venue, market type, endpoint, sandbox, options) and
  shared by reference with every further account's adapter (ccxt's
  ``set_markets_from_exchange``), until ``market_ttl`` expires. Venues whose markets carry
  per-account data (coinbase's fee tier) opt out with ``share_markets = False``.
* A pooled adapter is shared: ``async with`` on it does not close it; ``close_all()`` does.
* Credentials come from the :class:`keys.KeyManager` for ``account``; ``account=None``
  gives a public-only adapter that needs none.
* The class-level calls use one process-wide default factory.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable, Mapping
from typing import (
    Any,
    ClassVar,
    Concatenate,
    Generic,
    ParamSpec,
    Protocol,
    TypeVar,
    overload,
)

from core import ConfigurationError, MarketType, Settings, get_logger, get_settings
from exchanges._base import BaseExchange
from exchanges.ccxt._adapter import CcxtExchange
from exchanges.factory._registry import adapter_class, register

P = ParamSpec("P")
R = TypeVar("R")
A = TypeVar("A", bound=type[BaseExchange])
log = get_logger(__name__)

OptionsKey = tuple[tuple[str, str], ...]
PoolKey = tuple[str, str | None, MarketType, str | None, bool, OptionsKey]
MarketKey = tuple[str, MarketType, str | None, bool, OptionsKey]


def _init_parameters(cls: type) -> frozenset[str]:
    """Named parameters of ``cls``'s constructor, through subclasses that pass **kwargs on."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        names.update(p.name for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL))
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break  # this constructor does not forward: its parents' names are not reachable
    names.discard("self")
    return frozenset(names)


def _options_key(options: Mapping[str, Any]) -> OptionsKey:
    """A hashable, order-independent form of the caller's options (by their repr)."""
    return tuple(sorted((str(k), repr(v)) for k, v in options.items()))


class KeySource(Protocol):
    """What the factory needs of a key manager (``keys.KeyManager`` provides it)."""

    def get(self, venue: str, account: str | None = None) -> Any: ...


class _FactoryMethod(Generic[P, R]):
    """A method callable on an instance, or on the class (then on the default factory)."""

    def __init__(self, func: Callable[Concatenate[ExchangeFactory, P], R]) -> None:
        self._func = func
        self.__doc__ = func.__doc__

    def __get__(self, obj: ExchangeFactory | None, owner: type[ExchangeFactory]) -> Callable[P, R]:
        target = obj if obj is not None else owner.default()

        def bound(*args: P.args, **kwargs: P.kwargs) -> R:
            return self._func(target, *args, **kwargs)

        bound.__doc__ = self._func.__doc__
        return bound


class ExchangeFactory:
    """Builds, pools and closes adapters. See the module docstring."""

    _default: ClassVar[ExchangeFactory | None] = None

    def __init__(
        self,
        key_manager: KeySource | None = None,
        *,
        settings: Settings | None = None,
        market_ttl: float = 3600.0,
        ccxt_config: Mapping[str, Any] | None = None,
    ) -> None:
        """``ccxt_config`` is merged into every adapter's ccxt constructor config (a shared
        ``session``, ``proxies``, ``userAgent``...)."""
        self._ccxt_config = dict(ccxt_config or {})
        self._key_manager = key_manager
        self._settings = settings
        self._market_ttl = market_ttl
        self._pool: dict[PoolKey, BaseExchange] = {}
        self._locks: dict[PoolKey, asyncio.Lock] = {}
        # (loaded at, the adapter that loaded them): later accounts share its markets
        self._markets: dict[MarketKey, tuple[float, CcxtExchange]] = {}
        self._building: set[asyncio.Future[BaseExchange]] = set()
        self._closing = False

    def __repr__(self) -> str:
        return f"<ExchangeFactory adapters={len(self._pool)} market_sets={len(self._markets)}>"

    @classmethod
    def default(cls) -> ExchangeFactory:
        """The process-wide factory the class-level calls use."""
        if cls._default is None:
            cls._default = cls()
        return cls._default

    @staticmethod
    @overload
    def register_exchange(name: str, adapter_cls: A) -> A: ...

    @staticmethod
    @overload
    def register_exchange(name: str, adapter_cls: None = None) -> Callable[[A], A]: ...

    @staticmethod
    def register_exchange(name: str, adapter_cls: A | None = None) -> A | Callable[[A], A]:
        """Map ``name`` to an adapter class; without ``adapter_cls``, a class decorator."""
        if adapter_cls is None:

            def decorate(cls: A) -> A:
                register(name, cls)
                return cls

            return decorate
        register(name, adapter_cls)
        return adapter_cls

    @property
    def key_manager(self) -> KeySource:
        if self._key_manager is None:
            from keys import KeyManager

            self._key_manager = KeyManager()
        return self._key_manager

    @property
    def closing(self) -> bool:
        """True while ``close_all()`` runs."""
        return self._closing

    def adapters(self) -> list[BaseExchange]:
        """Every pooled adapter that is still open."""
        return [a for a in self._pool.values() if not a.closed]

    @_FactoryMethod
    async def get_exchange(
        self,
        /,
        name: str,
        account: str | None = None,
        market_type: MarketType | str | None = None,
        endpoint: str | None = None,
        sandbox: bool | None = None,
        **options: Any,
    ) -> BaseExchange:
        """A connected adapter for ``name`` (a registered venue or any ccxt.pro id), with
        ``account``'s credentials, its markets loaded. ``sandbox``: the venue's testnet
        (default: the ``EXCHANGES_SANDBOX`` setting).

        ``options`` naming a parameter of the adapter's constructor (binance's ``sub_type``,
        ``margin_mode``) go to it; the others are merged into ccxt's ``options``. All of
        them are part of the pooling key: different options, different adapters."""
        if self._closing:
            raise ConfigurationError("get_exchange: the factory is closing")
        venue = name.lower()
        settings = self._settings or get_settings()
        try:
            kind = MarketType.parse(market_type or settings.market_type, field="market_type")
        except ValueError as exc:
            raise ConfigurationError(str(exc), venue=venue) from None
        if sandbox is None:
            sandbox = settings.sandbox
        extra = _options_key(options)
        key: PoolKey = (venue, account, kind, endpoint, sandbox, extra)
        pooled = self._pool.get(key)
        if pooled is not None and not pooled.closed:
            return pooled
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            pooled = self._pool.get(key)
            if pooled is not None and not pooled.closed:
                return pooled
            build = asyncio.ensure_future(
                self._build(venue, account, kind, endpoint, sandbox, settings, options, extra)
            )
            self._building.add(build)
            try:
                adapter = await build
            finally:
                self._building.discard(build)
            if self.closing:  # close_all() began while this one was being built
                await adapter.close()
                raise ConfigurationError("get_exchange: the factory closed during the build")
            adapter.pooled_by = self
            self._pool[key] = adapter
            return adapter

    async def _build(
        self,
        venue: str,
        account: str | None,
        kind: MarketType,
        endpoint: str | None,
        sandbox: bool,
        settings: Settings,
        options: Mapping[str, Any],
        extra: OptionsKey,
    ) -> BaseExchange:
        cls = adapter_class(venue)
        accepted = _init_parameters(cls)
        kwargs: dict[str, Any] = {
            "account": account,
            "market_type": kind,
            "sandbox": sandbox,
            "settings": settings,
            "options": {k: v for k, v in options.items() if k not in accepted},
            **{k: v for k, v in options.items() if k in accepted},
        }
        if self._ccxt_config:
            kwargs["config"] = self._ccxt_config
        if account is not None:
            kwargs["credentials"] = self.key_manager.get(venue, account)
        if endpoint is not None:
            if "endpoint" not in accepted:
                raise ConfigurationError(
                    f"endpoint: {cls.__name__} cannot be pointed at another server", venue=venue
                )
            kwargs["endpoint"] = endpoint
        if issubclass(cls, CcxtExchange) and cls.ccxt_id is None:
            adapter: BaseExchange = cls(venue, **kwargs)  # the generic adapter: any ccxt id
        else:
            adapter = cls(**kwargs)  # a venue subclass knows its own ccxt id
        shareable = isinstance(adapter, CcxtExchange) and adapter.share_markets
        market_key: MarketKey = (venue, kind, endpoint, sandbox, extra)
        source = self._markets.get(market_key) if shareable else None
        fresh = source is not None and time.monotonic() - source[0] < self._market_ttl
        try:
            if fresh and source is not None and isinstance(adapter, CcxtExchange):
                adapter.share_markets_from(source[1])
            await adapter.connect()
        except BaseException:
            await adapter.close()
            raise
        if shareable and not fresh and isinstance(adapter, CcxtExchange):
            self._markets[market_key] = (time.monotonic(), adapter)
        log.info(
            "factory.adapter_ready",
            venue=venue,
            account=account,
            market_type=kind.value,
            shared_markets=fresh,
        )
        return adapter

    @_FactoryMethod
    async def close_all(self, /, grace: float = 10.0) -> None:
        """Close every pooled adapter, concurrently, within ``grace`` seconds. Builds in
        flight are waited for, and closed too; get_exchange() calls made meanwhile fail."""
        self._closing = True
        try:
            async with asyncio.timeout(grace):
                while self._building:
                    await asyncio.wait(list(self._building))
            adapters = list(self._pool.values())
            self._pool.clear()
            if adapters:
                async with asyncio.timeout(grace):
                    results = await asyncio.gather(
                        *(a.close() for a in adapters), return_exceptions=True
                    )
                for adapter, result in zip(adapters, results, strict=True):
                    if isinstance(result, BaseException):
                        log.warning(
                            "factory.close_failed", adapter=repr(adapter), error=repr(result)
                        )
            self._markets.clear()
        finally:
            self._closing = False
