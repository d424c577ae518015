"""Turning whatever credentials the caller holds into ccxt's config, checked against the
venue's ``requiredCredentials`` before anything is sent. Values are never formatted into
messages: only field names are."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from core import AuthenticationError

# Friendly names accepted in mappings -> ccxt's config names.
ALIASES: Mapping[str, str] = {
    "api_key": "apiKey",
    "key": "apiKey",
    "passphrase": "password",
    "private_key": "privateKey",
    "wallet_address": "walletAddress",
}


class CredentialSource(Protocol):
    """Anything that can hand ccxt its credential fields (``keys.Credentials`` does)."""

    def to_ccxt_config(self) -> dict[str, str]: ...


def credential_config(credentials: CredentialSource | Mapping[str, Any] | None) -> dict[str, str]:
    """ccxt config fields (``apiKey``, ``secret``, ``password``...) from any credentials."""
    if credentials is None:
        return {}
    if isinstance(credentials, Mapping):
        items = credentials.items()
    else:
        items = credentials.to_ccxt_config().items()
    out: dict[str, str] = {}
    for name, value in items:
        if value is None or value == "":
            continue
        if hasattr(value, "get_secret_value"):  # pydantic SecretStr
            value = value.get_secret_value()
        out[ALIASES.get(str(name), str(name))] = str(value)
    return out


def check_required(
    venue: str, account: str | None, required: Mapping[str, Any], given: Mapping[str, str]
) -> None:
    """Raise :class:`core.AuthenticationError` naming the missing fields when some, but not
    all, credentials were given (no credentials at all means a public-only adapter)."""
    if not given:
        return
    missing = [name for name, needed in required.items() if needed and not given.get(name)]
    if missing:
        who = f" account {account!r}" if account else ""
        raise AuthenticationError(
            f"{venue}{who}: missing credential field(s) {', '.join(sorted(missing))} "
            f"(ccxt requiredCredentials); given: {', '.join(sorted(given))}",
            venue=venue,
        )
