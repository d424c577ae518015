"""Everything venue-facing: the adapter interface, the generic ccxt.pro adapter, venues,
and the factory.

``from exchanges import ExchangeFactory, BaseExchange`` (contract).
"""

from exchanges._base import BaseExchange, LifecycleState
from exchanges._capabilities import Capabilities, Support
from exchanges._ccxt_adapter import CcxtExchange, ccxt_venues
from exchanges._factory import ExchangeFactory
from exchanges._orders import ClientOrderIdRules, OrderRequest
from exchanges._registry import adapter_class, register, registered, registered_venues
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
