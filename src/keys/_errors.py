"""Errors raised while resolving, reading or writing credentials.

They belong to the library's one error tree (:mod:`core`): ``except core.ExchangeError``
catches them, a missing credential is also an :class:`core.AuthenticationError`, and a
refused or malformed file a :class:`core.ConfigurationError`.

::

    KeysError (core.ExchangeError)  root of every error of this package
    ├── MissingCredentials     required fields not found (also core.AuthenticationError)
    ├── InsecureKeysFile       readable by others / owned by someone else (ConfigurationError)
    ├── KeysConfigError        malformed file, variable or account name (ConfigurationError)
    └── UnknownVenue           ccxt has no such exchange id (ConfigurationError, LookupError)

No message ever carries a credential value: they name venues, accounts, field names,
environment variable names, file paths and keyring services, nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence

from core import AuthenticationError, ConfigurationError, ExchangeError


class KeysError(ExchangeError):
    """Root of every error raised by :mod:`keys`."""


class MissingCredentials(KeysError, AuthenticationError):
    """A venue's required credential fields could not be found.

    ``missing`` holds the field names (``api_key``, ``secret``, ...), ``searched`` one line
    per source in the order they were consulted.
    """

    def __init__(
        self,
        venue: str,
        account: str,
        missing: Sequence[str],
        searched: Sequence[str],
        *,
        supplied_by: str | None = None,
    ) -> None:
        self.venue = venue
        self.account = account
        self.missing = tuple(missing)
        self.searched = tuple(searched)
        self.supplied_by = supplied_by
        fields = ", ".join(self.missing)
        if supplied_by is None:
            head = (
                f"{venue}: no credentials for account {account!r} "
                f"(required: {fields}). Searched, in order:"
            )
        else:
            head = (
                f"{venue}: account {account!r} lacks {fields}. Its credentials come from "
                f"{supplied_by}, and a set is never completed from another source. "
                "Searched, in order:"
            )
        lines = [head, *(f"  {i}. {line}" for i, line in enumerate(self.searched, 1))]
        lines.append("See docs/keys.md for where credentials can live.")
        super().__init__("\n".join(lines), venue=venue)


class InsecureKeysFile(KeysError, ConfigurationError):
    """The keys file is group/world accessible or owned by another user (ssh's rule)."""

    def __init__(self, path: str, reason: str, fix: str) -> None:
        self.path = path
        self.reason = reason
        self.fix = fix
        super().__init__(f"refusing keys file {path}: {reason}. Fix: {fix}")


class KeysConfigError(KeysError, ConfigurationError):
    """A keys file, environment variable or name is malformed (never shows a value)."""


class UnknownVenue(KeysError, ConfigurationError, LookupError):
    """ccxt has no exchange with this id, so its required credentials are unknown."""

    def __init__(self, venue: str) -> None:
        super().__init__(
            f"ccxt has no exchange {venue!r}; pass required=(...) to name the fields it needs",
            venue=venue,
        )
