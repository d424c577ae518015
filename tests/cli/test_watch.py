"""`exchanges book --watch`, `trades --watch` and `health` against the simulator."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator

import pytest

from exchanges.simulator import Simulator

from ._util import COMMAND_TIMEOUT, Cli


async def test_book_and_trades_watch_print_one_json_object_per_update(
    sim: Simulator, cli: Cli
) -> None:
    at = ("--endpoint", sim.endpoint)
    book = await cli.start("book", "binance", "BTC/USDT", "--watch", "--count", "3",
                           "--depth", "2", "--json", *at)  # fmt: skip
    trades = await cli.start("trades", "binance", "BTC/USDT", "--watch", "--count", "4",
                             "--json", *at)  # fmt: skip
    async with asyncio.timeout(30):
        await sim.wait_subscribed("btcusdt@depth@100ms")
        await sim.wait_subscribed("btcusdt@trade")
    results = asyncio.gather(cli.finish(book), cli.finish(trades))
    for _ in range(40):  # the market moves until both commands have what they wait for
        sim.step("BTC/USDT", 1, trades=1)
        done, _ = await asyncio.wait({results}, timeout=0.3)
        if done:
            break
    book_result, trades_result = await results
    assert book_result.code == 0, book_result.err
    books = [json.loads(line) for line in book_result.out.splitlines()]
    assert len(books) == 3
    assert [b["nonce"] for b in books] == sorted({b["nonce"] for b in books})
    assert all(len(b["bids"]) == 2 and b["synced"] for b in books)
    assert trades_result.code == 0, trades_result.err
    got = [json.loads(line) for line in trades_result.out.splitlines()]
    made = [str(t.trade_id) for t in sim.state.engine("BTC/USDT").trades]
    assert [t["id"] for t in got] == made[: len(got)]
    assert len(got) == 4


async def test_health_reports_each_stream(sim: Simulator, cli: Cli) -> None:
    result = await cli("health", "binance", "BTC/USDT", "--seconds", "1", "--json",
                       "--endpoint", sim.endpoint)  # fmt: skip
    assert result.code == 0, result.err
    rows = {row["stream"]: row for row in json.loads(result.out)}
    assert sorted(rows) == ["order_book:BTC/USDT", "ticker:BTC/USDT", "trades:BTC/USDT"]
    assert all(row["state"] == "live" and row["reconnects"] == 0 for row in rows.values())


async def test_watch_into_a_pipe_ends_with_a_newline(sim: Simulator, cli: Cli) -> None:
    proc = await cli.start("book", "binance", "BTC/USDT", "--watch", "--count", "2",
                           "--depth", "2", "--endpoint", sim.endpoint)  # fmt: skip
    async with asyncio.timeout(30):
        await sim.wait_subscribed("btcusdt@depth@100ms")
    finishing = asyncio.ensure_future(cli.finish(proc))
    for _ in range(40):  # the market moves until the command has its two updates
        sim.step("BTC/USDT", 1)
        done, _ = await asyncio.wait({finishing}, timeout=0.3)
        if done:
            break
    result = await finishing
    assert result.code == 0, result.err
    assert "binance BTC/USDT" in result.out  # the last table, printed once
    assert result.out.endswith("\n")


@pytest.fixture
async def sim_process(cli: Cli) -> AsyncIterator[str]:
    """A simulator in its own process (``exchanges simulator``), trading at its own pace;
    yields its endpoint."""
    proc = await cli.start("simulator", "--port", "0")
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(COMMAND_TIMEOUT):
            banner = (await proc.stdout.readline()).decode()
        assert banner.startswith("simulator: "), banner
        yield banner.split()[-1]
    finally:
        proc.terminate()
        await cli.finish(proc)


@pytest.mark.parametrize(
    ("command", "sig", "code", "err"),
    [
        ("trades", signal.SIGINT, 130, ["interrupted"]),
        ("book", signal.SIGINT, 130, ["interrupted"]),
        ("trades", signal.SIGTERM, 0, []),
        ("book", signal.SIGTERM, 0, []),
    ],
    ids=["trades-ctrl-c", "book-ctrl-c", "trades-sigterm", "book-sigterm"],
)
async def test_watch_interrupted_says_one_line_or_nothing(
    cli: Cli, sim_process: str, command: str, sig: signal.Signals, code: int, err: list[str]
) -> None:
    # docs/cli.md: Ctrl-C exits 130 with one line, `interrupted`; SIGTERM is a clean stop
    proc = await cli.start(command, "binance", "BTC/USDT", "--watch", "--json",
                           "--endpoint", sim_process)  # fmt: skip
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(COMMAND_TIMEOUT):
            first = await proc.stdout.readline()
        assert json.loads(first)["symbol"] == "BTC/USDT"
        proc.send_signal(sig)
    finally:
        result = await cli.finish(proc)
    assert result.code == code, result
    assert result.err.splitlines() == err, result.err
