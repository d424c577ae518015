"""Where credentials can live, each source answering "do you have (venue, account)?".

* :class:`ExplicitSource` -- values passed in code.
* :class:`EnvSource` -- ``EXCHANGES_KEY__<VENUE>__<ACCOUNT>__<FIELD>`` in the process
  environment, then (a second instance) in the ``.env`` file, read with pydantic-settings.
* :class:`FileSource` -- the TOML keys file (``[venue.account]`` tables).
* :class:`KeyringSource` -- the OS keyring through the optional ``keyring`` package:
  service ``exchanges:<venue>:<account>``, one entry per field, the field name as user name.

Each lookup returns the credential set it holds (or None) and one line saying what it
searched, for :class:`~keys.MissingCredentials`. No line ever carries a value.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from core import get_logger
from keys._credentials import (
    FIELD_NAMES,
    FROM_CCXT,
    Credentials,
    CredentialSource,
    check_name,
    normalize_field,
)
from keys._errors import KeysConfigError
from keys._files import read_keys_file

log = get_logger(__name__)

ENV_PREFIX = "EXCHANGES_"
ENV_KEY_PREFIX = "EXCHANGES_KEY"
KEYRING_SERVICE_PREFIX = "exchanges"


def env_var(venue: str, account: str, field: str) -> str:
    """The environment variable of one field: ``EXCHANGES_KEY__BINANCE__MAIN__API_KEY``."""
    return f"{ENV_KEY_PREFIX}__{venue.upper()}__{account.upper()}__{field.upper()}"


def keyring_service(venue: str, account: str) -> str:
    """The keyring service name of an account: ``exchanges:binance:main``."""
    return f"{KEYRING_SERVICE_PREFIX}:{venue}:{account}"


@dataclass(frozen=True, slots=True)
class Lookup:
    """What one source holds for (venue, account), and the outcome in words (no values)."""

    credentials: Credentials | None
    outcome: str


@dataclass(frozen=True, slots=True)
class Found:
    """One account a source holds, for listings."""

    venue: str
    account: str
    credentials: Credentials


class EnvSettings(BaseSettings):
    """The keys package's view of ``EXCHANGES_*``: the keys file path and ``KEY__...``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        case_sensitive=False,
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
    )

    keys_file: Path | None = None
    # venue -> account -> field -> value; plain str only while being turned into Credentials.
    key: dict[str, dict[str, dict[str, str]]] = {}


class _ProcessEnvSettings(EnvSettings):
    """Only the process environment."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (env_settings,)


class _DotEnvSettings(EnvSettings):
    """Only the ``.env`` file."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (dotenv_settings,)


_ONLY: dict[str | None, type[EnvSettings]] = {
    None: EnvSettings,
    "env": _ProcessEnvSettings,
    "dotenv": _DotEnvSettings,
}


def read_env_settings(
    env_file: Path | None, only: Literal["env", "dotenv"] | None = None
) -> EnvSettings:
    """Read the environment and/or ``env_file``; a malformed variable raises, value hidden.

    ``only="env"`` reads the process environment alone, ``only="dotenv"`` the file alone;
    by default both, the environment winning variable by variable.
    """
    try:
        return _ONLY[only](_env_file=env_file)
    except ValidationError as exc:
        where = "; ".join(
            ENV_PREFIX + "__".join(str(p).upper() for p in err["loc"]) + f" ({err['msg'].lower()})"
            for err in exc.errors(include_input=False, include_url=False)
        )
        origin = f" in {env_file}" if only == "dotenv" else ""
        raise KeysConfigError(
            f"malformed credential variable(s){origin}: {where}. "
            "Use EXCHANGES_KEY__<VENUE>__<ACCOUNT>__<FIELD>=value"
        ) from None


