"""A local exchange speaking Binance spot's REST + WebSocket protocol.

>>> async with Simulator(seed=1, symbols=["BTC/USDT"]) as sim:   # doctest: +SKIP
...     ex = ccxt.pro.binance({"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET,
...                            "options": dict(CLIENT_OPTIONS)})
...     ex.urls = endpoint_urls(ex.urls, sim.endpoint)

The server never imports ccxt; :data:`CLIENT_OPTIONS` says what a ccxt client must set.
See ``docs/simulator.md`` for what is covered of Binance's protocol.
"""

from exchanges.simulator._client_options import CLIENT_OPTIONS
from exchanges.simulator._errors import ApiError
from exchanges.simulator._faults import Fault, FaultKind, Faults
from exchanges.simulator._generator import GeneratorConfig, MarketGenerator
from exchanges.simulator._limits import ServerLimits
from exchanges.simulator._matching import EngineHooks, MatchingEngine
from exchanges.simulator._ratelimit import OrderCounter, WeightLimiter, request_weight
from exchanges.simulator._records import (
    Account,
    Balance,
    Fill,
    Order,
    OrderStatus,
    Side,
    Trade,
)
from exchanges.simulator._serve import serve
from exchanges.simulator._server import DEFAULT_SYMBOLS, Simulator
from exchanges.simulator._spec import (
    DEMO_API_KEY,
    DEMO_BALANCES,
    DEMO_SECRET,
    SymbolSpec,
    spec_for,
)
from exchanges.simulator._state import SimState

__all__ = [
    "CLIENT_OPTIONS",
    "DEFAULT_SYMBOLS",
    "DEMO_API_KEY",
    "DEMO_BALANCES",
    "DEMO_SECRET",
    "Account",
    "ApiError",
    "Balance",
    "EngineHooks",
    "Fault",
    "FaultKind",
    "Faults",
    "Fill",
    "GeneratorConfig",
    "MarketGenerator",
    "MatchingEngine",
    "Order",
    "OrderCounter",
    "OrderStatus",
    "ServerLimits",
    "Side",
    "SimState",
    "Simulator",
    "SymbolSpec",
    "Trade",
    "WeightLimiter",
    "request_weight",
    "serve",
    "spec_for",
]
