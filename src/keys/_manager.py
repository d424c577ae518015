"""``KeyManager``: resolve (venue, account) to :class:`~keys.Credentials`, and store them.

Sources are consulted in this order, and **the first one that holds the account supplies
the whole set**:

1. explicit values passed to :meth:`KeyManager.get`;
2. the process environment: ``EXCHANGES_KEY__<VENUE>__<ACCOUNT>__<FIELD>``;
3. the same variables in the ``.env`` file;
4. the keys file (TOML, ``[venue.account]`` tables, refused unless private);
5. the OS keyring (optional ``keyring`` package): service ``exchanges:<venue>:<account>``.

Fields are never merged across sources: an API key and its secret are issued together,
and completing a key found in the environment with a secret left in the keys file (say,
after a rotation) would fail at the venue with a confusing signature error. An incomplete
set raises :class:`~keys.MissingCredentials` naming the source that holds it instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, NamedTuple

from core import get_logger
from keys._credentials import (
    DEFAULT_ACCOUNT,
    FROM_CCXT,
    Credentials,
    CredentialSource,
    check_name,
    normalize_field,
)
from keys._errors import KeysConfigError, MissingCredentials, UnknownVenue
from keys._files import default_keys_file, read_keys_file, write_keys_file
from keys._required import required_credentials
from keys._sources import (
    EnvSource,
    ExplicitSource,
    FileSource,
    KeyringSource,
    Source,
    keyring_service,
    read_env_settings,
)

log = get_logger(__name__)

Store = Literal["file", "keyring"]


def _account(account: str | None) -> str:
    return check_name("account", DEFAULT_ACCOUNT if account is None else account)


class AccountInfo(NamedTuple):
    """One account a source holds (never a value)."""

    venue: str
    account: str
    source: CredentialSource
    fields: tuple[str, ...]


class CheckResult(NamedTuple):
    """What :meth:`KeyManager.check` found for one account (never a value)."""

    venue: str
    account: str
    source: CredentialSource | None
    required: tuple[str, ...]
    present: tuple[str, ...]
    missing: tuple[str, ...]
    searched: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when a source holds the account and it has every required field."""
        return not self.missing and (self.source is not None or not self.required)