def _build(
    values: Mapping[str, Any], source: CredentialSource, where: Mapping[str, str]
) -> Credentials:
    """Credentials from raw values; ``where[field]`` names the place of an unknown field."""
    for name in values:
        if normalize_field(name) is None:
            raise KeysConfigError(
                f"unknown credential field {name!r} in {where.get(name, str(source))}; "
                f"known: {', '.join(FIELD_NAMES)} (ccxt's names and 'passphrase' work too)"
            )
    return Credentials.from_mapping(values, source)


class ExplicitSource:
    """Values handed over in code (``KeyManager.get(..., explicit={...})``)."""

    def __init__(self, values: Mapping[str, str] | None) -> None:
        self._values = values

    def label(self, venue: str, account: str, required: Sequence[str]) -> str:
        return "explicit values"

    def lookup(self, venue: str, account: str, required: Sequence[str]) -> Lookup:
        if not self._values:
            return Lookup(None, "none given")
        creds = _build(self._values, CredentialSource("explicit"), {})
        if not creds:
            return Lookup(None, "all empty")
        return Lookup(creds, f"given ({', '.join(creds.fields)})")


class EnvSource:
    """``EXCHANGES_KEY__<VENUE>__<ACCOUNT>__<FIELD>`` in the process environment, or in
    the ``.env`` file when ``env_file`` is given: two sources, the environment first.
    """

    def __init__(self, env_file: Path | None = None) -> None:
        self.env_file = env_file

    @property
    def kind(self) -> Literal["env", "dotenv"]:
        return "env" if self.env_file is None else "dotenv"

    def label(self, venue: str, account: str, required: Sequence[str]) -> str:
        if self.env_file is not None:
            return f".env file {self.env_file.absolute()} (the same variable names)"
        names = ", ".join(env_var(venue, account, f) for f in required)
        names = names or env_var(venue, account, "<FIELD>")
        return f"environment variables {names}"

    def _credentials(self, venue: str, account: str, values: Mapping[str, str]) -> Credentials:
        location = f"{ENV_KEY_PREFIX}__{venue.upper()}__{account.upper()}__*"
        if self.env_file is not None:
            location = f"{self.env_file.absolute()} {location}"
        where = {name: env_var(venue, account, name) for name in values}
        if self.env_file is not None:
            where = {name: f"{var} in {self.env_file}" for name, var in where.items()}
        return _build(values, CredentialSource(self.kind, location), where)

    def _read(self) -> dict[str, dict[str, dict[str, str]]] | None:
        if self.env_file is not None and not self.env_file.is_file():
            return None
        return read_env_settings(self.env_file, self.kind).key

    def lookup(self, venue: str, account: str, required: Sequence[str]) -> Lookup:
        data = self._read()
        if data is None:
            return Lookup(None, "file does not exist")
        values = data.get(venue, {}).get(account)
        if not values:
            return Lookup(None, "not set")
        creds = self._credentials(venue, account, values)
        if not creds:
            return Lookup(None, "all empty")
        return Lookup(creds, f"found ({', '.join(creds.fields)})")

    def accounts(self) -> list[Found]:
        out: list[Found] = []
        for venue, accounts in sorted((self._read() or {}).items()):
            for account, values in sorted(accounts.items()):
                v, a = check_name("venue", venue), check_name("account", account)
                creds = self._credentials(v, a, values)
                if creds:
                    out.append(Found(v, a, creds))
        return out


