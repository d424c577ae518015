"""``POST /_sim/faults``, the control channel: JSON only, same origin only, every argument
checked (400 naming the problem, never a 500) before anything is injected."""

from __future__ import annotations

import io
from typing import Any

import aiohttp
import orjson
import pytest

from exchanges.simulator import FaultKind, Simulator

PATH = "/_sim/faults"
JSON = {"Content-Type": "application/json"}
INJECT = {"fault": "http_errors", "path": "/api/v3/ping", "status": 503}


@pytest.fixture
def simulator_options() -> dict[str, object]:
    return {"seed": 5, "rate": 0}


async def _post(
    http: aiohttp.ClientSession, body: bytes, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    data = io.BytesIO(body)  # (aiohttp warns of a large raw bytes body)
    async with http.post(PATH, data=data, headers={**JSON, **(headers or {})}) as r:
        assert r.content_type == "application/json", await r.text()
        return r.status, await r.json()


def _injected(simulator: Simulator) -> bool:
    return simulator.faults.active(FaultKind.HTTP_ERROR, "/api/v3/ping")


async def test_json_from_the_simulators_own_origin_is_injected(
    simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    status, answer = await _post(
        http, orjson.dumps(INJECT), {"Origin": simulator.endpoint, "Sec-Fetch-Site": "same-origin"}
    )
    assert (status, answer["fault"]) == (200, "http_errors")
    assert _injected(simulator)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
async def test_a_body_that_is_not_declared_json_is_refused(
    simulator: Simulator, http: aiohttp.ClientSession, content_type: str
) -> None:
    # text/plain is what a page's cross-origin "simple" request may send without preflight
    async with http.post(
        PATH, data=orjson.dumps(INJECT), headers={"Content-Type": content_type}
    ) as r:
        assert r.status == 415
        assert "application/json" in (await r.json())["error"]
    assert not _injected(simulator)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},  # a sandboxed frame, a file:// page
        {"Origin": "http://127.0.0.1:1"},  # another local server: same site, not same origin
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
async def test_cross_origin_requests_are_refused(
    simulator: Simulator, http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    status, answer = await _post(http, orjson.dumps(INJECT), headers)
    assert status == 403
    assert "cross-origin" in answer["error"]
    assert not _injected(simulator)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"fault": "stall", "duration": "ten"}, "duration: expected a number or null, got a str"),
        ({"fault": "http_errors", "status": True}, "status: expected an integer, got true/false"),
        ({"fault": "http_errors", "status": 200.5}, "status: expected an integer, got a number"),
        ({"fault": "http_errors", "status": 99}, "status: 99 is out of range"),
        ({"fault": "rate_limited", "count": -1}, "count: -1 is out of range"),
        ({"fault": "delay", "seconds": [1]}, "seconds: expected a number, got a list"),
        ({"fault": "stall", "scope": {"a": {"b": 1}}}, "scope: expected a string or null"),
        ({"fault": "drop_connections", "abrupt": "yes"}, "abrupt: expected true or false"),
        ({"fault": "shift_clock", "ms": 10**15}, "ms: 1000000000000000 is out of range"),
        ({"fault": "delay"}, "delay: missing argument 'seconds'"),
        ({"fault": "stall", "for": 3}, "stall: unknown argument 'for'"),
        ({"fault": "clear", "now": True}, "clear: unknown argument 'now' (takes no arguments)"),
        ({"fault": "explode"}, "fault: 'explode' is not one of"),
        ({"fault": ["stall"]}, "fault: expected a string, got a list"),
        ({}, "fault: expected a string, got null"),
    ],
)
async def test_bad_arguments_are_named(
    simulator: Simulator, http: aiohttp.ClientSession, body: dict[str, Any], named: str
) -> None:
    status, answer = await _post(http, orjson.dumps(body))
    assert status == 400
    assert named in answer["error"]
    assert simulator.faults.take(FaultKind.DELAY) is None
    assert simulator.faults.take(FaultKind.STALL) is None


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b"[" * 2000 + b"]" * 2000, "body: not JSON (depth limit exceeded"),
        (b'{"fault": "stall", "scope": ' + b"[" * 500 + b"]" * 500 + b"}", "scope: expected"),
        (b'{"fault": "stall", "scope": "' + b"x" * 2**20 + b'"}', "body: larger than 65536 bytes"),
        (b"[1, 2]", "body: expected a JSON object, got a list"),
        (b"{'fault': 'stall'}", "body: not JSON"),
        (b"", "body: not JSON"),
    ],
)
async def test_nested_huge_or_broken_bodies_are_refused(
    http: aiohttp.ClientSession, body: bytes, named: str
) -> None:
    status, answer = await _post(http, body)
    assert status == 400
    assert named in answer["error"]


async def test_a_huge_chunked_body_is_refused(http: aiohttp.ClientSession) -> None:
    async def chunks() -> Any:  # no Content-Length: the size is known only by reading
        for _ in range(40):
            yield b" " * 65536

    async with http.post(PATH, data=chunks(), headers=JSON) as r:
        assert r.status == 400
        assert "body: larger than 65536 bytes" in (await r.json())["error"]
