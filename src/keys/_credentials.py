"""``Credentials``: one account's secrets, as ``SecretStr``, and where they came from.

Field names are ccxt's ``requiredCredentials`` names in snake case. Input accepts either
spelling and a few aliases (``apiKey``, ``API_KEY``, ``passphrase``); output to ccxt goes
through :meth:`Credentials.to_ccxt_config`, the one place values are unwrapped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from keys._errors import KeysConfigError

# (our name, ccxt's name), in ccxt's order.
CREDENTIAL_FIELDS: tuple[tuple[str, str], ...] = (
    ("api_key", "apiKey"),
    ("secret", "secret"),
    ("uid", "uid"),
    ("account_id", "accountId"),
    ("login", "login"),
    ("password", "password"),
    ("twofa", "twofa"),
    ("private_key", "privateKey"),
    ("wallet_address", "walletAddress"),
    ("token", "token"),
)
FIELD_NAMES: tuple[str, ...] = tuple(name for name, _ in CREDENTIAL_FIELDS)
TO_CCXT: dict[str, str] = dict(CREDENTIAL_FIELDS)
FROM_CCXT: dict[str, str] = {ccxt: name for name, ccxt in CREDENTIAL_FIELDS}

# Spelling-insensitive lookup: lower case, without '_' and '-'.
_ALIASES: dict[str, str] = {name.replace("_", ""): name for name in FIELD_NAMES}
_ALIASES["passphrase"] = "password"  # noqa: S105 - a field name, not a secret

_NAME_RE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
DEFAULT_ACCOUNT = "default"

SourceKind = Literal["explicit", "env", "dotenv", "file", "keyring", "none"]


def normalize_field(name: str) -> str | None:
    """Our field name for ``apiKey`` / ``api_key`` / ``API-KEY`` / ``passphrase``; else None."""
    return _ALIASES.get(name.lower().replace("_", "").replace("-", ""))


def check_name(kind: str, name: str) -> str:
    """Lower-case ``name`` and check it: letters, digits, single inner underscores.

    Double underscores are refused because ``__`` separates the parts of an environment
    variable name (``EXCHANGES_KEY__<VENUE>__<ACCOUNT>__<FIELD>``).
    """
    low = name.lower()
    if not _NAME_RE.fullmatch(low):
        raise KeysConfigError(
            f"invalid {kind} name {name!r}: use letters, digits and single underscores "
            "(not at the start or the end)"
        )
    return low


@dataclass(frozen=True, slots=True)
class CredentialSource:
    """Where a credential set was found. Never holds a value.

    ``kind`` is one of ``explicit``, ``env``, ``dotenv``, ``file``, ``keyring``, ``none``
    (nothing was found and the venue needs nothing); ``location`` says where exactly.
    """

    kind: SourceKind
    location: str = ""

    def __str__(self) -> str:
        labels = {
            "explicit": "explicit values",
            "env": "environment",
            "dotenv": ".env file",
            "file": "keys file",
            "keyring": "OS keyring",
            "none": "no source",
        }
        label = labels[self.kind]
        return f"{label} {self.location}" if self.location else label


EXPLICIT = CredentialSource("explicit")


class Credentials(BaseModel):
    """One account's credentials. Frozen; every value is a :class:`pydantic.SecretStr`.

    ``repr``, ``str`` and ``model_dump_json`` show which fields are set, never a value.
    Empty or blank values count as absent. Construct with our names or ccxt's::

        Credentials(api_key="...", secret="...")
        Credentials.from_mapping({"apiKey": "...", "secret": "...", "passphrase": "..."})
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    api_key: SecretStr | None = None
    secret: SecretStr | None = None
    uid: SecretStr | None = None
    account_id: SecretStr | None = None
    login: SecretStr | None = None
    password: SecretStr | None = None
    twofa: SecretStr | None = None
    private_key: SecretStr | None = None
    wallet_address: SecretStr | None = None
    token: SecretStr | None = None
    source: CredentialSource = EXPLICIT

    @model_validator(mode="before")
    @classmethod
    def _normalize(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key == "source":
                out[key] = value
                continue
            name = normalize_field(str(key))
            if name is None:
                raise KeysConfigError(
                    f"unknown credential field {key!r}; known: {', '.join(FIELD_NAMES)}"
                )
            if name in out:
                raise KeysConfigError(f"credential field {name!r} given twice ({key!r})")
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)  # a numeric uid written without quotes
            if not isinstance(value, str | SecretStr):
                raise KeysConfigError(
                    f"credential field {name!r} must be a string, not {type(value).__name__}"
                )
            out[name] = value
        return out

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, Any], source: CredentialSource = EXPLICIT
    ) -> Credentials:
        """Build from a mapping keyed by our names, ccxt's names or an alias."""
        return cls.model_validate({**values, "source": source})

    @property
    def fields(self) -> tuple[str, ...]:
        """Names of the fields that hold a value, in ccxt's order."""
        return tuple(name for name in FIELD_NAMES if getattr(self, name) is not None)

    def missing(self, required: Iterable[str]) -> tuple[str, ...]:
        """Which of ``required`` (our names or ccxt's) hold no value."""
        present = set(self.fields)
        out: list[str] = []
        for name in required:
            field = normalize_field(name)
            if field is None:
                raise KeysConfigError(f"unknown credential field {name!r}")
            if field not in present and field not in out:
                out.append(field)
        return tuple(out)

    def with_source(self, source: CredentialSource) -> Credentials:
        """The same values, labelled with another source."""
        return self.model_copy(update={"source": source})

    def to_ccxt_config(self) -> dict[str, str]:
        """The values under ccxt's config names (``apiKey``, ``secret``, ``password``, ...).

        The only place values are unwrapped: hand the result to ccxt and drop it.
        """
        out: dict[str, str] = {}
        for name, ccxt_name in CREDENTIAL_FIELDS:
            value: SecretStr | None = getattr(self, name)
            if value is not None:
                out[ccxt_name] = value.get_secret_value()
        return out

    def __bool__(self) -> bool:
        return bool(self.fields)

    def __repr__(self) -> str:
        return f"Credentials(fields={list(self.fields)!r}, source={str(self.source)!r})"

    def __str__(self) -> str:
        shown = ", ".join(self.fields) or "no fields"
        return f"credentials [{shown}] from {self.source}"
