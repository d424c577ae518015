"""Credentials: names, aliases, and that no rendering ever shows a value."""

from __future__ import annotations

import json
import pickle

import pytest
from pydantic import SecretStr, ValidationError

from keys import Credentials, CredentialSource, KeysConfigError
from tests.keys._util import API_KEY, PASSPHRASE, SECRET, assert_no_secret


def make() -> Credentials:
    return Credentials(
        api_key=API_KEY,
        secret=SECRET,
        password=PASSPHRASE,
        source=CredentialSource("file", "/x/keys.toml [okx.main]"),
    )


def test_values_are_secretstr() -> None:
    creds = make()
    assert isinstance(creds.api_key, SecretStr)
    assert isinstance(creds.secret, SecretStr)
    assert creds.uid is None


def test_repr_str_and_json_show_no_value() -> None:
    creds = make()
    for text in (repr(creds), str(creds), creds.model_dump_json(), f"{creds}", f"{creds!r}"):
        assert_no_secret(text)
    assert "api_key" in repr(creds)
    assert "secret" in str(creds)
    dumped = json.loads(creds.model_dump_json())
    assert dumped["api_key"] == "**********"
    assert dumped["source"] == {"kind": "file", "location": "/x/keys.toml [okx.main]"}


def test_to_ccxt_config_uses_ccxt_names() -> None:
    assert make().to_ccxt_config() == {
        "apiKey": API_KEY,
        "secret": SECRET,
        "password": PASSPHRASE,
    }
    wallet = Credentials(private_key="0xabc", wallet_address="0xdef")
    assert wallet.to_ccxt_config() == {"privateKey": "0xabc", "walletAddress": "0xdef"}


@pytest.mark.parametrize("name", ["apiKey", "api_key", "API_KEY", "api-key", "APIKEY"])
def test_field_spellings(name: str) -> None:
    assert Credentials.from_mapping({name: API_KEY}).fields == ("api_key",)


def test_passphrase_is_password() -> None:
    creds = Credentials.from_mapping({"passphrase": PASSPHRASE})
    assert creds.fields == ("password",)
    assert creds.to_ccxt_config() == {"password": PASSPHRASE}


def test_blank_values_count_as_absent() -> None:
    creds = Credentials(api_key="", secret="   ", uid=None)
    assert creds.fields == ()
    assert not creds
    assert creds.missing(["apiKey", "secret"]) == ("api_key", "secret")


def test_numeric_uid_becomes_text() -> None:
    assert Credentials.from_mapping({"uid": 12345}).to_ccxt_config() == {"uid": "12345"}


def test_unknown_field_is_named_without_value() -> None:
    with pytest.raises(KeysConfigError, match="'api_secret'") as info:
        Credentials.from_mapping({"api_secret": SECRET})
    assert_no_secret(str(info.value))


def test_same_field_twice_is_refused() -> None:
    with pytest.raises(KeysConfigError, match="given twice"):
        Credentials.from_mapping({"apiKey": API_KEY, "api_key": API_KEY})


def test_wrong_type_error_hides_value() -> None:
    with pytest.raises(KeysConfigError, match="must be a string"):
        Credentials.from_mapping({"secret": [SECRET]})


def test_frozen() -> None:
    creds = make()
    with pytest.raises(ValidationError) as info:
        creds.api_key = SecretStr("other")  # type: ignore[misc]
    assert_no_secret(str(info.value))


def test_source_has_no_value_and_default_is_explicit() -> None:
    assert Credentials(api_key=API_KEY).source == CredentialSource("explicit")
    assert str(CredentialSource("keyring", "'exchanges:binance:main'")) == (
        "OS keyring 'exchanges:binance:main'"
    )


def test_pickle_round_trip_keeps_values_hidden() -> None:
    creds = make()
    copy = pickle.loads(pickle.dumps(creds))  # noqa: S301 - our own object
    assert copy == creds
    assert_no_secret(repr(copy))
