"""The `exchanges` command and the demo run and fail cleanly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
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
        [sys.executable, "-m", "exchanges.cli.demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "200"},  # rich wraps table cells at 80 columns
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "refused before sending" in out
    top = out[out.index("Top of book") : out.index("Live for")]
    assert "bid amount" in top
    assert "(" not in top.split("\n", 1)[1]  # numbers, not Python tuples
    assert "fill on the private stream" in out
    assert "everything closed" in out
    assert "Traceback" not in done.stderr


def test_simulator_command_serves_until_sigterm(tmp_path: Path) -> None:
    import signal
    import urllib.error
    import urllib.request

    accounts = tmp_path / "accounts.toml"
    accounts.write_text(
        '[accounts.bot1]\napi_key = "bot1-key"\nsecret = "bot1-secret"\n'
        'balances = { USDT = "250.5" }\n'
    )
    cmd = ["simulator", "--port", "0", "--rate", "0", "--accounts", str(accounts)]
    proc = subprocess.Popen(  # noqa: S603 - our own command, our own arguments
        [sys.executable, "-m", "exchanges.cli", *cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # blocks until the server listens (bounded below)
        assert "Binance spot protocol on http://127.0.0.1:" in first, first
        endpoint = first.rsplit(" ", 1)[1].strip()
        banner = []
        for _ in range(12):  # the rest of the banner, then the extra accounts: bounded
            banner.append(proc.stdout.readline())
            if "account " in banner[-1]:
                break
        assert "bot1: bot1-key (USDT)" in banner[-1], banner
        with urllib.request.urlopen(f"{endpoint}/api/v3/ping", timeout=10) as reply:  # noqa: S310
            assert reply.status == 200
        # a fault injected from the command line reaches the running process
        runner = CliRunner()
        args = ["simulator-fault", "http_errors", "path=/api/v3/ping", "status=503"]
        result = runner.invoke(app, [*args, "--endpoint", endpoint])
        assert result.exit_code == 0, result.output
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"{endpoint}/api/v3/ping", timeout=10)  # noqa: S310
        assert info.value.code == 503
        info.value.close()  # an HTTPError holds the response's socket
        bad = runner.invoke(app, ["simulator-fault", "explode", "--endpoint", endpoint])
        assert bad.exit_code == 1
        assert "is not one of" in bad.output
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "simulator stopped" in out
    assert "Traceback" not in err


def test_demo_event_lines_show_where_a_reason_was_cut() -> None:
    from core import Channel, EventKind, StreamEvent, StreamKey, StreamState
    from exchanges.cli.demo import _Board

    board = _Board()
    key = StreamKey(Channel.TRADES, "BTC/USDT")
    long = "connection dropped: " + "x" * 100
    board.on_event(StreamEvent(EventKind.STATE, key, StreamState.RECONNECTING, long))
    board.on_event(StreamEvent(EventKind.STATE, key, StreamState.RECONNECTING, "short"))
    cut, whole = board.events
    assert cut.endswith("…)")
    assert len(cut.split(" (", 1)[1]) == 61  # 60 characters, the ellipsis the last
    assert whole.endswith("(short)")


def test_first_make_demo_says_what_it_installs() -> None:
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    recipe = makefile.split("$(STAMP): pyproject.toml\n", 1)[1].splitlines()
    assert recipe[0].startswith("\t@echo ")  # before the silent (--quiet) install
    assert "installing" in recipe[0]
    assert "pip install --quiet" in "\n".join(recipe[1:4])


@pytest.mark.parametrize("part", [[], ["--bots"]], ids=["streams", "bots"])
def test_demo_interrupted_says_one_line_and_exits_130(part: list[str]) -> None:
    """Ctrl-C stops the demo with one line and 130, so `make demo` stops too (with exit 0
    make went on to the next part)."""
    import signal

    proc = subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "exchanges.cli.demo", *part],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # Ctrl-C reaches the whole group, bots included
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline()  # the demo is under way (bounded by the timeout below)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130, (out[-500:], err)
    assert err.splitlines() == ["interrupted"], err