class FileSource:
    """The TOML keys file. Refuses (raises) a file others can read, as ssh does."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def label(self, venue: str, account: str, required: Sequence[str]) -> str:
        return f"keys file {self.path} [{venue}.{account}]"

    def _entries(self) -> dict[tuple[str, str], Mapping[str, Any]] | None:
        data = read_keys_file(self.path)
        if data is None:
            return None
        out: dict[tuple[str, str], Mapping[str, Any]] = {}
        for venue, accounts in data.items():
            for account, values in accounts.items():
                key = (check_name("venue", venue), check_name("account", account))
                if key in out:
                    raise KeysConfigError(
                        f"keys file {self.path}: [{key[0]}.{key[1]}] appears twice "
                        "(names are case-insensitive)"
                    )
                out[key] = values
        return out

    def _credentials(self, venue: str, account: str, values: Mapping[str, Any]) -> Credentials:
        source = CredentialSource("file", f"{self.path} [{venue}.{account}]")
        return _build(values, source, dict.fromkeys(values, str(source)))

    def lookup(self, venue: str, account: str, required: Sequence[str]) -> Lookup:
        entries = self._entries()
        if entries is None:
            return Lookup(None, "file does not exist")
        values = entries.get((venue, account))
        if values is None:
            return Lookup(None, "no such table")
        creds = self._credentials(venue, account, values)
        if not creds:
            return Lookup(None, "table is empty")
        return Lookup(creds, f"found ({', '.join(creds.fields)})")

    def accounts(self) -> list[Found]:
        entries = self._entries() or {}
        out: list[Found] = []
        for (venue, account), values in sorted(entries.items()):
            creds = self._credentials(venue, account, values)
            if creds:
                out.append(Found(venue, account, creds))
        return out


def load_keyring() -> ModuleType | None:
    """The ``keyring`` module, or None when the optional package is not installed."""
    try:
        return importlib.import_module("keyring")
    except ImportError:
        return None


def _require_keyring() -> tuple[ModuleType, ModuleType]:
    module = load_keyring()
    if module is None:
        raise KeysConfigError(
            "storing credentials in the OS keyring needs the 'keyring' package "
            "(pip install 'exchanges[keyring]')"
        )
    return module, importlib.import_module("keyring.errors")


class KeyringSource:
    """The OS keyring: service ``exchanges:<venue>:<account>``, user name = field name.

    The keyring cannot list what it holds, so it takes no part in
    :meth:`~keys.KeyManager.list_accounts`.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def label(self, venue: str, account: str, required: Sequence[str]) -> str:
        names = ", ".join(required) or "<field>"
        return f"OS keyring service {keyring_service(venue, account)!r} (user names {names})"

    def lookup(self, venue: str, account: str, required: Sequence[str]) -> Lookup:
        if not self.enabled:
            return Lookup(None, "disabled (use_keyring=False)")
        module = load_keyring()
        if module is None:
            return Lookup(None, "skipped: the optional 'keyring' package is not installed")
        errors = importlib.import_module("keyring.errors")
        service = keyring_service(venue, account)
        values: dict[str, str] = {}
        try:
            for name in FIELD_NAMES:
                value: object = module.get_password(service, name)
                if isinstance(value, str) and value:
                    values[name] = value
        except errors.KeyringError as exc:
            log.debug("keyring unusable", service=service, error=type(exc).__name__)
            return Lookup(None, f"skipped: no usable keyring backend ({type(exc).__name__})")
        if not values:
            return Lookup(None, "no entry")
        creds = Credentials.from_mapping(values, CredentialSource("keyring", repr(service)))
        return Lookup(creds, f"found ({', '.join(creds.fields)})")

    def store(self, venue: str, account: str, credentials: Credentials) -> None:
        """Put every field of ``credentials`` in the keyring and delete its other fields."""
        module, errors = _require_keyring()
        service = keyring_service(venue, account)
        values = {FROM_CCXT[k]: v for k, v in credentials.to_ccxt_config().items()}
        for name in FIELD_NAMES:
            if name in values:
                module.set_password(service, name, values[name])
            elif module.get_password(service, name) is not None:
                with contextlib.suppress(errors.PasswordDeleteError):
                    module.delete_password(service, name)

    def delete(self, venue: str, account: str) -> bool:
        """Delete every field of the account from the keyring; True if one existed."""
        module, errors = _require_keyring()
        service = keyring_service(venue, account)
        removed = False
        for name in FIELD_NAMES:
            if module.get_password(service, name) is not None:
                with contextlib.suppress(errors.PasswordDeleteError):
                    module.delete_password(service, name)
                removed = True
        return removed


Source = ExplicitSource | EnvSource | FileSource | KeyringSource
