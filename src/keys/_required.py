"""Which credential fields a venue needs, read from ccxt's ``requiredCredentials``.

ccxt declares them per exchange class (``okx``: apiKey, secret, password; ``hyperliquid``:
walletAddress, privateKey). Reading them means instantiating the class once, which opens
no connection; the answer is cached per venue.
"""

from __future__ import annotations

from functools import cache

from keys._credentials import FIELD_NAMES, FROM_CCXT
from keys._errors import UnknownVenue


@cache
def _required(venue: str) -> tuple[str, ...]:
    import ccxt

    if venue not in ccxt.exchanges:
        raise UnknownVenue(venue)
    declared = getattr(ccxt, venue)().requiredCredentials
    # ccxt's base class declares exactly the ten names in FROM_CCXT; a venue cannot add one.
    wanted = {FROM_CCXT[name] for name, needed in declared.items() if needed and name in FROM_CCXT}
    return tuple(name for name in FIELD_NAMES if name in wanted)


def required_credentials(venue: str) -> tuple[str, ...]:
    """The fields ``venue`` requires, by our names, in ccxt's order.

    ``required_credentials("okx") == ("api_key", "secret", "password")``. Raises
    :class:`~keys.UnknownVenue` when ccxt has no exchange with that id.
    """
    return _required(venue.lower())
