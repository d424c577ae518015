"""HTTP plumbing shared by the REST handlers: JSON answers, parameters, Binance errors."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
from aiohttp import web

from exchanges.simulator._errors import ApiError, bad_param, mandatory

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


async def request_params(request: web.Request) -> dict[str, str]:
    """Query string and form body merged, the way Binance reads them."""
    params = dict(request.query)
    if request.can_read_body:
        body = await request.post()
        params.update({k: v for k, v in body.items() if isinstance(v, str)})
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
