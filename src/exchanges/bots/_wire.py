"""The runner's socket: a Unix-domain socket, JSON lines, one connection per bot process.

Why a socket rather than multiprocessing pipes: asyncio streams read it without a thread
per pipe; a bot's death is an end of file on its connection, seen at once; requests are
answered out of order by id, so a bot waiting for a message can still read its state; and
it is the shape a Redis backend has (a client per process, requests and blocking reads).

Every line is a JSON object. A request ``{"id": n, "op": ..., ...}`` gets one answer
``{"id": n, "ok": result}`` or ``{"id": n, "error": [type name, message]}``. The control
requests (``hello``, ``ready``, ``failed``) go to the runner's supervisor whatever the
backend; the data requests (``get``, ``update``, ``remove``, ``publish``, ``receive``) go to
the runner's :class:`~exchanges.bots._backend.MemoryBackend`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from exchanges.bots._backend import Message, StateBackend
from exchanges.bots._values import BotError, NotJsonError, UnknownModelError, dumps

LINE_LIMIT = 16 * 1024 * 1024  # the longest line (a state value or message) either side reads
_ERRORS: dict[str, type[Exception]] = {
    "NotJsonError": NotJsonError,
    "UnknownModelError": UnknownModelError,
}


class Control(Protocol):
    """What the runner's supervisor hears from its bots."""

    def hello(self, name: str, pid: int) -> None: ...
    def ready(self, name: str, pid: int) -> None: ...
    def failed(self, name: str, pid: int, error: str) -> None: ...


class BackendGone(BotError, ConnectionError):
    """The runner's socket closed (the runner stopped or died)."""


class StateServer:
    """Serves ``backend`` and ``control`` on a Unix socket at ``path``."""

    def __init__(self, path: str, backend: StateBackend, control: Control) -> None:
        self.path = path
        self._backend = backend
        self._control = control
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._closed = asyncio.Event()  # a connection ended

    async def start(self) -> None:
        self._server = await asyncio.start_unix_server(self._serve, self.path, limit=LINE_LIMIT)

    async def close(self) -> None:
        """Stop listening and close every connection (their handlers end on the EOF)."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        async with asyncio.timeout(5.0):
            while self._writers:
                self._closed.clear()
                await self._closed.wait()
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        pending: dict[int, asyncio.Task[None]] = {}
        pid = 0
        try:
            while line := await reader.readline():
                request = json.loads(line)
                if request["op"] == "hello":
                    pid = int(request["pid"])
                if request["op"] == "cancel":  # the bot gave up waiting (a receive)
                    job = pending.get(request["target"])
                    if job is not None:
                        job.cancel()
                    continue
                ident = request["id"]
                pending[ident] = asyncio.create_task(self._answer(request, writer, pid))
                pending[ident].add_done_callback(functools.partial(_forget, pending, ident))
        except (ConnectionError, ValueError):
            pass  # a dying bot's last, partial line
        finally:
            jobs = list(pending.values())
            for job in jobs:
                job.cancel()
            await asyncio.gather(*jobs, return_exceptions=True)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            self._writers.discard(writer)
            self._closed.set()

    async def _answer(
        self, request: dict[str, Any], writer: asyncio.StreamWriter, pid: int
    ) -> None:
        try:
            answer: dict[str, Any] = {"id": request["id"], "ok": await self._do(request, pid)}
        except (BotError, KeyError) as exc:
            answer = {"id": request["id"], "error": [type(exc).__name__, str(exc)]}
        with contextlib.suppress(ConnectionError):
            writer.write(json.dumps(answer, separators=(",", ":")).encode() + b"\n")
            await writer.drain()

    async def _do(self, request: dict[str, Any], pid: int) -> Any:
        op, name, b = request["op"], request.get("name", ""), self._backend
        match op:
            case "get":
                return await b.get_state(name)
            case "update":
                return await b.update_state(name, request["key"], request["value"])
            case "remove":
                return await b.remove_key(name, request["key"])
            case "publish":
                return await b.publish(request["sender"], request["to"], request["body"])
            case "receive":
                message = await b.receive(name)
                return [message.sender, message.body]
            case "hello":
                return self._control.hello(name, pid)
            case "ready":
                return self._control.ready(name, pid)
            case "failed":
                return self._control.failed(name, pid, request["error"])
        raise KeyError(f"unknown request {op!r}")


def _forget(pending: dict[int, asyncio.Task[None]], ident: int, _: object) -> None:
    pending.pop(ident, None)


@dataclass(frozen=True, slots=True)
class SocketSpec:
    """The embedded backend as a bot process reaches it: the runner's socket path."""

    path: str

    async def connect(self, name: str) -> SocketBackend:
        client = SocketBackend(self.path, name)
        await client.open()
        return client


