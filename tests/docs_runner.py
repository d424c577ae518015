"""Run the examples of a Markdown page exactly as a reader pastes them: no hidden wrapper,
no names given in advance.

* a ```python block is a program: written to a file in a scratch directory and run by
  ``python`` in a subprocess (it starts its own simulator, ``async with Simulator()``);
* a ```python block whose first line is a comment naming a test file (``# test_x.py``) is
  a test file: written under that name and run by ``pytest -W error`` in the scratch
  directory, as the reader's own project would run it;
* a ```python block whose first line names another ``.py`` file (``# momentum.py``) is a
  module of the page: written under that name, not run (a bot class must be importable);
* a block of another language whose first line names a file (``# pyproject.toml``) is
  written there first: the settings that test file needs, as the page shows them.

The subprocess's environment is hermetic: HOME and the working directory are the scratch
directory, no ``EXCHANGES_*`` variable from outside, keyring's null backend.
Usage: ``python tests/docs_runner.py docs/x.md`` (every example of the page, in order).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

TIMEOUT = 60.0  # one example: a bound, not a pace (they take 1-4 s)
_FENCE = re.compile(r"^```(\w+)\n(.*?)^```", flags=re.S | re.M)
_NAMED = re.compile(r"#\s*(\S+\.\w+)(?:\s.*)?")  # "# test_x.py -- what it tests"


@dataclass(frozen=True)
class Example:
    page: str
    number: int  # 1-based, among the page's python blocks
    code: str
    files: dict[str, str]  # the page's named non-python blocks: name -> text

    @property
    def test_file(self) -> str | None:
        """The file name a test-file example declares on its first line, else None."""
        first = _NAMED.fullmatch(self.code.splitlines()[0].strip()) if self.code else None
        name = first.group(1) if first else None
        return name if name and Path(name).name.startswith("test_") else None

    @property
    def id(self) -> str:
        return f"{self.page}#{self.number}"


def examples(path: Path) -> list[Example]:
    """The page's python examples, each with the named files the page defines."""
    files: dict[str, str] = {}
    found: list[tuple[str, str]] = []
    for language, code in _FENCE.findall(path.read_text()):
        named = _NAMED.fullmatch((code.splitlines() or [""])[0].strip())
        module = named is not None and language == "python" and named.group(1).endswith(".py")
        if module and named is not None and not Path(named.group(1)).name.startswith("test_"):
            files[named.group(1)] = code  # a module the page's programs import
        elif language == "python":
            found.append((language, code))
        elif named is not None:
            files[named.group(1)] = code
    return [Example(path.name, n, code, files) for n, (_, code) in enumerate(found, 1)]


def _environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("EXCHANGES_")}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    return env


def run(example: Example, scratch: Path) -> subprocess.CompletedProcess[str]:
    """Run one example in ``scratch`` (its working directory and HOME)."""
    for name, text in example.files.items():
        (scratch / name).write_text(text)
    if example.test_file is not None:
        (scratch / example.test_file).write_text(example.code)
        command = [sys.executable, "-m", "pytest", "-q", "-W", "error", "-p", "no:cacheprovider"]
        command.append(example.test_file)
    else:
        (scratch / "example.py").write_text(example.code)
        command = [sys.executable, "example.py"]
    return subprocess.run(  # noqa: S603 - the project's own docs
        command,
        cwd=scratch,
        env=_environment(scratch),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def main(path: Path) -> int:
    failed = 0
    for example in examples(path):
        with tempfile.TemporaryDirectory() as scratch:
            done = run(example, Path(scratch))
        print(f"{example.id}: exit {done.returncode}")
        if done.returncode != 0:
            failed += 1
            print(done.stdout, done.stderr, sep="\n")
    return failed


if __name__ == "__main__":
    sys.exit(1 if main(Path(sys.argv[1]).resolve()) else 0)