class KeyManager:
    """Finds, checks, lists and stores credentials. Holds no secret itself.

    ``keys_file``: the TOML keys file; default the ``EXCHANGES_KEYS_FILE`` setting, else
    ``$XDG_CONFIG_HOME/exchanges/keys.toml`` (``~/.config/exchanges/keys.toml``).
    ``env_file``: the ``.env`` read along with the environment (None: environment only).
    ``use_keyring``: consult the OS keyring when the ``keyring`` package is installed.
    Sources are read on each call, so a changed file or variable is seen at once.
    """

    def __init__(
        self,
        keys_file: str | os.PathLike[str] | None = None,
        *,
        env_file: str | os.PathLike[str] | None = ".env",
        use_keyring: bool = True,
    ) -> None:
        self.env_file = None if env_file is None else Path(env_file).expanduser()
        if keys_file is None:
            keys_file = read_env_settings(self.env_file).keys_file or default_keys_file()
        self.keys_file = Path(keys_file).expanduser()
        self.use_keyring = use_keyring

    def __repr__(self) -> str:
        env_file = None if self.env_file is None else str(self.env_file)
        return (
            f"KeyManager(keys_file={str(self.keys_file)!r}, env_file={env_file!r}, "
            f"use_keyring={self.use_keyring!r})"
        )

    # -- resolution -------------------------------------------------------------------

    @staticmethod
    def required_credentials(venue: str) -> tuple[str, ...]:
        """The fields ccxt says ``venue`` requires (``("api_key", "secret")``...)."""
        return required_credentials(venue)

    def _sources(self, explicit: Mapping[str, str] | None) -> list[Source]:
        sources: list[Source] = [ExplicitSource(explicit), EnvSource()]
        if self.env_file is not None:
            sources.append(EnvSource(self.env_file))
        sources += [FileSource(self.keys_file), KeyringSource(self.use_keyring)]
        return sources

    @staticmethod
    def _required(venue: str, required: Sequence[str] | None) -> tuple[str, ...]:
        if required is None:
            try:
                return required_credentials(venue)
            except UnknownVenue:
                log.debug("venue unknown to ccxt, no required fields", venue=venue)
                return ()
        out: list[str] = []
        for name in required:
            field = normalize_field(name)
            if field is None:
                raise KeysConfigError(f"unknown credential field {name!r} in required=")
            if field not in out:
                out.append(field)
        return tuple(out)

    def _resolve(
        self,
        venue: str,
        account: str,
        required: tuple[str, ...],
        explicit: Mapping[str, str] | None,
    ) -> tuple[Credentials | None, list[str]]:
        """The first source's set (or None), and one line per source for messages."""
        searched: list[str] = []
        sources = self._sources(explicit)
        for i, source in enumerate(sources):
            label = source.label(venue, account, required)
            found = source.lookup(venue, account, required)
            searched.append(f"{label}: {found.outcome}")
            if found.credentials is not None:
                searched.extend(
                    f"{later.label(venue, account, required)}: not consulted"
                    for later in sources[i + 1 :]
                )
                return found.credentials, searched
        return None, searched

    def find(
        self,
        venue: str,
        account: str | None = None,
        *,
        explicit: Mapping[str, str] | None = None,
    ) -> Credentials | None:
        """The first source's set for the account, complete or not; None if none holds it."""
        v, a = check_name("venue", venue), _account(account)
        creds, _ = self._resolve(v, a, self._required(v, None), explicit)
        return creds

    def get(
        self,
        venue: str,
        account: str | None = None,
        *,
        required: Sequence[str] | None = None,
        explicit: Mapping[str, str] | None = None,
    ) -> Credentials:
        """Resolve the credentials of ``account`` (``"default"`` when None) on ``venue``.

        ``required`` overrides ccxt's ``requiredCredentials`` (our names or ccxt's). Raises
        :class:`~keys.MissingCredentials` when no source holds the account or the set
        found lacks a required field. A venue that requires nothing and has no stored
        account gets empty credentials whose ``source.kind`` is ``"none"``.
        """
        v, a = check_name("venue", venue), _account(account)
        req = self._required(v, required)
        creds, searched = self._resolve(v, a, req, explicit)
        if creds is None:
            if not req:
                return Credentials(source=CredentialSource("none"))
            log.info("credentials missing", venue=v, account=a, missing=list(req))
            raise MissingCredentials(v, a, req, searched)
        missing = creds.missing(req)
        if missing:
            log.info("credentials incomplete", venue=v, account=a, missing=list(missing))
            raise MissingCredentials(v, a, missing, searched, supplied_by=str(creds.source))
        log.debug(
            "credentials resolved",
            venue=v,
            account=a,
            source=creds.source.kind,
            fields=list(creds.fields),
        )
        return creds

    def check(
        self, venue: str, account: str | None = None, *, required: Sequence[str] | None = None
    ) -> CheckResult:
        """Which required fields the account has and lacks, and where it was found."""
        v, a = check_name("venue", venue), _account(account)
        req = self._required(v, required)
        creds, searched = self._resolve(v, a, req, None)
        present = creds.fields if creds is not None else ()
        missing = creds.missing(req) if creds is not None else req
        source = creds.source if creds is not None else None
        return CheckResult(v, a, source, req, present, missing, tuple(searched))

    def list_accounts(self) -> list[AccountInfo]:
        """Every account in the environment, ``.env`` and the keys file, in precedence order.

        The same account may appear once per source; :meth:`get` uses the first. The OS
        keyring cannot be enumerated and is not listed.
        """
        out: list[AccountInfo] = []
        listed: list[EnvSource | FileSource] = [EnvSource()]
        if self.env_file is not None:
            listed.append(EnvSource(self.env_file))
        listed.append(FileSource(self.keys_file))
        for source in listed:
            out.extend(
                AccountInfo(f.venue, f.account, f.credentials.source, f.credentials.fields)
                for f in source.accounts()
            )
        return out

    # -- storage ----------------------------------------------------------------------

    def add(
        self,
        venue: str,
        account: str | None,
        credentials: Credentials | Mapping[str, str],
        *,
        store: Store = "file",
        overwrite: bool = False,
    ) -> CredentialSource:
        """Store an account in the keys file (atomically, 0600) or the OS keyring.

        Refuses to replace an existing account unless ``overwrite``. Returns where it went.
        """
        v, a = check_name("venue", venue), _account(account)
        creds = (
            credentials
            if isinstance(credentials, Credentials)
            else Credentials.from_mapping(credentials)
        )
        if not creds:
            raise KeysConfigError(f"no credential field given for {v} account {a!r}")
        if store == "keyring":
            keyring = KeyringSource(True)
            if not overwrite and keyring.lookup(v, a, ()).credentials is not None:
                raise KeysConfigError(
                    f"the OS keyring already holds {v} account {a!r}; pass overwrite=True"
                )
            keyring.store(v, a, creds)
            where = CredentialSource("keyring", repr(keyring_service(v, a)))
        else:
            data = read_keys_file(self.keys_file) or {}
            accounts = data.setdefault(v, {})
            if a in accounts and not overwrite:
                raise KeysConfigError(
                    f"keys file {self.keys_file} already has [{v}.{a}]; pass overwrite=True "
                    "or remove it first"
                )
            # Our names in the file; the values pass through to_ccxt_config, the one unwrap.
            accounts[a] = {FROM_CCXT[k]: value for k, value in creds.to_ccxt_config().items()}
            write_keys_file(self.keys_file, data)
            where = CredentialSource("file", f"{self.keys_file} [{v}.{a}]")
        log.info("credentials stored", venue=v, account=a, store=store, fields=list(creds.fields))
        return where

    def remove(self, venue: str, account: str | None, *, store: Store = "file") -> bool:
        """Delete an account from the keys file or the OS keyring; False if it was absent."""
        v, a = check_name("venue", venue), _account(account)
        if store == "keyring":
            removed = KeyringSource(True).delete(v, a)
        else:
            data = read_keys_file(self.keys_file)
            removed = data is not None and a in data.get(v, {})
            if data is not None and removed:
                del data[v][a]
                if not data[v]:
                    del data[v]
                write_keys_file(self.keys_file, data)
        if removed:
            log.info("credentials removed", venue=v, account=a, store=store)
        return removed
