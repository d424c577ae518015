"""HTTP plumbing shared by the REST handlers: JSON answers, parameters, Binance errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
from aiohttp import web

from exchanges.simulator._errors import ApiError, bad_param, duplicate_param, mandatory

Params = Mapping[str, str]


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=orjson.dumps(data),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def error_response(error: ApiError, headers: Mapping[str, str] | None = None) -> web.Response:
    return json_response(error.payload(), status=error.status, headers=headers)


def single_values(pairs: Iterable[tuple[str, object]]) -> dict[str, str]:
    """``name -> value``, refusing a name sent twice (-1101, as Binance does)."""
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise duplicate_param()
        if isinstance(value, str):  # a multipart file part is not a parameter
            params[name] = value
    return params


async def request_params(request: web.Request) -> dict[str, str]:
    """Query string and form body merged, the way Binance reads them: a parameter
    repeated within either is refused (-1101); one sent in both takes the query string's
    value (Binance's documented rule)."""
    params = single_values(request.query.items())
    if request.body_exists:  # (can_read_body turns False once the body is read)
        body = await request.post()
        for name, value in single_values(body.items()).items():
            params.setdefault(name, value)
    return params


def required(params: Params, name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise mandatory(name)
    return value


def decimal_param(params: Params, name: str) -> Decimal | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise bad_param(name) from None
    if not number.is_finite() or number < 0:
        raise bad_param(name)
    return number


def int_param(params: Params, name: str, default: int | None = None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ApiError(-1100, f"Illegal characters found in parameter '{name}'.") from None


def bounded_limit(params: Params, default: int, maximum: int) -> int:
    limit = int_param(params, "limit", default)
    assert limit is not None
    if limit <= 0:
        raise ApiError(-1100, "Illegal characters found in parameter 'limit'.")
    return min(limit, maximum)


def answering(body: Callable[[Params], Any]) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An unsigned GET handler: ``body(params)`` as the JSON answer."""

    async def handler(request: web.Request) -> web.Response:
        return json_response(body(await request_params(request)))

    return handler
