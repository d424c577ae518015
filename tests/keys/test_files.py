"""The keys file: ssh-like refusal of shared files, atomic 0600 writes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from keys import InsecureKeysFile, KeyManager, KeysConfigError
from keys._files import write_keys_file
from tests.keys._util import API_KEY, SECRET, assert_no_secret, toml_account, write_private

posix_only = pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@posix_only
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o610, 0o601])
def test_shared_file_is_refused(keys_path: Path, mode: int) -> None:
    write_private(keys_path, toml_account("binance", "main", api_key=API_KEY), mode)
    with pytest.raises(InsecureKeysFile) as info:
        KeyManager(keys_path).get("binance", "main")
    err = info.value
    assert f"chmod 600 {keys_path}" in str(err)
    assert f"{mode:04o}" in str(err)
    assert_no_secret(str(err))


@posix_only
@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_private_file_is_accepted(keys_path: Path, mode: int) -> None:
    text = toml_account("binance", "main", api_key=API_KEY, secret=SECRET)
    write_private(keys_path, text, mode)
    assert KeyManager(keys_path).get("binance", "main").fields == ("api_key", "secret")


@posix_only
def test_refusal_applies_to_listing_and_writing(keys_path: Path) -> None:
    write_private(keys_path, toml_account("binance", "main", api_key=API_KEY), 0o644)
    km = KeyManager(keys_path)
    with pytest.raises(InsecureKeysFile):
        km.list_accounts()
    with pytest.raises(InsecureKeysFile):
        km.add("binance", "sub", {"api_key": API_KEY, "secret": SECRET})
    assert mode_of(keys_path) == 0o644  # left as it was: the user decides


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown a file"
)
def test_file_owned_by_another_user_is_refused(keys_path: Path) -> None:
    write_private(keys_path, toml_account("binance", "main", api_key=API_KEY), 0o600)
    other = os.geteuid() + 4242
    os.chown(keys_path, other, -1)
    with pytest.raises(InsecureKeysFile, match=f"owned by uid {other}") as info:
        KeyManager(keys_path).get("binance", "main")
    assert f"chown {os.geteuid()} {keys_path}" in str(info.value)


def test_directory_is_refused(keys_path: Path) -> None:
    keys_path.mkdir(parents=True)
    with pytest.raises(InsecureKeysFile, match="directory"):
        KeyManager(keys_path).get("binance", "main")


@posix_only
def test_fifo_is_refused_without_hanging(keys_path: Path) -> None:
    keys_path.parent.mkdir(parents=True)
    os.mkfifo(keys_path, 0o600)
    with pytest.raises(InsecureKeysFile, match="not a regular file"):
        KeyManager(keys_path).get("binance", "main")


@posix_only
def test_add_creates_0600_file_and_0700_directory(keys_path: Path) -> None:
    old = os.umask(0)  # the most permissive umask: the modes must come from the library
    try:
        KeyManager(keys_path).add("binance", "main", {"apiKey": API_KEY, "secret": SECRET})
        assert mode_of(keys_path) == 0o600
        assert mode_of(keys_path.parent) == 0o700
    finally:
        os.umask(old)
    assert os.listdir(keys_path.parent) == ["keys.toml"]  # no temporary file left
    assert KeyManager(keys_path).get("binance", "main").to_ccxt_config() == {
        "apiKey": API_KEY,
        "secret": SECRET,
    }


@posix_only
def test_rewrite_keeps_0600_and_other_accounts(keys_path: Path) -> None:
    km = KeyManager(keys_path)
    km.add("binance", "main", {"api_key": API_KEY, "secret": SECRET})
    inode = keys_path.stat().st_ino
    km.add("okx", "hedge", {"api_key": "k2", "secret": "s2", "password": "p2"})
    assert mode_of(keys_path) == 0o600
    assert keys_path.stat().st_ino != inode  # replaced by rename, not rewritten in place
    assert sorted(os.listdir(keys_path.parent)) == ["keys.toml"]
    assert [(a.venue, a.account) for a in km.list_accounts()] == [
        ("binance", "main"),
        ("okx", "hedge"),
    ]


def test_existing_directory_mode_is_left_alone(keys_path: Path) -> None:
    keys_path.parent.mkdir(parents=True, mode=0o755)
    keys_path.parent.chmod(0o755)
    KeyManager(keys_path).add("binance", "main", {"api_key": API_KEY, "secret": SECRET})
    assert mode_of(keys_path.parent) == 0o755
    assert mode_of(keys_path) == 0o600


def test_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "cfg" / "keys.toml"
    target.mkdir(parents=True)
    (target / "occupied").write_text("")  # os.replace onto a non-empty directory fails
    with pytest.raises(OSError):  # noqa: PT011 - the platform picks the subclass
        write_keys_file(target, {"binance": {"main": {"api_key": API_KEY}}})
    assert sorted(p.name for p in target.parent.iterdir()) == ["keys.toml"]


def test_add_refuses_to_overwrite(keys_path: Path) -> None:
    km = KeyManager(keys_path)
    km.add("binance", "main", {"api_key": API_KEY, "secret": SECRET})
    with pytest.raises(KeysConfigError, match=r"already has \[binance\.main\]"):
        km.add("binance", "main", {"api_key": "new", "secret": "new"})
    km.add("binance", "main", {"api_key": "newkey", "secret": "newsecret"}, overwrite=True)
    assert km.get("binance", "main").to_ccxt_config()["apiKey"] == "newkey"


def test_add_refuses_empty_and_bad_names(keys_path: Path) -> None:
    km = KeyManager(keys_path)
    with pytest.raises(KeysConfigError, match="no credential field"):
        km.add("binance", "main", {"api_key": ""})
    for bad in ("a__b", "_main", "main_", "my-acct", "", "main.sub"):
        with pytest.raises(KeysConfigError, match="invalid account name"):
            km.add("binance", bad, {"api_key": API_KEY})
    assert not keys_path.exists()


def test_written_file_uses_our_field_names(keys_path: Path) -> None:
    KeyManager(keys_path).add(
        "okx", "Main", {"apiKey": API_KEY, "secret": SECRET, "passphrase": "p"}
    )
    text = keys_path.read_text()
    assert "[okx.main]" in text
    assert "api_key = " in text
    assert "password = " in text


def test_remove(keys_path: Path) -> None:
    km = KeyManager(keys_path)
    km.add("binance", "main", {"api_key": API_KEY, "secret": SECRET})
    km.add("binance", "sub", {"api_key": API_KEY, "secret": SECRET})
    assert km.remove("binance", "main") is True
    assert km.remove("binance", "main") is False
    assert [a.account for a in km.list_accounts()] == ["sub"]
    assert km.remove("binance", "sub") is True
    assert "binance" not in keys_path.read_text()
    assert KeyManager(tmp_missing := keys_path.with_name("none.toml")).remove("x", "y") is False
    assert not tmp_missing.exists()
