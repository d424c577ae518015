"""The generic ccxt.pro adapter: one class, :class:`CcxtExchange`, for every ccxt.pro id.

``_base_client`` builds the ccxt client and owns identity and error translation,
``_markets`` the markets, ``_core`` the lifecycle; ``_trading`` adds the order methods
(validation, placement, cancels, settling a lost answer); ``_adapter`` completes
:class:`CcxtExchange` with market data, account reads and the watch methods;
``_private_streams`` shares a refusal of the credentials between the private channels;
``_feeds`` turns ccxt's watch/fetch calls into the supervisor's feeds; ``_credentials``
turns credentials into ccxt's config. It may use ``core``, the interface
(``exchanges._base``, ``_capabilities``, ``_streaming``) and ``exchanges.trading``; venue
subclasses (``exchanges.venues``) build on it, never the reverse.
"""

from exchanges.ccxt._adapter import CcxtExchange
from exchanges.ccxt._core import CcxtCore, ccxt_venues, unknown_venue

__all__ = ["CcxtCore", "CcxtExchange", "ccxt_venues", "unknown_venue"]
