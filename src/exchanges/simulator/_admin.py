"""The simulator's control channel for manual runs: ``POST /_sim/faults``.

Not part of Binance's protocol (nothing a Binance client calls lives under ``/_sim/``).
The body is ``{"fault": NAME, ...arguments}`` where NAME is a method of
:class:`~exchanges.simulator.Faults` (``drop_connections``, ``stall``, ``silence_pings``,
``skip_sequence``, ``malformed_frame``, ``http_errors``, ``rate_limited``, ``banned``,
``delay``, ``reset_requests``, ``drop_order_response``, ``shift_clock``, ``clear``) and the
arguments are that method's, by name. ``exchanges simulator-fault`` sends it.

A web page in the user's browser can reach 127.0.0.1 too, so the channel takes only what a
browser cannot send cross-origin without the simulator's consent (which it never gives: it
answers no CORS preflight): ``Content-Type: application/json`` (else 415), no foreign
``Origin`` and no ``Sec-Fetch-Site`` other than ``same-origin`` / ``none`` (else 403). A
body that is not a flat JSON object of the method's arguments, each of its type and range,
is refused with 400 and a message naming the problem before anything is injected.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from types import NoneType, UnionType
from typing import Any

import orjson
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
MAX_BODY = 64 * 1024
MAX_CLOCK_SHIFT_MS = 366 * 24 * 3600 * 1000
# inclusive bounds of numeric arguments (all others: at least 0)
RANGES: dict[str, tuple[float, float]] = {
    "status": (100, 599),
    "ms": (-MAX_CLOCK_SHIFT_MS, MAX_CLOCK_SHIFT_MS),
}
_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


class BadFault(ValueError):
    """A request the channel refuses: ``status`` and a message naming the problem."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Argument:
    name: str
    types: tuple[type, ...]  # of str, int, float, bool, NoneType
    required: bool


def _arguments(method: Callable[..., object]) -> dict[str, Argument]:
    hints = typing.get_type_hints(method)
    out = {}
    for name, param in inspect.signature(method).parameters.items():
        if name == "self":
            continue
        hint = hints[name]
        types = typing.get_args(hint) if isinstance(hint, UnionType) else (hint,)
        out[name] = Argument(name, types, param.default is inspect.Parameter.empty)
    return out


SIGNATURES = {name: _arguments(getattr(Faults, name)) for name in FAULTS}


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def _accepts(arg: Argument, value: object) -> bool:
    if value is None:
        return NoneType in arg.types
    if isinstance(value, bool):
        return bool in arg.types
    if isinstance(value, int):
        return int in arg.types or float in arg.types
    if isinstance(value, float):
        return float in arg.types
    return isinstance(value, str) and str in arg.types


def check_arguments(fault: str, body: dict[str, Any]) -> None:
    """Raise :class:`BadFault` unless ``body`` binds ``fault``'s arguments, each of its
    type (JSON scalars only: no list or object anywhere) and range."""
    arguments = SIGNATURES[fault]
    for name, value in body.items():
        arg = arguments.get(name)
        if arg is None:
            takes = ", ".join(arguments) or "no arguments"
            raise BadFault(400, f"{fault}: unknown argument {name!r} (takes {takes})")
        if not _accepts(arg, value):
            wanted = " or ".join(_TYPE_NAMES.get(t, "null") for t in arg.types)
            raise BadFault(400, f"{name}: expected {wanted}, got {_json_type(value)}")
        if isinstance(value, int | float) and not isinstance(value, bool):
            low, high = RANGES.get(name, (0, float("inf")))
            if not low <= value <= high:
                bound = f"at least {low}" if high == float("inf") else f"from {low} to {high}"
                raise BadFault(400, f"{name}: {value} is out of range ({bound})")
    for arg in arguments.values():
        if arg.required and arg.name not in body:
            raise BadFault(400, f"{fault}: missing argument {arg.name!r}")


def check_origin(request: web.Request, own_origin: str) -> None:
    """403 for what a browser sends on a page's behalf from anywhere but here."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != own_origin:
        raise BadFault(403, f"Origin {origin!r} is not {own_origin!r}: cross-origin refused")
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        raise BadFault(403, f"Sec-Fetch-Site {site!r}: cross-origin refused")


async def read_body(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise BadFault(415, f"Content-Type must be application/json, not {request.content_type!r}")
    if (request.content_length or 0) > MAX_BODY:
        raise BadFault(400, f"body: larger than {MAX_BODY} bytes")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:  # a chunked body past the server's own limit
        raise BadFault(400, f"body: larger than {MAX_BODY} bytes") from None
    if len(raw) > MAX_BODY:
        raise BadFault(400, f"body: larger than {MAX_BODY} bytes")
    try:
        body = orjson.loads(raw)  # nesting past 1024 levels is a decode error, not a crash
    except orjson.JSONDecodeError as exc:
        raise BadFault(400, f"body: not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise BadFault(400, f"body: expected a JSON object, got {_json_type(body)}")
    return body


def admin_routes(faults: Faults, own_origin: Callable[[], str]) -> list[web.RouteDef]:
    """``own_origin()``: the simulator's ``http://host:port``, the one origin let in."""

    async def inject(request: web.Request) -> web.Response:
        try:
            check_origin(request, own_origin())
            body = await read_body(request)
            name = body.pop("fault", None)
            if not isinstance(name, str):
                raise BadFault(400, f"fault: expected a string, got {_json_type(name)}")
            if name not in FAULTS:
                allowed = ", ".join(sorted(FAULTS))
                raise BadFault(400, f"fault: {name[:64]!r} is not one of {allowed}")
            check_arguments(name, body)
        except BadFault as exc:
            return web.json_response({"error": str(exc)}, status=exc.status)
        result = getattr(faults, name)(**body)
        return web.json_response({"fault": name, "result": repr(result)})

    return [web.post("/_sim/faults", inject)]
