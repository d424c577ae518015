"""The records and events of a public stream as the bytes of one Redis Stream entry.

Compact: a record is the orjson list of its fields in declaration order (enums as their
values, book levels as pairs), and a whole entry is one orjson list::

    [fence, seq, state, sent_at, "r", [record, ...]]      records
    [fence, seq, state, sent_at, "e", event]               an event (STATE, GAP, QUIET)

``fence`` is the holder's fencing number, ``seq`` the number of records this holder
published before the entry's first (a reader that skipped some sees the difference),
``state`` the holder's stream state, ``sent_at`` the holder's clock (epoch seconds) when
it published. Decoding rebuilds the frozen records of :mod:`core._models` exactly (a
float goes through orjson's shortest round-trip representation, unchanged).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from core._enums import Side, TakerOrMaker
from core._models import Candle, OrderBook, Ticker, Trade
from core._streams import Channel, EventKind, Gap, StreamEvent, StreamKey, StreamState

Encoder = Callable[[Any], list[Any]]
Decoder = Callable[[list[Any]], Any]


def _ticker_out(t: Ticker) -> list[Any]:
    return [t.symbol, t.timestamp, t.bid, t.ask, t.bid_volume, t.ask_volume, t.last, t.open,
            t.high, t.low, t.close, t.base_volume, t.quote_volume, t.change, t.percentage,
            t.vwap]  # fmt: skip


def _ticker_in(v: list[Any]) -> Ticker:
    return Ticker(*v)


def _trade_out(t: Trade) -> list[Any]:
    return [t.symbol, t.id, t.timestamp, t.price, t.amount, t.side, t.cost, t.taker_or_maker]


def _trade_in(v: list[Any]) -> Trade:
    symbol, trade_id, stamp, price, amount, side, cost, taker = v
    return Trade(
        symbol,
        trade_id,
        stamp,
        price,
        amount,
        None if side is None else Side(side),
        cost,
        None if taker is None else TakerOrMaker(taker),
    )


def _book_out(b: OrderBook) -> list[Any]:
    return [b.symbol, b.bids, b.asks, b.timestamp, b.nonce, b.synced]


def _book_in(v: list[Any]) -> OrderBook:
    symbol, bids, asks, stamp, nonce, synced = v
    return OrderBook(
        symbol,
        tuple((p, a) for p, a in bids),
        tuple((p, a) for p, a in asks),
        stamp,
        nonce,
        synced,
    )


def _candle_out(c: Candle) -> list[Any]:
    return [c.timestamp, c.open, c.high, c.low, c.close, c.volume]


def _candle_in(v: list[Any]) -> Candle:
    return Candle(*v)


CODECS: dict[Channel, tuple[Encoder, Decoder]] = {
    Channel.TICKER: (_ticker_out, _ticker_in),
    Channel.TRADES: (_trade_out, _trade_in),
    Channel.ORDER_BOOK: (_book_out, _book_in),
    Channel.OHLCV: (_candle_out, _candle_in),
}
#: the channels that may go through Redis (public market data, never private streams)
SHAREABLE = frozenset(CODECS)


@dataclass(frozen=True, slots=True)
class Entry:
    """One decoded entry."""

    fence: int
    seq: int
    state: StreamState
    sent_at: float
    records: list[Any] | None = None
    event: StreamEvent | None = None


def encode_records(
    key: StreamKey, fence: int, seq: int, state: StreamState, sent_at: float, items: Sequence[Any]
) -> bytes:
    out = CODECS[key.channel][0]
    return orjson.dumps([fence, seq, state.value, sent_at, "r", [out(i) for i in items]])


def _gap_out(gap: Gap) -> list[Any]:
    return [gap.repaired, gap.first_id, gap.last_id, gap.since, gap.until, gap.missing,
            gap.recovered, gap.reason]  # fmt: skip


def encode_event(key: StreamKey, fence: int, seq: int, sent_at: float, event: StreamEvent) -> bytes:
    body = [event.kind.value, event.state.value, event.reason, event.count, event.at,
            None if event.gap is None else _gap_out(event.gap)]  # fmt: skip
    return orjson.dumps([fence, seq, event.state.value, sent_at, "e", body])


def decode(key: StreamKey, raw: bytes) -> Entry:
    """An entry of ``key``'s stream (``ValueError`` on anything else)."""
    try:
        fence, seq, state, sent_at, kind, body = orjson.loads(raw)
        stream_state = StreamState(state)
        if kind == "r":
            rebuild = CODECS[key.channel][1]
            return Entry(fence, seq, stream_state, sent_at, records=[rebuild(v) for v in body])
        if kind == "e":
            name, event_state, reason, count, at, gap = body
            event = StreamEvent(
                EventKind(name),
                key,
                StreamState(event_state),
                reason=reason,
                gap=None if gap is None else Gap(key, *gap),
                count=count,
                at=at,
            )
            return Entry(fence, seq, stream_state, sent_at, event=event)
    except (orjson.JSONDecodeError, TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"not a shared-stream entry of {key}: {type(exc).__name__}") from None
    raise ValueError(f"not a shared-stream entry of {key}: kind {kind!r}")
