"""Hermetic fixtures for the keys tests.

Every test runs in its own temporary working directory (so no real ``.env`` is read), with
``XDG_CONFIG_HOME`` and ``HOME`` under tmp (so no real keys file is read) and, when the
``keyring`` package is installed, an empty in-memory keyring backend installed through
``keyring.set_keyring`` -- the keyring API's own extension point -- so the user's real
keyring is never touched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    import keyring
    import keyring.backend
    import keyring.errors
except ImportError:  # the optional extra is not installed
    keyring = None  # type: ignore[assignment]


if keyring is not None:

    class MemoryKeyring(keyring.backend.KeyringBackend):
        """A complete keyring backend that keeps its entries in a dict."""

        priority = 0.1  # type: ignore[assignment]  # never chosen by keyring's detection

        def __init__(self) -> None:
            super().__init__()
            self.entries: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.entries.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.entries[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            try:
                del self.entries[(service, username)]
            except KeyError:
                raise keyring.errors.PasswordDeleteError(username) from None


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.upper().startswith("EXCHANGES_KEY"):
            monkeypatch.delenv(name)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    if keyring is None:
        yield
        return
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Any:
    """The in-memory backend installed for this test; skips without ``keyring``."""
    if keyring is None:
        pytest.skip("the optional 'keyring' package is not installed")
    return keyring.get_keyring()


@pytest.fixture
def keys_path(tmp_path: Path) -> Path:
    """Where a test's keys file lives (not created)."""
    return tmp_path / "cfg" / "exchanges" / "keys.toml"
