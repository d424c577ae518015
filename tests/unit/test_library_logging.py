"""A program that uses the library and configures no logging: stdout holds only what the
program prints; the library's INFO lines go nowhere and its warnings to stderr (the
stdlib's convention for a library). Once the program configures logging, the library's
lines follow it (here: stdlib's basicConfig, on stderr)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
SETUP = "import logging; logging.basicConfig(level=logging.INFO, format='%(name)s %(message)s')\n"


def run(code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXCHANGES_")}
    return subprocess.run(  # noqa: S603 - the project's own README
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def test_readme_example_prints_only_its_own_lines() -> None:
    code = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)[0]
    quiet, configured = run(code), run(SETUP + code)
    assert quiet.returncode == 0, quiet.stderr
    lines = quiet.stdout.splitlines()
    assert len(lines) == 2, quiet.stdout  # print(order.client_order_id, order.status), print(...)
    assert lines[0].endswith(" open")
    assert "canceled" in lines[1]
    assert "[info" not in quiet.stdout + quiet.stderr
    assert quiet.stderr == ""

    assert configured.returncode == 0, configured.stderr
    assert configured.stdout.splitlines()[0].endswith(" open")
    assert len(configured.stdout.splitlines()) == 2
    assert re.search(r"^exchanges\.\S+ event='order\.send'", configured.stderr, flags=re.M)
