"""Shared values and helpers of the keys tests."""

from __future__ import annotations

from pathlib import Path

# Distinctive fake values, so a leak is found by a plain substring search.
API_KEY = "test-api-key-7f3e9c21d4"
SECRET = "test-secret-91b2d4a8e6"
PASSPHRASE = "test-passphrase-5c0f7b"
SECRETS = (API_KEY, SECRET, PASSPHRASE)


def write_private(path: Path, text: str, mode: int = 0o600) -> Path:
    """Create ``path`` holding ``text``, then set ``mode`` (test set-up, not the library)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def toml_account(venue: str, account: str, **fields: str) -> str:
    body = "".join(f'{name} = "{value}"\n' for name, value in fields.items())
    return f"[{venue}.{account}]\n{body}"


def assert_no_secret(text: str) -> None:
    for value in SECRETS:
        assert value not in text
