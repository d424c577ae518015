"""Order: explicit > environment/.env > keys file > keyring; the first holder wins whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from keys import KeyManager, MissingCredentials
from tests.keys._util import API_KEY, SECRET, toml_account, write_private


@pytest.fixture
def everywhere(keys_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """binance/main in the environment and the keys file, each with its own values."""
    monkeypatch.setenv("EXCHANGES_KEY__BINANCE__MAIN__API_KEY", "env-key")
    monkeypatch.setenv("EXCHANGES_KEY__BINANCE__MAIN__SECRET", "env-secret")
    write_private(keys_path, toml_account("binance", "main", api_key="file-key", secret="file-s"))


@pytest.mark.usefixtures("everywhere")
def test_explicit_then_env_then_file(keys_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    km = KeyManager(keys_path)
    explicit = km.get("binance", "main", explicit={"api_key": API_KEY, "secret": SECRET})
    assert explicit.source.kind == "explicit"
    assert explicit.to_ccxt_config()["apiKey"] == API_KEY

    assert km.get("binance", "main").to_ccxt_config()["apiKey"] == "env-key"

    monkeypatch.delenv("EXCHANGES_KEY__BINANCE__MAIN__API_KEY")
    monkeypatch.delenv("EXCHANGES_KEY__BINANCE__MAIN__SECRET")
    assert km.get("binance", "main").to_ccxt_config()["apiKey"] == "file-key"


@pytest.mark.usefixtures("everywhere")
def test_keyring_comes_last(
    keys_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: Any
) -> None:
    memory_keyring.set_password("exchanges:binance:main", "api_key", "ring-key")
    memory_keyring.set_password("exchanges:binance:main", "secret", "ring-secret")
    km = KeyManager(keys_path)
    assert km.get("binance", "main").source.kind == "env"
    monkeypatch.delenv("EXCHANGES_KEY__BINANCE__MAIN__API_KEY")
    monkeypatch.delenv("EXCHANGES_KEY__BINANCE__MAIN__SECRET")
    assert km.get("binance", "main").source.kind == "file"
    keys_path.unlink()
    creds = km.get("binance", "main")
    assert creds.source.kind == "keyring"
    assert creds.to_ccxt_config() == {"apiKey": "ring-key", "secret": "ring-secret"}


def test_dotenv_comes_before_the_keys_file(keys_path: Path) -> None:
    Path(".env").write_text("EXCHANGES_KEY__BINANCE__OTHER__API_KEY=dotenv-key\n")
    write_private(
        keys_path,
        toml_account("binance", "other", api_key="file-key", secret="file-s"),
    )
    with pytest.raises(MissingCredentials) as info:  # .env holds it: not mixed with the file
        KeyManager(keys_path).get("binance", "other")
    assert info.value.supplied_by is not None
    assert info.value.supplied_by.startswith(".env file")


def test_environment_comes_before_dotenv_and_is_not_mixed(
    keys_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Path(".env").write_text(
        "EXCHANGES_KEY__BINANCE__MAIN__API_KEY=dotenv-key\n"
        "EXCHANGES_KEY__BINANCE__MAIN__SECRET=dotenv-secret\n"
    )
    km = KeyManager(keys_path)
    assert km.get("binance", "main").to_ccxt_config()["apiKey"] == "dotenv-key"
    monkeypatch.setenv("EXCHANGES_KEY__BINANCE__MAIN__API_KEY", "env-key")
    monkeypatch.setenv("EXCHANGES_KEY__BINANCE__MAIN__SECRET", "env-secret")
    assert km.get("binance", "main").to_ccxt_config() == {
        "apiKey": "env-key",
        "secret": "env-secret",
    }
    # A rotated key in the environment is never paired with the old secret in .env.
    monkeypatch.delenv("EXCHANGES_KEY__BINANCE__MAIN__SECRET")
    with pytest.raises(MissingCredentials, match="lacks secret"):
        km.get("binance", "main")


def test_sets_are_never_mixed(keys_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A key in the environment, its secret in the file: refused, not stitched together.
    monkeypatch.setenv("EXCHANGES_KEY__BINANCE__MAIN__API_KEY", API_KEY)
    write_private(keys_path, toml_account("binance", "main", api_key="old", secret=SECRET))
    with pytest.raises(MissingCredentials) as info:
        KeyManager(keys_path).get("binance", "main")
    err = info.value
    assert err.missing == ("secret",)
    assert err.supplied_by == "environment EXCHANGES_KEY__BINANCE__MAIN__*"
    assert "never completed from another source" in str(err)
    assert f"keys file {keys_path} [binance.main]: not consulted" in str(err)


def test_explicit_partial_set_is_not_completed(
    keys_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXCHANGES_KEY__BINANCE__MAIN__SECRET", SECRET)
    with pytest.raises(MissingCredentials, match="lacks secret"):
        KeyManager(keys_path).get("binance", "main", explicit={"apiKey": API_KEY})


def test_accounts_are_separate(keys_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXCHANGES_KEY__BINANCE__MAIN__API_KEY", "main-key")
    monkeypatch.setenv("EXCHANGES_KEY__BINANCE__MAIN__SECRET", "main-secret")
    write_private(keys_path, toml_account("binance", "sub", api_key="sub-key", secret="sub-s"))
    km = KeyManager(keys_path)
    assert km.get("binance", "main").to_ccxt_config()["apiKey"] == "main-key"
    assert km.get("binance", "sub").to_ccxt_config()["apiKey"] == "sub-key"
