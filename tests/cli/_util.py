"""Running the real ``exchanges`` command as an asyncio subprocess (see conftest.py)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

COMMAND_TIMEOUT = 40.0  # one command: a bound, not a pace (they take ~3 s)


def exchanges_command() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("exchanges")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "exchanges.cli"]


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


@dataclass(frozen=True)
class Cli:
    """``await cli("ticker", "binance", ...)`` runs the command and returns its result."""

    env: Mapping[str, str]
    cwd: Path

    async def start(self, *args: str, piped: bool = False) -> asyncio.subprocess.Process:
        """The command, started; ``piped``: its stdin is a pipe for ``finish(input=)``."""
        return await asyncio.create_subprocess_exec(
            *exchanges_command(),
            *args,
            stdin=asyncio.subprocess.PIPE if piped else asyncio.subprocess.DEVNULL,  # no tty
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(self.env),
            cwd=self.cwd,
        )

    async def finish(self, proc: asyncio.subprocess.Process, input: str | None = None) -> Result:
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT):
                out, err = await proc.communicate(None if input is None else input.encode())
        except TimeoutError:
            proc.kill()
            await proc.communicate()
            raise
        assert proc.returncode is not None
        return Result(proc.returncode, out.decode(), err.decode())

    def with_env(self, **extra: str) -> Cli:
        return Cli({**self.env, **extra}, self.cwd)

    async def __call__(self, *args: str, input: str | None = None) -> Result:
        """Run the command; ``input``, if given, is its stdin (a pipe, not a terminal)."""
        return await self.finish(await self.start(*args, piped=input is not None), input)


def one_line_error(result: Result) -> str:
    """The command failed with exactly one short line on stderr and no traceback; that
    line."""
    from exchanges.cli._errors import MAX_LINE

    assert result.code != 0, result
    assert "Traceback" not in result.err, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: "), lines[0]
    assert len(lines[0]) <= MAX_LINE, lines[0]
    return lines[0]
