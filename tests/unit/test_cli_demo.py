"""The `exchanges` command and the demo run and fail cleanly."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from exchanges.cli import app


def test_venues_json_lists_capabilities() -> None:
    result = CliRunner().invoke(app, ["venues", "binance", "kraken", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [row["venue"] for row in rows] == ["binance", "kraken"]
    assert rows[0]["adapter"] == "BinanceExchange"
    assert rows[1]["capabilities"]["stop_loss_orders"] == "native"


def test_unknown_venue_is_one_line_and_exit_code_1() -> None:
    result = CliRunner().invoke(app, ["venues", "binanse"])
    assert result.exit_code == 1
    assert "did you mean binance" in result.output
    assert "Traceback" not in result.output


def test_demo_runs_offline() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "exchanges.demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Nothing was sent" in done.stdout
    assert "InvalidOrder" in done.stdout
