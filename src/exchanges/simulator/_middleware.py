"""The REST pipeline around every handler: ban/weight accounting, HTTP faults, Binance's
error JSON and the ``X-MBX-USED-WEIGHT-1M`` header."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from aiohttp import web
from aiohttp.typedefs import Middleware

from exchanges.simulator._connection import reset_transport
from exchanges.simulator._errors import ApiError
from exchanges.simulator._faults import FaultKind, Faults
from exchanges.simulator._http import error_response
from exchanges.simulator._ratelimit import OrderCounter, WeightLimiter, request_weight

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _gateway_error(status: int) -> web.Response:
    """What a 5xx from Binance's gateway looks like: an HTML page, not Binance JSON."""
    reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    page = f"<html><head><title>{status} {reason}</title></head><body>{reason}</body></html>"
    return web.Response(status=status, text=page, content_type="text/html")


ORDER_PATHS = ("/api/v3/order",)
#: the other API families' prefixes the simulator serves (``_rest_metadata``)
OTHER_FAMILIES = ("/sapi/", "/fapi/", "/dapi/")


def rest_middleware(limiter: WeightLimiter, orders: OrderCounter, faults: Faults) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path.startswith(OTHER_FAMILIES):
            # wallet, margin and derivatives metadata: Binance's error JSON, no spot weight
            try:
                return await handler(request)
            except ApiError as exc:
                return error_response(exc, {})
        if not path.startswith("/api/"):
            return await handler(request)
        headers: dict[str, str] = {}
        try:
            limiter.charge(request_weight(path, request.method, request.query), path)
            headers["X-MBX-USED-WEIGHT-1M"] = str(limiter.used)
            if request.method == "POST" and path in ORDER_PATHS:
                orders.charge()
                headers["X-MBX-ORDER-COUNT-10S"] = str(orders.count)
            delay = faults.take(FaultKind.DELAY, path)
            if delay is not None:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay.seconds):
                        await faults.released.wait()
            if faults.take(FaultKind.RESET, path, f"{request.method} {path}") is not None:
                if request.transport is not None:
                    reset_transport(request.transport)
                raise web.HTTPServiceUnavailable  # never delivered: the socket is gone
            fault = faults.take(FaultKind.HTTP_ERROR, path)
            if fault is not None:
                gateway = _gateway_error(fault.status)
                gateway.headers.update(headers)
                return gateway
            for kind, status, message in (
                (FaultKind.RATE_LIMITED, 429, "Too many requests; please use the websocket."),
                (FaultKind.BANNED, 418, "IP banned (injected fault)."),
            ):
                fault = faults.take(kind, path)
                if fault is not None:
                    error = ApiError(-1003, message, status)
                    error.retry_after = fault.retry_after
                    raise error
            response = await handler(request)
        except ApiError as exc:
            if exc.retry_after is not None:
                headers["Retry-After"] = str(exc.retry_after)
            headers.setdefault("X-MBX-USED-WEIGHT-1M", str(limiter.used))
            return error_response(exc, headers)
        response.headers.update(headers)
        return response

    return middleware
