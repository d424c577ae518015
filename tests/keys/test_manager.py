"""KeyManager: where the keys file is, listing, checking, keyring storage, logs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from keys import (
    CredentialSource,
    KeyManager,
    KeysConfigError,
    MissingCredentials,
    default_keys_file,
)
from tests.keys._util import (
    API_KEY,
    PASSPHRASE,
    SECRET,
    assert_no_secret,
    toml_account,
    write_private,
)


def test_keys_file_default_is_xdg(tmp_path: Path) -> None:
    expected = tmp_path / "xdg" / "exchanges" / "keys.toml"
    assert default_keys_file() == expected
    assert KeyManager().keys_file == expected


def test_keys_file_falls_back_to_home_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert KeyManager().keys_file == tmp_path / "home" / ".config" / "exchanges" / "keys.toml"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/dir")  # the XDG spec says: ignore it
    assert default_keys_file() == tmp_path / "home" / ".config" / "exchanges" / "keys.toml"


def test_keys_file_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text(f"EXCHANGES_KEYS_FILE={tmp_path / 'from-dotenv.toml'}\n")
    assert KeyManager().keys_file == tmp_path / "from-dotenv.toml"
    monkeypatch.setenv("EXCHANGES_KEYS_FILE", str(tmp_path / "from-env.toml"))
    assert KeyManager().keys_file == tmp_path / "from-env.toml"
    assert KeyManager(tmp_path / "arg.toml").keys_file == tmp_path / "arg.toml"
    monkeypatch.setenv("EXCHANGES_KEYS_FILE", "")  # empty: as if unset (.env.example ships it so)
    Path(".env").unlink()
    assert KeyManager().keys_file == default_keys_file()


def test_keys_file_argument_expands_user(tmp_path: Path) -> None:
    assert KeyManager("~/k.toml").keys_file == tmp_path / "home" / "k.toml"


def test_list_accounts(keys_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXCHANGES_KEY__OKX__MAIN__API_KEY", API_KEY)
    monkeypatch.setenv("EXCHANGES_KEY__OKX__MAIN__SECRET", SECRET)
    write_private(
        keys_path,
        toml_account("binance", "main", api_key=API_KEY, secret=SECRET)
        + toml_account("okx", "main", api_key=API_KEY, secret=SECRET, password=PASSPHRASE),
    )
    accounts = KeyManager(keys_path).list_accounts()
    assert [(a.venue, a.account, a.source.kind, a.fields) for a in accounts] == [
        ("okx", "main", "env", ("api_key", "secret")),
        ("binance", "main", "file", ("api_key", "secret")),
        ("okx", "main", "file", ("api_key", "secret", "password")),
    ]
    assert_no_secret(repr(accounts))


def test_list_accounts_without_any_source(keys_path: Path) -> None:
    assert KeyManager(keys_path).list_accounts() == []


def test_check(keys_path: Path) -> None:
    write_private(keys_path, toml_account("okx", "main", api_key=API_KEY, secret=SECRET))
    km = KeyManager(keys_path)
    result = km.check("okx", "main")
    assert result.source == CredentialSource("file", f"{keys_path} [okx.main]")
    assert result.required == ("api_key", "secret", "password")
    assert result.present == ("api_key", "secret")
    assert result.missing == ("password",)
    assert not result.ok
    assert_no_secret(repr(result))

    absent = km.check("binance", "nope")
    assert absent.source is None
    assert absent.missing == ("api_key", "secret")
    assert not absent.ok
    assert km.check("okx", "main", required=["api_key"]).ok


def test_find_returns_incomplete_sets_and_none(keys_path: Path) -> None:
    write_private(keys_path, toml_account("okx", "main", api_key=API_KEY))
    km = KeyManager(keys_path)
    found = km.find("okx", "main")
    assert found is not None
    assert found.fields == ("api_key",)
    assert km.find("okx", "other") is None


def test_manager_repr_holds_no_secret(keys_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXCHANGES_KEY__BINANCE__MAIN__API_KEY", API_KEY)
    monkeypatch.setenv("EXCHANGES_KEY__BINANCE__MAIN__SECRET", SECRET)
    km = KeyManager(keys_path)
    km.get("binance", "main")
    assert_no_secret(repr(km))
    assert_no_secret(str(km))
    assert str(keys_path) in repr(km)


def test_logs_carry_no_value(keys_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXCHANGES_KEY__OKX__MAIN__API_KEY", API_KEY)
    monkeypatch.setenv("EXCHANGES_KEY__OKX__MAIN__SECRET", SECRET)
    km = KeyManager(keys_path)
    with capture_logs() as logs:
        km.add("binance", "main", {"api_key": API_KEY, "secret": SECRET})
        km.get("binance", "main")
        with pytest.raises(MissingCredentials):
            km.get("okx", "main")
        km.remove("binance", "main")
    events = [entry["event"] for entry in logs]
    assert "credentials stored" in events
    assert "credentials resolved" in events
    assert "credentials incomplete" in events
    assert_no_secret(repr(logs))


def test_keyring_add_and_remove(keys_path: Path, memory_keyring: Any) -> None:
    km = KeyManager(keys_path)
    where = km.add(
        "okx",
        "main",
        {"api_key": API_KEY, "secret": SECRET, "password": PASSPHRASE},
        store="keyring",
    )
    assert where == CredentialSource("keyring", "'exchanges:okx:main'")
    assert memory_keyring.entries[("exchanges:okx:main", "password")] == PASSPHRASE
    assert not keys_path.exists()
    assert km.get("okx", "main").source == where

    with pytest.raises(KeysConfigError, match="already holds"):
        km.add("okx", "main", {"api_key": API_KEY}, store="keyring")
    km.add("okx", "main", {"api_key": "k", "secret": "s"}, store="keyring", overwrite=True)
    assert ("exchanges:okx:main", "password") not in memory_keyring.entries

    assert km.remove("okx", "main", store="keyring") is True
    assert km.remove("okx", "main", store="keyring") is False
    assert memory_keyring.entries == {}
