"""``--help`` reads as written for people: usage in click's words (``VENUE SYMBOL``), no
``<bool>`` after a flag, docstrings as flowing paragraphs without RST backticks, and the
choices of sides, types and market types listed."""

from __future__ import annotations

import asyncio

from ._util import Cli


async def test_help_for_people(cli: Cli) -> None:
    narrow = cli.with_env(COLUMNS="80")
    top, place, fault = await asyncio.gather(
        narrow("--help"),
        narrow("order", "place", "--help"),
        narrow("simulator-fault", "--help"),
    )
    for result in (top, place, fault):
        assert result.code == 0, result.err
        assert "<bool>" not in result.out
        assert "`" not in result.out
        assert max(len(line) for line in result.out.splitlines()) <= 80
    assert "Usage: exchanges order place [OPTIONS] VENUE SYMBOL SIDE TYPE AMOUNT" in place.out
    assert "<buy|sell>" in place.out
    assert "<limit|market|stop_loss" in place.out
    assert "<gtc|ioc|fok|po>" in place.out
    assert "<spot|margin|swap|future|" in place.out
    # a docstring hard-wrapped in the source flows as one paragraph
    assert "Inject a fault into a running simulator (e.g. stall" in fault.out
    health = next(line for line in top.out.splitlines() if "health" in line)
    assert "Follow the ticker, trade and book streams of SYMBOLS for a" in health
