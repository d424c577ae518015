"""Each source on its own: explicit values, environment, .env, keys file, OS keyring."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from keys import CredentialSource, KeyManager, KeysConfigError, env_var, keyring_service
from tests.keys._util import (
    API_KEY,
    PASSPHRASE,
    SECRET,
    assert_no_secret,
    toml_account,
    write_private,
)


def test_explicit(keys_path: Path) -> None:
    creds = KeyManager(keys_path).get(
        "binance", "main", explicit={"apiKey": API_KEY, "secret": SECRET}
    )
    assert creds.source == CredentialSource("explicit")
    assert creds.to_ccxt_config() == {"apiKey": API_KEY, "secret": SECRET}


def test_env_variable_naming(keys_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert env_var("okx", "main", "api_key") == "EXCHANGES_KEY__OKX__MAIN__API_KEY"
    monkeypatch.setenv("EXCHANGES_KEY__OKX__MAIN__API_KEY", API_KEY)
    monkeypatch.setenv("EXCHANGES_KEY__OKX__MAIN__SECRET", SECRET)
    monkeypatch.setenv("EXCHANGES_KEY__OKX__MAIN__PASSPHRASE", PASSPHRASE)
    creds = KeyManager(keys_path).get("okx", "main")
    assert creds.source == CredentialSource("env", "EXCHANGES_KEY__OKX__MAIN__*")
    assert creds.to_ccxt_config() == {"apiKey": API_KEY, "secret": SECRET, "password": PASSPHRASE}


def test_env_default_account(keys_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXCHANGES_KEY__BINANCE__DEFAULT__API_KEY", API_KEY)
    monkeypatch.setenv("EXCHANGES_KEY__BINANCE__DEFAULT__SECRET", SECRET)
    assert KeyManager(keys_path).get("binance").fields == ("api_key", "secret")
    assert KeyManager(keys_path).get("BINANCE", "Default").fields == ("api_key", "secret")


def test_dotenv_file(keys_path: Path) -> None:
    Path(".env").write_text(
        f"EXCHANGES_KEY__KRAKEN__SUB1__API_KEY={API_KEY}\n"
        f"EXCHANGES_KEY__KRAKEN__SUB1__SECRET={SECRET}\n"
        "UNRELATED=1\n"
    )
    creds = KeyManager(keys_path).get("kraken", "sub1")
    assert creds.source == CredentialSource(
        "dotenv", f"{Path('.env').absolute()} EXCHANGES_KEY__KRAKEN__SUB1__*"
    )
    assert creds.to_ccxt_config() == {"apiKey": API_KEY, "secret": SECRET}
    # env_file=None: the process environment only.
    assert KeyManager(keys_path, env_file=None).find("kraken", "sub1") is None


def test_env_unknown_field_names_the_variable(
    keys_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXCHANGES_KEY__BINANCE__MAIN__API_SECRET", SECRET)
    with pytest.raises(KeysConfigError, match="EXCHANGES_KEY__BINANCE__MAIN__API_SECRET") as info:
        KeyManager(keys_path).get("binance", "main")
    assert_no_secret(str(info.value))


def test_env_malformed_variable_hides_value(
    keys_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXCHANGES_KEY__BINANCE", SECRET)
    with pytest.raises(KeysConfigError, match="EXCHANGES_KEY__BINANCE") as info:
        KeyManager(keys_path).get("binance", "main")
    assert_no_secret(str(info.value))
    assert info.value.__cause__ is None


def test_keys_file(keys_path: Path) -> None:
    write_private(
        keys_path,
        toml_account("okx", "hedge", api_key=API_KEY, secret=SECRET, passphrase=PASSPHRASE)
        + "\n"
        + toml_account("binance", "main", apiKey=API_KEY, secret=SECRET),
    )
    km = KeyManager(keys_path)
    okx = km.get("okx", "hedge")
    assert okx.source == CredentialSource("file", f"{keys_path} [okx.hedge]")
    assert okx.to_ccxt_config()["password"] == PASSPHRASE
    assert km.get("binance", "main").fields == ("api_key", "secret")


def test_keys_file_bad_toml_hides_text(keys_path: Path) -> None:
    write_private(keys_path, f'[binance.main]\napi_key = "{API_KEY}\n')
    with pytest.raises(KeysConfigError, match="not valid TOML") as info:
        KeyManager(keys_path).get("binance", "main")
    assert_no_secret(str(info.value))


def test_keys_file_wrong_shape(keys_path: Path) -> None:
    write_private(keys_path, f'binance = "{API_KEY}"\n')
    with pytest.raises(KeysConfigError, match="table of accounts") as info:
        KeyManager(keys_path).get("binance", "main")
    assert_no_secret(str(info.value))


def test_keys_file_unknown_field(keys_path: Path) -> None:
    write_private(keys_path, toml_account("binance", "main", key=API_KEY, secret=SECRET))
    with pytest.raises(KeysConfigError, match=r"'key' in keys file .*\[binance\.main\]"):
        KeyManager(keys_path).get("binance", "main")


def test_keyring(keys_path: Path, memory_keyring: Any) -> None:
    service = keyring_service("binance", "main")
    assert service == "exchanges:binance:main"
    memory_keyring.set_password(service, "api_key", API_KEY)
    memory_keyring.set_password(service, "secret", SECRET)
    creds = KeyManager(keys_path).get("binance", "main")
    assert creds.source == CredentialSource("keyring", "'exchanges:binance:main'")
    assert creds.to_ccxt_config() == {"apiKey": API_KEY, "secret": SECRET}
    # use_keyring=False leaves it alone.
    assert KeyManager(keys_path, use_keyring=False).find("binance", "main") is None


def test_keyring_absent_backend_is_skipped(keys_path: Path, memory_keyring: Any) -> None:
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    result = KeyManager(keys_path).check("binance", "main")
    assert result.source is None
    assert "no usable keyring backend (NoKeyringError)" in result.searched[-1]


def test_keyring_package_absent_is_skipped(
    keys_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)  # what an uninstalled package looks like
    result = KeyManager(keys_path).check("binance", "main")
    assert result.source is None
    assert result.searched[-1].endswith("the optional 'keyring' package is not installed")
    with pytest.raises(KeysConfigError, match="needs the 'keyring' package"):
        KeyManager(keys_path).add("binance", "main", {"api_key": API_KEY}, store="keyring")
