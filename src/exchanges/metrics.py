"""Prometheus metrics for adapters (``pip install 'exchanges[metrics]'``).

::

    metrics = Metrics()            # its own registry unless one is given
    metrics.track(ex)              # any number of adapters
    metrics.serve(9108)            # optional: http://host:9108/metrics (a thread)

Read at scrape time from the adapters themselves (``health()``, each stream's counters, the
shared rate-limit budget), plus order outcomes counted as they happen:

* ``exchanges_stream_state{venue,account,stream,state}``: 1 for the stream's current state
* ``exchanges_stream_last_message_age_seconds{...}``
* ``exchanges_stream_messages_total``, ``..._items_total``, ``..._reconnects_total``,
  ``..._resyncs_total``, ``..._gaps_total{repaired}``, ``..._backfilled_total``
* ``exchanges_rate_limit_used_weight{venue,account}`` / ``..._limit``
* ``exchanges_orders_total{venue,account,method,outcome}``
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from core import StreamState
from exchanges._base import BaseExchange

__all__ = ["Metrics"]

_LABELS = ["venue", "account", "stream"]


class _StreamCollector(Collector):
    def __init__(self, adapters: weakref.WeakSet[BaseExchange]) -> None:
        self._adapters = adapters

    def collect(self) -> Iterator[Any]:
        state = GaugeMetricFamily(
            "exchanges_stream_state", "1 for the stream's current state", labels=[*_LABELS, "state"]
        )
        age = GaugeMetricFamily(
            "exchanges_stream_last_message_age_seconds", "Seconds since the last message",
            labels=_LABELS,
        )  # fmt: skip
        counters = {
            name: CounterMetricFamily(f"exchanges_stream_{name}", help_, labels=_LABELS)
            for name, help_ in (
                ("messages", "Messages (batches) received"),
                ("items", "Records received and passed on"),
                ("reconnects", "Reconnections"),
                ("resyncs", "Order books re-snapshotted after a sequence gap"),
                ("backfilled", "Records recovered over REST"),
            )
        }
        gaps = CounterMetricFamily(
            "exchanges_stream_gaps", "Holes in event streams", labels=[*_LABELS, "repaired"]
        )
        used = GaugeMetricFamily(
            "exchanges_rate_limit_used_weight", "Request weight used in the venue's window",
            labels=["venue", "account"],
        )  # fmt: skip
        limit = GaugeMetricFamily(
            "exchanges_rate_limit_weight_limit", "The venue's request weight per window",
            labels=["venue", "account"],
        )  # fmt: skip
        for ex in list(self._adapters):
            account = ex.account or ""
            if ex._supervisor is not None:
                for stream in ex._supervisor.streams():
                    labels = [ex.id, account, str(stream.key)]
                    for s in StreamState:
                        state.add_metric([*labels, s.value], 1.0 if stream.state is s else 0.0)
                    c = stream.counters
                    last_age = stream.health().last_message_age
                    if last_age is not None:
                        age.add_metric(labels, last_age)
                    counters["messages"].add_metric(labels, c.messages)
                    counters["items"].add_metric(labels, c.items)
                    counters["reconnects"].add_metric(labels, c.reconnects)
                    counters["resyncs"].add_metric(labels, c.resyncs)
                    counters["backfilled"].add_metric(labels, c.backfilled)
                    gaps.add_metric([*labels, "true"], c.gaps_repaired)
                    gaps.add_metric([*labels, "false"], c.gaps_unrepaired)
            budget = _budget(ex)
            if budget is not None:
                weight, ceiling = budget
                if weight is not None:
                    used.add_metric([ex.id, account], weight)
                if ceiling is not None:
                    limit.add_metric([ex.id, account], ceiling)
        yield state
        yield age
        yield from counters.values()
        yield gaps
        yield used
        yield limit


def _budget(ex: BaseExchange) -> tuple[float | None, float | None] | None:
    guard = getattr(ex, "_guard", None)
    if guard is None:
        return None
    weight = guard.budget.used
    ceiling = guard.weight_limit
    return (
        float(weight) if isinstance(weight, int | float) else None,
        float(ceiling) if isinstance(ceiling, int | float) else None,
    )


class Metrics:
    """Prometheus metrics over any number of adapters (held weakly: a closed, dropped
    adapter disappears from the metrics)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._adapters: weakref.WeakSet[BaseExchange] = weakref.WeakSet()
        self.registry.register(_StreamCollector(self._adapters))
        self._orders = Counter(
            "exchanges_orders",
            "Order outcomes: placed, refused, unknown (place_order); canceled, refused (cancel)",
            ["venue", "account", "method", "outcome"],
            registry=self.registry,
        )
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def track(self, ex: BaseExchange) -> None:
        if ex in self._adapters:
            return
        self._adapters.add(ex)
        ex.add_order_listener(self._on_order)

    def _on_order(self, ex: BaseExchange, method: str, outcome: str) -> None:
        self._orders.labels(ex.id, ex.account or "", method, outcome).inc()

    def serve(self, port: int, addr: str = "127.0.0.1") -> int:
        """Serve ``/metrics`` on ``addr:port`` (0: any free port) from a thread; returns the
        port. Loopback by default: expose it deliberately."""
        server, thread = start_http_server(port, addr=addr, registry=self.registry)
        self._server, self._thread = server, thread
        return int(server.server_port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