class SocketBackend:
    """A bot process's end of the runner's socket; a :class:`StateBackend`, and the bot's
    control line to the runner (:meth:`call`)."""

    def __init__(self, path: str, name: str) -> None:
        self._path = path
        self.name = name
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._futures: dict[int, asyncio.Future[Any]] = {}
        self._receives: set[int] = set()  # ids of the receive requests in flight
        self._unclaimed: deque[Message] = deque()  # answered after their caller gave up
        self._next = 0
        self.gone = asyncio.Event()  # set when the runner's end closes

    async def open(self) -> None:
        reader, self._writer = await asyncio.open_unix_connection(self._path, limit=LINE_LIMIT)
        self._reader_task = asyncio.create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while line := await reader.readline():
                answer = json.loads(line)
                future = self._futures.pop(answer["id"], None)
                if answer["id"] in self._receives and (future is None or future.done()):
                    self._receives.discard(answer["id"])
                    if "ok" in answer:  # a message taken for a cancelled receive: kept
                        self._unclaimed.append(Message(*answer["ok"]))
                    continue
                self._receives.discard(answer["id"])
                if future is None or future.done():
                    continue
                if "error" in answer:
                    kind, text = answer["error"]
                    future.set_exception(_ERRORS.get(kind, BotError)(text))
                else:
                    future.set_result(answer["ok"])
        except (ConnectionError, ValueError):
            pass
        finally:
            self.gone.set()
            for future in self._futures.values():
                if not future.done():
                    future.set_exception(BackendGone("the runner's socket closed"))
            self._futures.clear()

    async def call(self, op: str, **fields: Any) -> Any:
        """One request; its answer (raises what the runner raised)."""
        if self._writer is None or self.gone.is_set():
            raise BackendGone("the runner's socket is closed")
        self._next += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._futures[self._next] = future
        ident = self._next
        line = json.dumps({"id": ident, "op": op, "name": self.name, **fields})
        self._writer.write(line.encode() + b"\n")
        if op == "receive":
            self._receives.add(ident)
        try:
            await self._writer.drain()
            return await future
        except asyncio.CancelledError:
            if op == "receive" and not self.gone.is_set():
                self._writer.write(json.dumps({"id": 0, "op": "cancel", "target": ident}).encode())
                self._writer.write(b"\n")
            raise

    async def register(self, name: str, symbol: str) -> None:
        raise BotError("models are registered by the runner")

    async def get_state(self, name: str) -> dict[str, Any]:
        state: dict[str, Any] = await self.call("get", name=name)
        return state

    async def update_state(self, name: str, key: str, value: Any) -> None:
        dumps(value, what=f"state key {key!r}")
        await self.call("update", name=name, key=key, value=value)

    async def remove_key(self, name: str, key: str) -> None:
        await self.call("remove", name=name, key=key)

    async def publish(self, sender: str, to: str, body: Any) -> list[str]:
        dumps(body, what=f"message to {to!r}")
        names: list[str] = await self.call("publish", sender=sender, to=to, body=body)
        return names

    async def receive(self, name: str) -> Message:
        if self._unclaimed:
            return self._unclaimed.popleft()
        sender, body = await self.call("receive", name=name)
        return Message(sender, body)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError):
                await self._writer.wait_closed()
        if self._reader_task is not None:
            await self._reader_task
