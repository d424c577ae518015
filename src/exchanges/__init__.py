"""Everything venue-facing: the adapter interface, the generic ccxt.pro adapter, venues.

``from exchanges import BaseExchange, CcxtExchange`` (contract).
"""

from exchanges._base import BaseExchange, LifecycleState
from exchanges._capabilities import Capabilities, Support
from exchanges._ccxt_adapter import CcxtExchange, ccxt_venues
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
