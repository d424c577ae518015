"""Start several worker processes (``tests/sharing/worker.py``) together and collect what
each saw. Used by the tests and the benchmarks."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60.0


async def run_workers(count: int, args: list[str], env: dict[str, str]) -> list[dict[str, Any]]:
    """Run ``count`` workers with ``args`` and ``env`` (added to ours, minus any Redis URL
    not given); all are released at once, once every one is ready."""
    base = {k: v for k, v in os.environ.items() if k != "EXCHANGES_REDIS_URL"}
    base["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.sharing.worker",
            *args,
            cwd=ROOT,
            env={**base, **env},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(count)
    ]
    try:
        async with asyncio.timeout(TIMEOUT):
            for proc in procs:
                assert proc.stdout is not None
                line = await proc.stdout.readline()
                if line.strip() != b"ready":
                    err = await proc.stderr.read() if proc.stderr else b""
                    raise RuntimeError(f"worker did not start: {line!r} {err.decode()[-2000:]}")
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write(b"go\n")
                await proc.stdin.drain()
            results = []
            for proc in procs:
                out, err = await proc.communicate()
                if proc.returncode != 0:
                    raise RuntimeError(f"worker failed: {err.decode()[-2000:]}")
                results.append(orjson.loads(out.strip().splitlines()[-1]))
            return results
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
