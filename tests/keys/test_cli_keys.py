"""`exchanges keys add|list|check|remove`: secrets only through hidden prompts, never printed."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exchanges.cli import app

KEY = "cli-typed-api-key-0001"
SECRET = "cli-typed-secret-0001"


@pytest.fixture(autouse=True)
def _no_env_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in list(os.environ):
        if name.startswith("EXCHANGES_KEY__"):
            monkeypatch.delenv(name)


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), input=input)
    return result.exit_code, result.output


def test_add_list_check_remove(tmp_path: Path) -> None:
    keys_file = str(tmp_path / "conf" / "keys.toml")
    code, out = run(
        "keys", "add", "binance", "-a", "main", "--keys-file", keys_file, input=f"{KEY}\n{SECRET}\n"
    )
    assert code == 0, out
    assert KEY not in out
    assert SECRET not in out
    assert stat.S_IMODE(Path(keys_file).stat().st_mode) == 0o600

    code, out = run("keys", "list", "--keys-file", keys_file, "--json")
    assert code == 0, out
    rows = json.loads(out)
    assert [(r["venue"], r["account"]) for r in rows if "file" in r["source"]] == [
        ("binance", "main")
    ]
    assert KEY not in out
    assert SECRET not in out

    code, out = run("keys", "check", "binance", "-a", "main", "--keys-file", keys_file)
    assert code == 0, out
    assert "ok" in out

    code, out = run("keys", "check", "okx", "-a", "main", "--keys-file", keys_file)
    assert code == 1
    assert "missing" in out

    code, out = run(
        "keys", "add", "binance", "-a", "main", "--keys-file", keys_file, input=f"{KEY}\n{SECRET}\n"
    )
    assert code == 1  # refuses to overwrite without --overwrite
    assert "error:" in out

    code, out = run("keys", "remove", "binance", "-a", "main", "--keys-file", keys_file)
    assert code == 0, out
    code, out = run("keys", "remove", "binance", "-a", "main", "--keys-file", keys_file)
    assert code == 1


def test_insecure_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.toml"
    keys_file.write_text('[binance.main]\napi_key = "k"\nsecret = "s"\n')
    keys_file.chmod(0o644)
    code, out = run("keys", "list", "--keys-file", str(keys_file))
    assert code == 1
    assert "chmod 600" in out
    assert "Traceback" not in out
