"""The `exchanges` command and the demo run and fail cleanly."""

from __future__ import annotations

import json
import os
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


def test_demo_runs_against_the_simulator() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "exchanges.demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "200"},  # rich wraps table cells at 80 columns
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "refused before sending" in out
    assert "fill on the private stream" in out
    assert "everything closed" in out
    assert "Traceback" not in done.stderr


def test_simulator_command_serves_until_sigterm() -> None:
    import signal
    import urllib.request

    proc = subprocess.Popen(
        [sys.executable, "-m", "exchanges.cli", "simulator", "--port", "0", "--rate", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # blocks until the server listens (bounded below)
        assert "Binance spot protocol on http://127.0.0.1:" in first, first
        endpoint = first.rsplit(" ", 1)[1].strip()
        with urllib.request.urlopen(f"{endpoint}/api/v3/ping", timeout=10) as reply:  # noqa: S310
            assert reply.status == 200
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "simulator stopped" in out
    assert "Traceback" not in err
