"""Where services get adapters: the registry (venue name -> adapter class, falling back to
the generic :class:`exchanges.ccxt.CcxtExchange` for any ccxt.pro id) and
:class:`ExchangeFactory` (credentials from the key manager, pooling, shared markets).

It may use ``core``, ``keys``, the interface and the generic adapter. Venue subclasses
register themselves here when ``exchanges.venues`` is imported.
"""

from exchanges.factory._factory import ExchangeFactory
from exchanges.factory._registry import (
    adapter_class,
    register,
    registered,
    registered_venues,
    unregister,
)

__all__ = [
    "ExchangeFactory",
    "adapter_class",
    "register",
    "registered",
    "registered_venues",
    "unregister",
]
