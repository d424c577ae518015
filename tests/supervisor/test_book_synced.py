"""``OrderBook.synced``: True for a book the venue's stream keeps, False for a REST
snapshot (``fetch_order_book``, a book stream while it polls), and it changes with them."""

from __future__ import annotations

import asyncio

from core import OrderBook, StreamState
from exchanges.simulator import Simulator
from exchanges.venues.binance import BinanceExchange
from tests.supervisor.conftest import Events, Recorder, adapter, subscribed

SYMBOL = "BTC/USDT"
DEPTH = "btcusdt@depth@100ms"


async def test_streamed_books_are_synced_and_rest_snapshots_are_not(
    sim: Simulator, ex: BinanceExchange
) -> None:
    assert not (await ex.fetch_order_book(SYMBOL)).synced
    watched = asyncio.ensure_future(ex.watch_order_book(SYMBOL))
    async with asyncio.timeout(10):
        await sim.wait_subscribed(DEPTH)
        while not watched.done():
            sim.step(SYMBOL, 1, trades=0)
            await asyncio.wait({watched}, timeout=0.2)
    assert watched.result().synced
    books = Recorder[OrderBook]()
    sub = await ex.subscribe_order_book(SYMBOL, books)
    sim.step(SYMBOL, 1, trades=0)
    await books.until(lambda items: len(items) >= 1)
    assert sub.state is StreamState.LIVE
    assert all(b.synced for b in books.items)


async def test_a_book_stream_serves_unsynced_books_while_polling(sim: Simulator) -> None:
    async with adapter(sim, stream_fallback_after=1, stream_backoff_initial=1.0) as ex:
        books, events = Recorder[OrderBook](), Events()
        await ex.subscribe_order_book(
            SYMBOL, books, on_event=events, stale_after=0.3, queue_size=10_000
        )
        await subscribed(sim, DEPTH)
        sim.step(SYMBOL, 1, trades=0)
        await books.until(lambda items: len(items) >= 1)
        assert books.items[-1].synced

        sim.faults.stall(DEPTH)  # no depth data reaches any connection
        for _ in range(60):  # the book keeps moving: each stalled session is seen dead
            sim.step(SYMBOL, 1, trades=0)
            try:
                await events.until(lambda e: "state:polling" in events.kinds(), within=0.5)
                break
            except TimeoutError:
                continue
        sim.step(SYMBOL, 1, trades=0)
        await books.until(lambda items: not items[-1].synced)  # a polled REST snapshot

        sim.faults.clear()
        await events.until(lambda e: events.kinds()[-1] == "state:live", within=15)
        await subscribed(sim, DEPTH)
        sim.step(SYMBOL, 1, trades=0)
        await books.until(lambda items: items[-1].synced)  # streamed again
        nonces = [b.nonce or 0 for b in books.items]
        assert nonces == sorted(set(nonces))
