"""No exception left unread: the suite fails on "Task exception was never retrieved"
(tests/conftest.py); these tests drive the paths where the supervisor used to leave one."""

from __future__ import annotations

import asyncio

from core import StreamState, Trade
from exchanges.simulator import Simulator
from tests.supervisor.conftest import Events, Recorder, adapter, subscribed

SYMBOL = "BTC/USDT"


async def test_close_while_recovering_from_a_dropped_socket_reads_every_exception(
    sim: Simulator,
) -> None:
    async with adapter(sim) as ex:
        got, events = Recorder[Trade](), Events()
        sub = await ex.subscribe_trades(SYMBOL, got, on_event=events)
        await subscribed(sim, "btcusdt@trade")
        sim.step(SYMBOL, 1)
        await got.until(lambda items: len(items) == 1)

        sim.faults.delay(30, None)  # the read-back after the reconnect hangs
        assert sim.faults.drop_connections() >= 1
        await events.until(lambda _: events.kinds()[-2:] == ["state:reconnecting", "state:live"])
        # resubscribed, now reading the outage back over REST; the new socket drops too,
        # so the session's pending watch fails while the read-back still waits
        (stream,) = ex.supervisor.streams()
        (watch,) = [t for t in asyncio.all_tasks() if _runs(t, "TradesFeed.watch")]
        assert stream.feed.reconnect("dropped again during the read-back")
        async with asyncio.timeout(5):
            await asyncio.wait({watch})
        assert not watch.cancelled()  # failed (its exception left for the session to read)
    # close() cancelled the session in its read-back: the failed watch was read
    assert sub.state is StreamState.CLOSED


def _runs(task: asyncio.Task[object], qualname: str) -> bool:
    return getattr(task.get_coro(), "__qualname__", None) == qualname
