"""Everything venue-facing: the adapter interface, the generic ccxt.pro adapter, venues,
and the factory.

``from exchanges import ExchangeFactory, BaseExchange`` (contract).

The rooms, lowest first (each may import only the ones before it; docs/architecture.md):
``simulator`` (a server, imports nothing of the library), ``_capabilities``, ``trading``,
the interface (``_base``, ``_streaming``), ``ccxt`` (the generic adapter), ``factory``,
``venues``, ``metrics`` and ``pytest_plugin``, this package, and ``cli`` on top.
"""

from exchanges._base import BaseExchange, LifecycleState
from exchanges._capabilities import Capabilities, Support
from exchanges.ccxt import CcxtExchange, ccxt_venues
from exchanges.factory import (
    ExchangeFactory,
    adapter_class,
    register,
    registered,
    registered_venues,
)
from exchanges.trading import ClientOrderIdRules, OrderRequest
from exchanges.venues import (
    BinanceExchange,
    CoinbaseExchange,
    KrakenExchange,
    OkxExchange,
)

__all__ = [
    "BaseExchange",
    "BinanceExchange",
    "Capabilities",
    "CcxtExchange",
    "ClientOrderIdRules",
    "CoinbaseExchange",
    "ExchangeFactory",
    "KrakenExchange",
    "LifecycleState",
    "OkxExchange",
    "OrderRequest",
    "Support",
    "adapter_class",
    "ccxt_venues",
    "register",
    "registered",
    "registered_venues",
]
