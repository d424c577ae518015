"""`exchanges simulator` options and `exchanges simulator-fault` against a running
simulator: what the latter sends passes the control channel's rules (JSON, no foreign
origin), and a refusal is one line naming the argument."""

from __future__ import annotations

import asyncio
import signal

from exchanges.simulator import FaultKind, Simulator

from ._util import COMMAND_TIMEOUT, Cli, one_line_error


async def test_fault_reaches_the_simulator(cli: Cli, sim: Simulator) -> None:
    result = await cli(
        "simulator-fault", "stall", "scope=btcusdt@trade", "duration=30", "--endpoint", sim.endpoint
    )
    assert result.code == 0, result
    assert result.out.startswith("injected stall: Fault(")
    assert sim.faults.active(FaultKind.STALL, "btcusdt@trade")


async def test_wrong_argument_type_is_one_line_naming_it(cli: Cli, sim: Simulator) -> None:
    result = await cli("simulator-fault", "stall", "duration=ten", "--endpoint", sim.endpoint)
    assert "invalid value (duration): expected a number or null, got a string" in (
        one_line_error(result)
    )
    assert not sim.faults.active(FaultKind.STALL)


async def test_limits_are_options(cli: Cli) -> None:
    proc = await cli.start(
        "simulator", "--port", "0", "--rate", "0", "--max-connections", "5",
        "--header-timeout", "0.5", "--body-timeout", "2", "--keepalive-timeout", "30",
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(COMMAND_TIMEOUT):
            lines = [(await proc.stdout.readline()).decode() for _ in range(10)]
        assert lines[-1] == (
            "  limits    5 connections, request heads within 0.5 s, bodies within 2 s, "
            "idle keep-alive 30 s\n"
        ), lines
    finally:
        proc.send_signal(signal.SIGTERM)
        result = await cli.finish(proc)
    assert result.code == 0, result


async def test_bad_limit_is_one_line_naming_it(cli: Cli) -> None:
    result = await cli("simulator", "--port", "0", "--max-connections", "0")
    assert "invalid value (max_connections): 0 is not at least 1" in one_line_error(result)
