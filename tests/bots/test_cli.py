"""``exchanges bots run``: a live table, a bounded run, every bot stopped at the end."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from exchanges.simulator import Simulator

ROOT = Path(__file__).resolve().parents[2]


async def _cli(*args: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from exchanges.cli._app import app; app()",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_bots_run_shows_the_models_and_stops_them(sim: Simulator) -> None:
    process = await _cli(
        "bots", "run", "tests.bots.models:Idle", "BTC/USDT", "--endpoint", sim.endpoint,
        "--refresh", "0.2", "--seconds", "4",
    )  # fmt: skip
    try:
        async with asyncio.timeout(30):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:  # a failed test leaves nothing running
            process.terminate()
            await process.wait()
    text = out.decode()
    assert process.returncode == 0, err.decode()
    assert "BTC/USDT" in text
    assert "running" in text  # the table off a terminal: its last state, bot running
    assert "pid=" in text  # the bot's state keys
    assert text.strip().endswith("stopped 1 bots: stopped")
    assert b"Traceback" not in err


async def test_a_model_that_does_not_import_is_one_line(sim: Simulator) -> None:
    process = await _cli("bots", "run", "tests.bots.models:Nope", "BTC/USDT")
    async with asyncio.timeout(30):
        _, err = await process.communicate()
    assert process.returncode == 1
    assert err.decode().strip() == "error: model: 'tests.bots.models' has no 'Nope'"


async def test_the_demo_s_bots_part_shows_one_bot_stopping_the_other() -> None:
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT / "src")}
    env.pop("EXCHANGES_REDIS_URL", None)  # no Redis needed
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "exchanges.cli.demo", "--bots", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    text = out.decode()
    assert process.returncode == 0, err.decode()
    last = text[text.index("every bot process gone") :]
    assert "got 'stop' from referee" in last
    assert "sent 'stop' to watcher" in last
    assert last.count("stopped") == 2
    assert "no process left" in text
    assert b"Traceback" not in err
