"""Prometheus metrics over a real adapter on the simulator, scraped over HTTP."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from urllib.request import urlopen

from prometheus_client.parser import text_string_to_metric_families

from core import Trade
from exchanges.metrics import Metrics
from exchanges.simulator import Simulator
from exchanges.venues.binance import BinanceExchange
from tests.supervisor.conftest import Recorder, engine_trade_ids, subscribed


def _scrape(port: int) -> str:
    with urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return str(response.read().decode())


async def test_streams_rate_limits_and_orders_are_exported(
    sim: Simulator, ex: BinanceExchange
) -> None:
    metrics = Metrics()
    metrics.track(ex)
    got = Recorder[Trade]()
    await ex.subscribe_trades("BTC/USDT", got)
    await subscribed(sim, "btcusdt@trade")
    sim.step("BTC/USDT", 3)
    made = engine_trade_ids(sim, "BTC/USDT")
    await got.until(lambda items: len(items) == len(made))
    await ex.place_order("BTC/USDT", "buy", "limit", Decimal("0.01"), Decimal("1000"))
    port = metrics.serve(0)
    try:
        text = await asyncio.to_thread(_scrape, port)
    finally:
        metrics.stop()
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return samples[(name, frozenset({"venue": "binance", "account": "demo", **labels}.items()))]

    stream = "trades:BTC/USDT"
    assert value("exchanges_stream_state", stream=stream, state="live") == 1.0
    assert value("exchanges_stream_state", stream=stream, state="reconnecting") == 0.0
    assert value("exchanges_stream_items_total", stream=stream) == len(made)
    assert value("exchanges_stream_reconnects_total", stream=stream) == 0
    assert value("exchanges_stream_gaps_total", stream=stream, repaired="false") == 0
    assert value("exchanges_orders_total", method="place_order", outcome="placed") == 1
    assert value("exchanges_rate_limit_used_weight") > 0
    assert value("exchanges_rate_limit_weight_limit") == 6000
