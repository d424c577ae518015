"""Fan-out when things go wrong, in one process pair (two adapters, one Redis): a holder
that closes hands over at once; a reader that skipped records (trimmed by MAXLEN) reports
a GAP naming how many; entries of an older fence are ignored; Redis killed mid-run: the
reader opens its own stream (logged once), the holder keeps serving, nothing is lost,
and once Redis is back the pair shares one connection again."""

from __future__ import annotations

import asyncio

from structlog.testing import capture_logs

from core import Settings, StreamEvent, Trade
from core._streams import Channel, EventKind, StreamKey, StreamState
from exchanges import BinanceExchange
from exchanges.sharing._codec import encode_records
from exchanges.sharing._lease import Lease
from exchanges.simulator import DEMO_API_KEY, DEMO_SECRET, Simulator

from ..redis_server import RedisServer
from ..supervisor.conftest import Events, Recorder
from .test_fanout_processes import STREAM, assert_every_trade_once, trades_after, until

DEMO = {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET}
FAST = {"stream_backoff_initial": 0.05, "stream_backoff_max": 0.3, "request_timeout": 3.0}


def adapter(sim: Simulator, url: str) -> BinanceExchange:
    settings = Settings(redis_url=url, **FAST)
    return BinanceExchange(endpoint=sim.endpoint, credentials=DEMO, settings=settings)


def ids(recorder: Recorder[Trade]) -> list[str]:
    return [str(t.id) for t in recorder.items]


async def test_a_closing_holder_hands_over_at_once(redis_url: str) -> None:
    async with Simulator(seed=21, rate=5, trade_rate=50) as sim, adapter(sim, redis_url) as b:
        first = adapter(sim, redis_url)
        await first.connect()
        a, got = Recorder[Trade](), Recorder[Trade]()
        await first.subscribe_trades("BTC/USDT", a)
        sub = await b.subscribe_trades("BTC/USDT", got)
        await got.until(lambda items: len(items) >= 20)
        await first.close()  # releases the lease: no TTL to wait for
        async with asyncio.timeout(3):
            await until(lambda: b.health().streams[0].role == "holder")
        await trades_after(sim, 40)
        await got.until(lambda items: len(items) >= 60)
        assert_every_trade_once(sim, ids(got))
        assert sub.stats.gaps_unrepaired == 0
        assert sim.hub.subscribers(STREAM) == 1


async def test_a_reader_behind_reports_what_it_missed_and_ignores_old_fences(
    redis_url: str,
) -> None:
    key = StreamKey(Channel.TRADES, "BTC/USDT")

    def trades(*numbers: int) -> list[Trade]:
        return [Trade("BTC/USDT", str(n), 1_700_000_000_000 + n, 1.0, 1.0) for n in numbers]

    async with Simulator(seed=22, rate=0) as sim, adapter(sim, redis_url) as ex:
        assert ex._sharing is not None
        name = f"{ex._sharing.prefix}:fanout:{ex._sharing_scope()}:{key}"
        lease = Lease(ex._sharing, name, ttl=30)  # a holder elsewhere: this test writes for it
        await lease.take()
        client = ex._sharing.client

        async def publish(fence: int, seq: int, *numbers: int) -> None:
            raw = encode_records(key, fence, seq, StreamState.LIVE, 0.0, trades(*numbers))
            await client.xadd(f"{name}:stream", {"m": raw})

        await publish(lease.fence, 0, 1, 2)
        got, events = Recorder[Trade](), Events()
        sub = await ex.subscribe_trades("BTC/USDT", got, on_event=events)
        assert sub.state is StreamState.LIVE  # the holder's state, from its last entry
        await publish(lease.fence, 2, 3)
        await publish(lease.fence - 1, 0, 99)  # a zombie holder: ignored
        await publish(lease.fence, 10, 11, 12)  # 7 records (seq 3..9) trimmed away
        await got.until(lambda items: len(items) >= 3)
        assert ids(got) == ["3", "11", "12"]
        gaps = [e for e in events.items if e.kind is EventKind.GAP]
        assert len(gaps) == 1
        gap = gaps[0].gap
        assert gap is not None
        assert gap.missing == 7
        assert not gap.repaired
        assert sub.stats.gaps_unrepaired == 1
        shared = ex._fanout.stream(key) if ex._fanout is not None else None
        assert shared is not None
        assert (shared.fenced, shared.missed) == (1, 7)
        assert sim.hub.subscribers(STREAM) == 0  # a reader opens nothing at the venue
        await lease.release()


async def test_redis_dying_mid_run_each_side_serves_on_then_they_share_again(
    redis_server: RedisServer, redis_url: str
) -> None:
    seen: list[StreamEvent] = []
    async with (
        Simulator(seed=23, rate=5, trade_rate=50) as sim,
        adapter(sim, redis_url) as first,
        adapter(sim, redis_url) as second,
    ):
        a, b = Recorder[Trade](), Recorder[Trade]()
        await first.subscribe_trades("BTC/USDT", a)
        await second.subscribe_trades("BTC/USDT", b, on_event=seen.append)
        await b.until(lambda items: len(items) >= 20)
        with capture_logs() as logs:
            redis_server.kill()
            await until(lambda: sim.hub.subscribers(STREAM) == 2)  # the reader's own stream
            assert second.health().streams[0].role == "local"
            assert second.sharing.mode == "degraded"
            await trades_after(sim, 50)
        assert [e["event"] for e in logs].count("sharing.degraded") == 1
        redis_server.start()
        await until(lambda: sim.hub.subscribers(STREAM) == 1, within=15)
        await trades_after(sim, 50)
        roles = sorted(str(h.role) for h in (*first.health().streams, *second.health().streams))
        assert roles == ["holder", "reader"]
        count = len(a.items)
        await b.until(lambda items: len(items) >= count)
    for recorder in (a, b):
        assert_every_trade_once(sim, ids(recorder))
    assert not [e for e in seen if e.kind is EventKind.GAP and e.gap and not e.gap.repaired]
