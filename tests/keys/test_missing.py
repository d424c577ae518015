"""MissingCredentials names venue, account, fields and every source; never a value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from keys import KeyManager, MissingCredentials
from tests.keys._util import API_KEY, SECRET, assert_no_secret, toml_account, write_private


def test_nothing_found_names_every_source(keys_path: Path) -> None:
    with pytest.raises(MissingCredentials) as info:
        KeyManager(keys_path).get("okx", "hedge")
    err = info.value
    text = str(err)
    assert (err.venue, err.account) == ("okx", "hedge")
    assert err.missing == ("api_key", "secret", "password")
    assert text.startswith("okx: no credentials for account 'hedge'")
    assert "required: api_key, secret, password" in text
    assert "explicit values: none given" in text
    for field in ("API_KEY", "SECRET", "PASSWORD"):
        assert f"EXCHANGES_KEY__OKX__HEDGE__{field}" in text
    dotenv = Path(".env").absolute()
    assert f".env file {dotenv} (the same variable names): file does not exist" in text
    assert f"keys file {keys_path} [okx.hedge]: file does not exist" in text
    assert "OS keyring service 'exchanges:okx:hedge'" in text
    assert len(err.searched) == 5


def test_default_account_name(keys_path: Path) -> None:
    with pytest.raises(MissingCredentials, match="account 'default'") as info:
        KeyManager(keys_path).get("binance")
    assert "EXCHANGES_KEY__BINANCE__DEFAULT__API_KEY" in str(info.value)


def test_incomplete_set_names_fields_and_holds_no_value(
    keys_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_private(keys_path, toml_account("okx", "main", api_key=API_KEY, secret=SECRET))
    with pytest.raises(MissingCredentials) as info:
        KeyManager(keys_path).get("okx", "main")
    err = info.value
    assert err.missing == ("password",)
    assert err.supplied_by == f"keys file {keys_path} [okx.main]"
    assert "okx: account 'main' lacks password" in str(err)
    assert_no_secret(str(err))
    assert_no_secret(repr(err))


def test_required_override(keys_path: Path) -> None:
    write_private(keys_path, toml_account("binance", "main", api_key=API_KEY))
    km = KeyManager(keys_path)
    with pytest.raises(MissingCredentials, match="lacks secret"):
        km.get("binance", "main")
    assert km.get("binance", "main", required=["apiKey"]).fields == ("api_key",)


def test_keyring_missing_message(keys_path: Path, memory_keyring: Any) -> None:
    memory_keyring.set_password("exchanges:okx:main", "api_key", API_KEY)
    with pytest.raises(MissingCredentials) as info:
        KeyManager(keys_path).get("okx", "main")
    assert info.value.missing == ("secret", "password")
    assert "OS keyring 'exchanges:okx:main'" in str(info.value)
    assert_no_secret(str(info.value))


def test_venue_needing_nothing(keys_path: Path) -> None:
    creds = KeyManager(keys_path).get("dydx")  # ccxt requires no credential for dydx
    assert not creds
    assert creds.source.kind == "none"


def test_unknown_venue_without_required_is_not_checked(keys_path: Path) -> None:
    creds = KeyManager(keys_path).get("myvenue", explicit={"token": API_KEY})
    assert creds.fields == ("token",)
    with pytest.raises(MissingCredentials, match="lacks api_key"):
        KeyManager(keys_path).get("myvenue", required=["api_key"], explicit={"token": API_KEY})
