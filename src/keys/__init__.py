"""Credentials handled like a security tool: resolved, checked, stored, never shown.

``KeyManager().get("binance", "main")`` returns :class:`Credentials` from, in order,
explicit values, ``EXCHANGES_KEY__BINANCE__MAIN__<FIELD>`` in the environment or ``.env``,
the keys file (``~/.config/exchanges/keys.toml``, refused unless mode 0600 and ours), or
the OS keyring (optional). See docs/keys.md.
"""

from keys._credentials import (
    CREDENTIAL_FIELDS,
    DEFAULT_ACCOUNT,
    FIELD_NAMES,
    Credentials,
    CredentialSource,
)
from keys._errors import (
    InsecureKeysFile,
    KeysConfigError,
    KeysError,
    MissingCredentials,
    UnknownVenue,
)
from keys._files import default_keys_file
from keys._manager import AccountInfo, CheckResult, KeyManager
from keys._required import required_credentials
from keys._sources import env_var, keyring_service

__all__ = [
    "CREDENTIAL_FIELDS",
    "DEFAULT_ACCOUNT",
    "FIELD_NAMES",
    "AccountInfo",
    "CheckResult",
    "CredentialSource",
    "Credentials",
    "InsecureKeysFile",
    "KeyManager",
    "KeysConfigError",
    "KeysError",
    "MissingCredentials",
    "UnknownVenue",
    "default_keys_file",
    "env_var",
    "keyring_service",
    "required_credentials",
]
