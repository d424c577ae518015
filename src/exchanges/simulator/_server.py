"""The :class:`Simulator`: a local exchange speaking Binance spot's REST + WebSocket
protocol on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import TracebackType
from typing import Self

from aiohttp import web

from exchanges.simulator._admin import admin_routes
from exchanges.simulator._candles import CandleSeries
from exchanges.simulator._connection import Hub
from exchanges.simulator._faults import FaultKind, Faults
from exchanges.simulator._generator import GeneratorConfig, MarketGenerator
from exchanges.simulator._limits import ConnectionGuard, ServerLimits
from exchanges.simulator._market_streams import MarketStreams
from exchanges.simulator._matching import EngineHooks, MatchingEngine
from exchanges.simulator._middleware import rest_middleware
from exchanges.simulator._publisher import Publisher
from exchanges.simulator._ratelimit import OrderCounter, WeightLimiter
from exchanges.simulator._records import Account, Fill, Order
from exchanges.simulator._rest_metadata import MetadataApi
from exchanges.simulator._rest_private import PrivateApi
from exchanges.simulator._rest_public import PublicApi
from exchanges.simulator._spec import (
    DEMO_API_KEY,
    DEMO_BALANCES,
    DEMO_SECRET,
    SymbolSpec,
    spec_for,
)
from exchanges.simulator._state import SimState
from exchanges.simulator._ws_api import WsApi

DEFAULT_SYMBOLS = ("BTC/USDT", "ETH/USDT")


class Simulator:
    """``async with Simulator(seed=1) as sim:`` serves Binance spot on ``sim.endpoint``.

    ``rate`` is book steps and ``trade_rate`` (default ``rate / 2``) trades per second
    per symbol (both 0: the market moves only on :meth:`step`); ``firehose`` steps as
    fast as the sockets take. ``maker_fee`` and ``taker_fee`` are the commission rates of
    accounts added later. ``trade_history``: trades per symbol REST serves (``trades``,
    ``historicalTrades``, ``aggTrades``: the newest ones). The demo account
    (:data:`DEMO_API_KEY` / :data:`DEMO_SECRET`, :data:`DEMO_BALANCES`) always exists.
    ``limits``: connection cap and deadlines for request heads and bodies
    (:class:`ServerLimits`).
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        symbols: Iterable[str | SymbolSpec] = DEFAULT_SYMBOLS,
        rate: float = 4.0,
        trade_rate: float | None = None,
        depth_levels: int = 20,
        firehose: bool = False,
        maker_fee: Decimal = Decimal("0.001"),
        taker_fee: Decimal = Decimal("0.001"),
        port: int = 0,
        host: str = "127.0.0.1",
        ping_interval: float = 20.0,
        weight_limit: int = 6000,
        weight_window: float = 60.0,
        order_limit: int = 100,
        history_minutes: int = 600,
        trade_history: int = 100_000,
        limits: ServerLimits = ServerLimits(),  # noqa: B008 - frozen, shared safely
    ) -> None:
        self._host = host
        self._limits = limits
        self._port = port
        self._maker_fee = maker_fee
        self._taker_fee = taker_fee
        self.state = SimState()
        self.hub = Hub()
        self.faults = Faults(self._drop_connections, self._shift_clock)
        self.limiter = WeightLimiter(limit=weight_limit, window=weight_window)
        self.order_counter = OrderCounter(limit=order_limit)
        hooks = EngineHooks(on_order=self._on_order, on_balances=self._on_balances)
        rng = random.Random(seed)  # noqa: S311 - reproducible market data, not crypto
        now = self.state.now()
        for item in symbols:
            spec = item if isinstance(item, SymbolSpec) else spec_for(item)
            self.state.specs[spec.id] = spec
            self.state.engines[spec.id] = MatchingEngine(
                spec, self.state.accounts, self.state.now, hooks, trade_history=trade_history
            )
            series = CandleSeries()
            series.seed_history(rng, now, spec.start_price, spec.tick_size, history_minutes)
            self.state.candles[spec.id] = series
        self._public = PublicApi(self.state)
        self._ws_api = WsApi(
            self.state,
            self.hub,
            self.faults,
            self._public,
            self.order_counter,
            ping_interval=ping_interval,
        )
        self._publisher = Publisher(self.state, self.hub, self._public)
        hooks.on_trade = self._publisher.on_trade
        config = GeneratorConfig(
            rate=rate,
            trade_rate=rate / 2 if trade_rate is None else trade_rate,
            depth_levels=depth_levels,
            firehose=firehose,
        )
        self.generator = MarketGenerator(
            self.state.engines,
            seed=seed,
            config=config,
            after_step=self._publisher.flush_fast if firehose else None,
            writable=self.hub.writable,
        )
        self.generator.seed_books()
        self._market_streams = MarketStreams(
            self.hub,
            self.faults,
            {s.lower() for s in self.state.specs},
            ping_interval=ping_interval,
        )
        self._private = PrivateApi(self.state, self._after_order)
        self._metadata = MetadataApi(self.state, self._private.signed)
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        self._guard = ConnectionGuard(limits)
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False
        self.add_account(DEMO_API_KEY, DEMO_SECRET, balances=DEMO_BALANCES)

    # ---- lifecycle ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._runner is None:
            raise RuntimeError("the simulator is not started")
        return self._port

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:PORT``: REST under ``/api/v3``, sockets under ``/ws``,
        ``/stream`` and ``/ws-api/v3`` (see ``endpoint_urls``)."""
        return f"http://{self._host}:{self.port}"

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("the simulator is already started")
        if self._closed:
            raise RuntimeError("the simulator is closed; make a new one")
        app = web.Application(
            middlewares=[
                self._guard.middleware,
                rest_middleware(self.limiter, self.order_counter, self.faults),
            ]
        )
        app.add_routes(self._public.routes())
        app.add_routes(self._private.routes())
        app.add_routes(self._metadata.routes())
        app.add_routes(self._market_streams.routes())
        app.add_routes(self._ws_api.routes())
        app.add_routes(admin_routes(self.faults, lambda: self.endpoint))
        app.on_shutdown.append(self._on_shutdown)
        runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=1.0,
            keepalive_timeout=self._limits.keepalive_timeout,
        )
        await runner.setup()
        assert runner.server is not None
        self._guard.serve(runner.server)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._port))
            self._port = sock.getsockname()[1]
            # not web.SockSite: the guard stands between the socket and aiohttp's handler
            self._listener = await asyncio.get_running_loop().create_server(
                self._guard, sock=sock, backlog=128
            )
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._runner = runner
        self._tasks = [
            asyncio.create_task(self.generator.run(), name="sim-generator"),
            asyncio.create_task(self._publisher.run(), name="sim-publisher"),
        ]

    async def _on_shutdown(self, _app: web.Application) -> None:
        self.faults.released.set()
        for conn in list(self.hub.connections):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001, message=b"server shutdown")

    async def close(self) -> None:
        """Stop serving: tasks cancelled, sockets closed; idempotent."""
        self._closed = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._listener is not None:
            self._listener.close()  # no new connections; runner.cleanup() ends the others
            self._listener = None
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    @property
    def open_connections(self) -> int:
        """TCP connections being served now (HTTP and WebSocket)."""
        return self._guard.open_connections

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ---- accounts and the market -------------------------------------------------------

    def add_account(
        self,
        api_key: str,
        secret: str,
        balances: Mapping[str, Decimal] | None = None,
        *,
        maker_fee: Decimal | None = None,
        taker_fee: Decimal | None = None,
    ) -> Account:
        """Create (or replace) an account with these starting balances."""
        account = Account(
            api_key,
            secret,
            commission_maker=self._maker_fee if maker_fee is None else maker_fee,
            commission_taker=self._taker_fee if taker_fee is None else taker_fee,
        )
        for asset, amount in (balances or {}).items():
            account.balance(asset).free = Decimal(amount)
        self.state.accounts[api_key] = account
        return account

    def deposit(self, api_key: str, asset: str, amount: Decimal) -> None:
        """Credit (or, negative, debit) a free balance; streams a ``balanceUpdate``."""
        account = self.state.accounts[api_key]
        account.balance(asset).free += amount
        self._ws_api.on_balance_update(account, asset, amount)
        self._ws_api.on_balances(account, {asset})

    async def wait_user_stream(self, api_key: str = DEMO_API_KEY) -> None:
        """Wait until ``api_key`` has a user-data subscription on the WebSocket API (the
        ack is queued: events published from now on reach the subscriber)."""
        await self._ws_api.wait_subscribed(api_key)

    async def wait_subscribed(self, stream: str) -> None:
        """Wait until a WebSocket client has subscribed to ``stream`` (``btcusdt@trade``):
        what is published from then on reaches it."""
        await self.hub.wait_wanted(stream)

    def step(self, symbol: str, count: int = 1, *, trades: int = 1) -> None:
        """Move ``symbol``'s market now: ``count`` book steps, each followed by ``trades``
        generator market orders (0: the book moves, nothing trades)."""
        market_id = self.state.market_id(symbol)
        for _ in range(count):
            self.generator.step(market_id)
            for _ in range(trades):
                self.generator.trade_step(market_id)

    # ---- hooks -------------------------------------------------------------------------

    def _on_order(self, order: Order, execution: str, fill: Fill | None) -> None:
        self._ws_api.on_order(order, execution, fill)

    def _on_balances(self, account: Account, assets: set[str]) -> None:
        self._ws_api.on_balances(account, assets)

    async def _after_order(self, request: web.Request) -> None:
        if self.faults.take(FaultKind.DROP_ORDER_RESPONSE, request.path) is not None:
            await self.faults.released.wait()

    def _drop_connections(self, scope: str | None, abrupt: bool) -> int:
        dropped = 0
        for conn in list(self.hub.connections):
            if scope is None or scope == conn.path or scope in conn.subscriptions:
                conn.abort(abrupt=abrupt)
                dropped += 1
        return dropped

    def _shift_clock(self, ms: int) -> None:
        self.state.clock_offset_ms = ms
