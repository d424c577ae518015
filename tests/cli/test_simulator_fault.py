"""`exchanges simulator-fault` against a running simulator: what it sends passes the
control channel's rules (JSON, no foreign origin), and a refusal is one line naming the
argument."""

from __future__ import annotations

from exchanges.simulator import FaultKind, Simulator

from ._util import Cli, one_line_error


async def test_fault_reaches_the_simulator(cli: Cli, sim: Simulator) -> None:
    result = await cli(
        "simulator-fault", "stall", "scope=btcusdt@trade", "duration=30", "--endpoint", sim.endpoint
    )
    assert result.code == 0, result
    assert result.out.startswith("injected stall: Fault(")
    assert sim.faults.active(FaultKind.STALL, "btcusdt@trade")


async def test_wrong_argument_type_is_one_line_naming_it(cli: Cli, sim: Simulator) -> None:
    result = await cli("simulator-fault", "stall", "duration=ten", "--endpoint", sim.endpoint)
    assert "duration: expected a number or null, got a string" in one_line_error(result)
    assert not sim.faults.active(FaultKind.STALL)
