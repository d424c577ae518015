"""Commands cut short: Ctrl-C while waiting (exit 130), and an order whose answer never
comes (exit 3, with the command that looks it up by client order id)."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from exchanges.simulator import Simulator

from ._util import COMMAND_TIMEOUT, Cli


async def test_ctrl_c_while_waiting_for_the_venue_exits_130(cli: Cli) -> None:
    # A server that accepts and never answers: the command waits in load_markets.
    connected = asyncio.Event()
    peers: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peers.append(writer)
        connected.set()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        endpoint = f"http://127.0.0.1:{port}"
        proc = await cli.start("ticker", "binance", "BTC/USDT", "--endpoint", endpoint)
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT):
                await connected.wait()  # the request is in flight: the command is waiting
            proc.send_signal(signal.SIGINT)
        finally:
            result = await cli.finish(proc)
    finally:
        server.close()
        for writer in peers:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        await server.wait_closed()
    assert result.code == 130, result
    assert result.err.strip() == "interrupted"
    assert result.out == ""


async def test_order_with_unknown_outcome_exits_3_and_says_how_to_look(
    sim: Simulator, cli: Cli
) -> None:
    # Every answer on /api/v3/order is held back: the placement times out, and so does
    # every lookup by client order id until the adapter gives up (1 s each, here).
    sim.faults.delay(30, "/api/v3/order", duration=30)
    impatient = cli.with_env(EXCHANGES_REQUEST_TIMEOUT="1", EXCHANGES_ORDER_SETTLE_TIMEOUT="1")
    result = await impatient(
        "order", "place", "binance", "BTC/USDT", "buy", "limit", "0.001", "--price", "40000",
        "--account", "demo", "--endpoint", sim.endpoint, "--yes", "--json",
    )  # fmt: skip
    assert result.code == 3, result
    assert result.out == ""
    assert "Traceback" not in result.err
    error = next(line for line in result.err.splitlines() if line.startswith("error: "))
    assert "place_order outcome unknown" in error
    lookup = "exchanges order status binance xl"
    assert lookup in result.err
    assert f"--client-id --account demo --endpoint {sim.endpoint}" in result.err
