"""When to restart a bot process: capped, jittered backoff, and a failure budget per window."""

from __future__ import annotations

import random
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def backoff(failures: int, initial: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before restart number ``failures`` (1, 2, ...): exponential from ``initial``,
    capped at ``cap``, with "equal jitter" (between half and all of it) so that bots failing
    together do not restart in step."""
    delay: float = min(cap, initial * 2.0 ** max(0, failures - 1))
    jitter: float = (rng or random).uniform(0, delay / 2)
    return delay / 2 + jitter


@dataclass(slots=True)
class FailureWindow:
    """``max_restarts`` failures within ``window`` seconds are allowed; one more is final."""

    max_restarts: int
    window: float
    times: deque[float] = field(default_factory=deque)

    def record(self, now: float | None = None) -> bool:
        """Count a failure; True if the model may be restarted."""
        now = time.monotonic() if now is None else now
        self.times.append(now)
        while self.times and self.times[0] < now - self.window:
            self.times.popleft()
        return len(self.times) <= self.max_restarts

    @property
    def recent(self) -> int:
        return len(self.times)


def describe_exit(code: int | None) -> str:
    """A process's exit code in words: ``killed by SIGKILL``, ``exited with 1``."""
    if code is None:
        return "did not exit"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with {code}"


@contextmanager
def sigint_ignored() -> Iterator[None]:
    """SIGINT ignored while a child starts: an ignored signal stays ignored across exec, and
    Python then installs no KeyboardInterrupt handler, so a Ctrl-C reaching the whole
    process group stops the bots through their runner, not in the middle of their imports."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old if old is not None else signal.default_int_handler)
