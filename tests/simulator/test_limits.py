"""Connection limits, over real sockets: half-sent requests cannot starve other clients of
file descriptors; request heads and bodies have deadlines; past the cap the oldest idle
connection makes room, and when every connection is busy a new one gets a 503."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

import aiohttp
import pytest

from exchanges.simulator import ServerLimits, Simulator

HALF = b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\n"  # the blank line never comes
PING = b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\n\r\n"
BOUND = 10.0  # seconds: a bound on each wait, not a pace

Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@contextlib.asynccontextmanager
async def half_sent(port: int, count: int) -> AsyncIterator[list[Conn]]:
    """``count`` connections, each with a request head started and never finished."""
    conns: list[Conn] = []
    try:
        for _ in range(count):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(HALF)
            conns.append((reader, writer))
        for _, writer in conns:
            await writer.drain()
        yield conns
    finally:
        for _, writer in conns:
            writer.close()
        for _, writer in conns:
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    """Whether the server closed (EOF or reset) before sending anything."""
    try:
        return await reader.read() == b""
    except ConnectionResetError:
        return True


async def answer(reader: asyncio.StreamReader) -> bytes:
    """One HTTP answer's status line, its head and body read off the connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    await reader.readexactly(length)
    return head.split(b"\r\n")[0]


async def ping(endpoint: str) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{endpoint}/api/v3/ping", timeout=aiohttp.ClientTimeout(total=5)) as r,
    ):
        return r.status


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_NOFILE is POSIX")
async def test_half_sent_requests_do_not_starve_a_process_with_few_descriptors() -> None:
    # The simulator as a user runs it (`exchanges simulator`), under macOS's default
    # open-file limit of 256: without a cap, 300 half-sent requests use up its descriptors,
    # accept() fails, and /api/v3/ping is never answered.
    import resource

    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 1024:
        pytest.skip("this process needs ~400 descriptors for the 300 connections")
    code = (
        "import resource, runpy, sys; "
        "resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256)); "
        "sys.argv = ['exchanges', 'simulator', '--port', '0', '--rate', '0']; "
        "runpy.run_module('exchanges.cli', run_name='__main__')"
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(60):  # start-up: imports on a busy 2-core machine
            first = (await proc.stdout.readline()).decode()
            banner = [(await proc.stdout.readline()).decode() for _ in range(9)]
        assert "Binance spot protocol on http://127.0.0.1:" in first, first
        endpoint = first.rsplit(" ", 1)[1].strip()
        assert any("limits    96 connections" in line for line in banner), banner
        async with half_sent(int(endpoint.rsplit(":", 1)[1]), 300) as conns:
            async with asyncio.timeout(BOUND):
                assert await ping(endpoint) == 200
                # the oldest half-sent connections made room
                assert all([await closed_by_server(r) for r, _ in conns[:200]])
    finally:
        if proc.returncode is None:
            proc.terminate()
        async with asyncio.timeout(30):
            _, err = await proc.communicate()
    assert "Too many open files" not in err.decode(), err.decode()[-2000:]


async def test_a_request_head_not_finished_in_time_is_closed() -> None:
    limits = ServerLimits(header_timeout=0.3)
    async with Simulator(rate=0, limits=limits) as sim:
        loop = asyncio.get_running_loop()
        # a keep-alive connection that was answered, then stays idle: not a late head
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
        try:
            writer.write(PING)
            async with asyncio.timeout(BOUND):
                assert await answer(reader) == b"HTTP/1.1 200 OK"
            started = loop.time()
            async with half_sent(sim.port, 20) as conns, asyncio.timeout(BOUND):
                assert all([await closed_by_server(r) for r, _ in conns])
                assert loop.time() - started >= 0.25  # closed at the deadline, not before
            # idle for longer than header_timeout, and still served
            writer.write(PING)
            async with asyncio.timeout(BOUND):
                assert await answer(reader) == b"HTTP/1.1 200 OK"
            # a head begun after an answer, never finished: the deadline applies again
            writer.write(HALF)
            async with asyncio.timeout(BOUND):
                assert await closed_by_server(reader)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def test_a_websocket_outlives_the_header_timeout() -> None:
    async with (
        Simulator(rate=0, limits=ServerLimits(header_timeout=0.2)) as sim,
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{sim.endpoint}/ws") as ws,
    ):
        async with half_sent(sim.port, 1) as conns, asyncio.timeout(BOUND):
            assert await closed_by_server(conns[0][0])  # the deadline has passed
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 1})
        async with asyncio.timeout(BOUND):
            assert await ws.receive_json() == {"result": [], "id": 1}


async def test_past_the_cap_the_oldest_half_sent_connections_make_room() -> None:
    async with (
        Simulator(rate=0, limits=ServerLimits(max_connections=20, header_timeout=60)) as sim,
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{sim.endpoint}/ws") as ws,  # busy: never evicted
    ):
        async with half_sent(sim.port, 50) as conns, asyncio.timeout(BOUND):
            async with session.get(f"{sim.endpoint}/api/v3/ping") as r:  # a new connection
                assert r.status == 200
            # 1 WebSocket + 50 half-sent + 1 ping, 20 at a time: the 32 oldest went
            assert all([await closed_by_server(r) for r, _ in conns[:32]])
            assert sim.open_connections == 20  # the ping's stays, kept alive by the session
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 1})
        async with asyncio.timeout(BOUND):
            assert await ws.receive_json() == {"result": [], "id": 1}


async def test_when_every_connection_is_busy_a_new_one_gets_503() -> None:
    async with (
        Simulator(rate=0, limits=ServerLimits(max_connections=2)) as sim,
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{sim.endpoint}/ws"),
        session.ws_connect(f"{sim.endpoint}/stream"),
    ):
        assert await ping(sim.endpoint) == 503


async def test_a_body_not_sent_in_time_gets_408_and_a_slow_answer_does_not() -> None:
    limits = ServerLimits(body_timeout=0.2)
    async with Simulator(rate=0, limits=limits) as sim:
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
        try:
            writer.write(
                b"POST /api/v3/order HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 100\r\n\r\nsymbol=BTC"
            )
            async with asyncio.timeout(BOUND):
                assert await answer(reader) == b"HTTP/1.1 408 Request Timeout"
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        # a whole body, an answer held back past body_timeout: answered, not 408
        sim.faults.delay(0.6, "/api/v3/order/test")
        async with (
            aiohttp.ClientSession() as session,
            asyncio.timeout(BOUND),
            session.post(f"{sim.endpoint}/api/v3/order/test", data={"a": "1"}) as r,
        ):
            assert r.status == 401  # no API key: answered, after the delay


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"max_connections": 0}, "max_connections"),
        ({"max_connections": True}, "max_connections"),
        ({"header_timeout": 0}, "header_timeout"),
        ({"body_timeout": float("nan")}, "body_timeout"),
        ({"keepalive_timeout": float("inf")}, "keepalive_timeout"),
    ],
)
def test_bad_limits_are_refused_by_name(kwargs: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        ServerLimits(**kwargs)  # type: ignore[arg-type]
