"""The README's strategy example runs as written, against the simulator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_strategy_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has no python example"
    code = blocks[0]
    assert len([line for line in code.splitlines() if line.strip()]) <= 18
    done = subprocess.run(  # noqa: S603 - the project's own README
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "EXCHANGES_LOG_LEVEL": "WARNING"},
    )
    assert done.returncode == 0, done.stderr
    assert "canceled" in done.stdout
