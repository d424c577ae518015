"""Every ```python block in docs/ runs, against the simulator (tests/docs_runner.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted(p for p in (ROOT / "docs").glob("*.md") if "```python" in p.read_text())


def test_docs_have_examples() -> None:
    assert len(DOCS) >= 4


@pytest.mark.parametrize("doc", DOCS, ids=[p.name for p in DOCS])
def test_doc_examples_run(doc: Path) -> None:
    done = subprocess.run(  # noqa: S603 - the project's own docs
        [sys.executable, str(ROOT / "tests" / "docs_runner.py"), str(doc)],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "blocks ran" in done.stdout
    assert "Traceback" not in done.stderr
