"""``serve()``: run a simulator in the foreground (the ``exchanges simulator`` command)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from exchanges.simulator._client_options import CLIENT_OPTIONS
from exchanges.simulator._limits import ServerLimits
from exchanges.simulator._server import Simulator
from exchanges.simulator._spec import DEMO_API_KEY, DEMO_BALANCES, DEMO_SECRET


async def serve(
    port: int,
    rate: float,
    symbols: list[str],
    *,
    on_ready: Callable[[Simulator], None] | None = None,
    firehose: bool = False,
    limits: ServerLimits | None = None,
) -> None:
    """Serve on 127.0.0.1:``port`` (0: any free port) until cancelled, after printing the
    endpoint, the demo credentials and the ccxt options that make a client's connect cheap
    (optional: ccxt's defaults work).

    ``rate`` is book steps per second per symbol (and half as many trades). ``on_ready`` is
    called with the running simulator once it listens. ``firehose``: market data as fast
    as the sockets take (benchmarks). ``limits``: connection cap and deadlines (default
    :class:`ServerLimits`)."""
    limits = limits or ServerLimits()
    async with Simulator(
        port=port, rate=rate, symbols=symbols, firehose=firehose, limits=limits
    ) as sim:
        balances = ", ".join(f"{asset} {amount}" for asset, amount in DEMO_BALANCES.items())
        print(f"simulator: Binance spot protocol on {sim.endpoint}", flush=True)
        print(f"  REST      {sim.endpoint}/api/v3", flush=True)
        print(f"  streams   {sim.endpoint.replace('http', 'ws')}/ws", flush=True)
        print(f"  ws-api    {sim.endpoint.replace('http', 'ws')}/ws-api/v3", flush=True)
        print(f"  symbols   {', '.join(symbols)}", flush=True)
        print(f"  demo key  {DEMO_API_KEY}", flush=True)
        print(f"  secret    {DEMO_SECRET}", flush=True)
        print(f"  balances  {balances}", flush=True)
        print(f"  ccxt options (optional, a cheaper connect) {CLIENT_OPTIONS}", flush=True)
        print(
            f"  limits    {limits.connection_cap} connections, request heads within "
            f"{limits.header_timeout:g} s, bodies within {limits.body_timeout:g} s, "
            f"idle keep-alive {limits.keepalive_timeout:g} s",
            flush=True,
        )
        if on_ready is not None:
            on_ready(sim)
        await asyncio.Event().wait()
