"""`exchanges book --watch`, `trades --watch` and `health` against the simulator."""

from __future__ import annotations

import asyncio
import json
import signal

from exchanges.simulator import Simulator

from ._util import Cli


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


async def test_watch_stops_cleanly_on_sigterm(sim: Simulator, cli: Cli) -> None:
    proc = await cli.start("trades", "binance", "BTC/USDT", "--watch", "--json",
                           "--endpoint", sim.endpoint)  # fmt: skip
    async with asyncio.timeout(30):
        await sim.wait_subscribed("btcusdt@trade")
    proc.send_signal(signal.SIGTERM)
    result = await cli.finish(proc)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err


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
