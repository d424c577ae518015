"""A throwaway ``redis-server`` for the tests: one per session, on a free loopback port,
no persistence, no files. It can be killed and started again on the same port (the
"Redis restarted mid-run" tests).

Missing ``redis-server`` is a test FAILURE naming how to install it, never a silent skip
(CI must not pass without running the sharing tests). Locally,
``EXCHANGES_TEST_ALLOW_NO_REDIS=1`` turns the failures into skips.

The fixtures (``redis_server``, ``redis_url``) are in ``tests/sharing/conftest.py``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest

INSTALL_HINT = (
    "redis-server is missing: `make test` installs it as root on Debian; otherwise install "
    "it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)"
)
ALLOW_MISSING = "EXCHANGES_TEST_ALLOW_NO_REDIS"
READY_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ping(port: int) -> bool:
    """One RESP ``PING`` over a fresh socket: True when the server answers ``+PONG``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """A ``redis-server`` process on ``127.0.0.1:port``."""

    def __init__(self, binary: str, port: int) -> None:
        self.binary = binary
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server and wait (bounded) until it answers PING."""
        if self.running:
            return
        self._process = subprocess.Popen(  # noqa: S603 - our own argv, no shell
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + READY_TIMEOUT
        while not _ping(self.port):
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode() if self._process.stderr else ""
                raise RuntimeError(f"redis-server exited at start: {err.strip()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server not ready on port {self.port} in time")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL the server (what a crash looks like to its clients)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=READY_TIMEOUT)
            self._close_pipes()
            self._process = None

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=READY_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=READY_TIMEOUT)
            self._close_pipes()
            self._process = None

    def restart(self) -> None:
        """Kill it and start it again on the same port (its data is gone)."""
        self.kill()
        self.start()

    def flushdb(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2.0) as sock:
            sock.sendall(b"FLUSHALL\r\n")
            if not sock.recv(16).startswith(b"+OK"):
                raise RuntimeError("FLUSHALL refused")

    def _close_pipes(self) -> None:
        if self._process is not None and self._process.stderr is not None:
            self._process.stderr.close()


def find_redis_server() -> str:
    """The ``redis-server`` binary; fails the test (skips, if allowed locally) when missing."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get(ALLOW_MISSING) == "1":
            pytest.skip(f"{INSTALL_HINT} ({ALLOW_MISSING}=1)")
        pytest.fail(INSTALL_HINT, pytrace=False)
    return binary
