"""What the processes of one host share through Redis (``EXCHANGES_REDIS_URL``).

Unset, nothing leaves the process: the budget is :data:`LOCAL_BUDGET` and markets load as
before. Set, every process with the same URL shares

* the request budget of each route to a venue host: reservations before sending, weighted
  by ccxt's per-endpoint cost and shared by priority, the venue's used-weight headers, a
  429's pause and a 418's ban (:mod:`._budget`, :mod:`._redis_budget`);
* the market metadata: one ``load_markets`` per venue, market type and host per refresh
  interval, whatever the number of processes (:mod:`._markets`);
* the public streams: one process holds each stream's WebSocket (a lease with a fencing
  number) and publishes its records to a Redis Stream; the others read it behind the same
  ``subscribe_*`` / ``stream_*`` (:mod:`._fanout`, :mod:`._shared_stream` with its roles'
  sides in :mod:`._holder`, :mod:`._reader` and :mod:`._delivery`, :mod:`._lease`,
  :mod:`._codec`).

Private streams and secrets never go through Redis. See docs/scaling.md.

Room rules: these modules import :mod:`core` only (the guard in ``exchanges.trading``
books through them: :mod:`exchanges.trading._reserve`); redis-py only inside
:mod:`._connection`, and only when the URL is set (the ``redis`` extra).
"""

from __future__ import annotations

from exchanges.sharing._budget import (
    LOCAL as LOCAL_BUDGET,
)
from exchanges.sharing._budget import (
    Ask,
    BudgetBackend,
    Grant,
    InProcessBudget,
    Outcome,
)
from exchanges.sharing._connection import (
    LOCAL_STATE,
    Connection,
    SharingState,
    connect,
    redacted,
)

__all__ = [
    "LOCAL_BUDGET",
    "LOCAL_STATE",
    "Ask",
    "BudgetBackend",
    "Connection",
    "Grant",
    "InProcessBudget",
    "Outcome",
    "SharingState",
    "connect",
    "redacted",
]
