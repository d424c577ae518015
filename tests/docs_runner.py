"""Run every ```python block of a Markdown file, in order, in one namespace, as a reader
would paste them into ``python -m asyncio``: top-level ``await`` allowed.

The namespace every docs example may use (docs/README.md of the examples says so):
``sim`` (a running simulator, markets moving), ``url`` (its endpoint), ``ex`` (an open
binance adapter on the simulator's ``demo`` account), ``tmp`` (a scratch directory, also
the working directory and HOME). The ``demo`` account's keys are in the environment, as
``EXCHANGES_KEY__BINANCE__DEMO__*``. A block whose first line is ``# file: NAME.py`` is
written to ``tmp/NAME.py`` (``tmp`` is on ``sys.path``) instead of being run: a module the
later blocks import. Usage: ``python tests/docs_runner.py docs/x.md``.
"""

from __future__ import annotations

import ast
import asyncio
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

# run as a script, this file's directory (tests/, with its own ``keys`` package) would
# shadow the library's packages
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]


def blocks(path: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", path.read_text(), flags=re.S | re.M)


async def run(path: Path) -> int:
    from core import Settings, configure_logging
    from exchanges import ExchangeFactory
    from exchanges.simulator import DEMO_API_KEY, DEMO_SECRET, Simulator
    from exchanges.venues.binance import BinanceExchange

    configure_logging(Settings(log_level="WARNING"))
    found = blocks(path)
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        os.chdir(tmp)
        sys.path.insert(0, str(tmp))  # the ``# file:`` blocks' modules import
        os.environ.update(
            HOME=str(tmp),
            XDG_CONFIG_HOME=str(tmp / ".config"),
            EXCHANGES_KEY__BINANCE__DEMO__API_KEY=DEMO_API_KEY,
            EXCHANGES_KEY__BINANCE__DEMO__SECRET=DEMO_SECRET,
            PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        )
        async with Simulator(seed=3, rate=20.0) as sim:
            credentials = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}
            async with BinanceExchange(
                endpoint=sim.endpoint, credentials=credentials, account="demo"
            ) as ex:
                namespace: dict[str, Any] = {"sim": sim, "url": sim.endpoint, "ex": ex, "tmp": tmp}
                try:
                    for n, code in enumerate(found, 1):
                        if named := re.match(r"# file: (\w+\.py)\n", code):
                            (tmp / named.group(1)).write_text(code)
                            continue
                        compiled = compile(
                            code, f"{path.name}#{n}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
                        )
                        result = eval(compiled, namespace)  # noqa: S307 - the project's docs
                        if asyncio.iscoroutine(result):
                            async with asyncio.timeout(30):
                                await result
                finally:
                    await ExchangeFactory.close_all()
    print(f"{path}: {len(found)} blocks ran")
    return len(found)


if __name__ == "__main__":
    asyncio.run(run(Path(sys.argv[1]).resolve()))
