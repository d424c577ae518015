"""Required fields come from ccxt's own requiredCredentials (no network, no mock)."""

from __future__ import annotations

import pytest

from keys import KeyManager, UnknownVenue, required_credentials


@pytest.mark.parametrize(
    ("venue", "expected"),
    [
        ("binance", ("api_key", "secret")),
        ("okx", ("api_key", "secret", "password")),
        ("kucoin", ("api_key", "secret", "password")),
        ("coinbase", ("api_key", "secret")),
        ("kraken", ("api_key", "secret")),
        ("hyperliquid", ("private_key", "wallet_address")),
    ],
)
def test_required_credentials(venue: str, expected: tuple[str, ...]) -> None:
    assert required_credentials(venue) == expected
    assert KeyManager.required_credentials(venue.upper()) == expected


def test_unknown_venue() -> None:
    with pytest.raises(UnknownVenue, match="nosuchvenue"):
        required_credentials("nosuchvenue")
    with pytest.raises(LookupError):
        required_credentials("nosuchvenue")


def test_every_ccxt_venue_is_readable() -> None:
    import ccxt

    from keys import FIELD_NAMES

    for venue in ccxt.exchanges:
        fields = required_credentials(venue)
        assert set(fields) <= set(FIELD_NAMES), venue
