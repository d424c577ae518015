"""Every example in docs/ runs as pasted: a program in a subprocess, a test file under
pytest (tests/docs_runner.py says how each is told apart)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..docs_runner import Example, examples, run

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [e for page in sorted((ROOT / "docs").glob("*.md")) for e in examples(page)]


def test_docs_have_examples() -> None:
    assert len({e.page for e in EXAMPLES}) >= 4
    assert any(e.test_file for e in EXAMPLES)  # testing.md's test file


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_doc_example_runs_as_pasted(example: Example, tmp_path: Path) -> None:
    done = run(example, tmp_path)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "Traceback" not in done.stderr
    assert "Warning" not in done.stderr  # unclosed sessions, deprecations
    if example.test_file is not None:
        assert " passed" in done.stdout
        assert "warning" not in done.stdout.lower()
