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


def worker_env(env: dict[str, str]) -> dict[str, str]:
    """Ours plus ``env``, minus any Redis URL not given, with the worktree's sources first."""
    base = {k: v for k, v in os.environ.items() if k != "EXCHANGES_REDIS_URL"}
    base["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return {**base, **env}


class Workers:
    """Workers driven line by line: ``start()`` (each says ``ready``), ``say(line)`` to
    some, ``hear(proc)`` their next JSON line, ``kill(proc)``; every one is killed on exit."""

    def __init__(self, count: int, args: list[str], env: dict[str, str]) -> None:
        self.count, self.args, self.env = count, args, worker_env(env)
        self.procs: list[asyncio.subprocess.Process] = []

    async def __aenter__(self) -> Workers:
        for _ in range(self.count):
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.sharing.worker", *self.args, cwd=ROOT,
                env=self.env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL, limit=1 << 24,  # long result lines
            )  # fmt: skip
            self.procs.append(proc)
        async with asyncio.timeout(TIMEOUT):
            for proc in self.procs:
                assert proc.stdout is not None
                line = await proc.stdout.readline()
                if line.strip() != b"ready":
                    raise RuntimeError(f"worker did not start: {line!r}")
        return self

    async def say(self, line: str, procs: list[asyncio.subprocess.Process] | None = None) -> None:
        for proc in self.procs if procs is None else procs:
            assert proc.stdin is not None
            proc.stdin.write(line.encode() + b"\n")
            await proc.stdin.drain()

    async def hear(self, proc: asyncio.subprocess.Process) -> dict[str, Any]:
        assert proc.stdout is not None
        async with asyncio.timeout(TIMEOUT):
            line = await proc.stdout.readline()
        if not line:
            raise RuntimeError(f"worker {proc.pid} ended without a result")
        result: dict[str, Any] = orjson.loads(line)
        return result

    async def __aexit__(self, *exc_info: object) -> None:
        for proc in self.procs:
            if proc.returncode is None:
                proc.kill()
            await proc.wait()


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
