"""The simulator's control channel for manual runs: ``POST /_sim/faults``.

Not part of Binance's protocol (nothing a Binance client calls lives under ``/_sim/``).
The body is ``{"fault": NAME, ...arguments}`` where NAME is a method of
:class:`~exchanges.simulator.Faults` (``drop_connections``, ``stall``, ``silence_pings``,
``skip_sequence``, ``malformed_frame``, ``http_errors``, ``rate_limited``, ``banned``,
``delay``, ``reset_requests``, ``drop_order_response``, ``shift_clock``, ``clear``) and the
arguments are that method's, by name. ``exchanges simulator-fault`` sends it.
"""

from __future__ import annotations

import inspect
from typing import Any

from aiohttp import web

from exchanges.simulator._faults import Faults

FAULTS = frozenset(
    {
        "drop_connections",
        "stall",
        "silence_pings",
        "skip_sequence",
        "malformed_frame",
        "http_errors",
        "rate_limited",
        "banned",
        "delay",
        "reset_requests",
        "drop_order_response",
        "shift_clock",
        "clear",
    }
)


def admin_routes(faults: Faults) -> list[web.RouteDef]:
    async def inject(request: web.Request) -> web.Response:
        try:
            body: dict[str, Any] = await request.json()
        except ValueError:
            return web.json_response({"error": "body: not JSON"}, status=400)
        name = body.pop("fault", None) if isinstance(body, dict) else None
        if name not in FAULTS:
            allowed = ", ".join(sorted(FAULTS))
            return web.json_response(
                {"error": f"fault: {name!r} is not one of {allowed}"}, status=400
            )
        method = getattr(faults, name)
        try:
            inspect.signature(method).bind(**body)
        except TypeError as exc:
            return web.json_response({"error": f"{name}: {exc}"}, status=400)
        result = method(**body)
        return web.json_response({"fault": name, "result": repr(result)})

    return [web.post("/_sim/faults", inject)]
