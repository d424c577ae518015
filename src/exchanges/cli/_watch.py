"""Live views on supervised streams: ``book --watch``, ``trades --watch`` and ``health``.

Each runs until ``--count`` updates, ``--seconds`` elapse, Ctrl-C (exit 130, like every
command) or SIGTERM (a clean stop, exit 0). With ``--json`` each update is one JSON object
a line; otherwise a rich live table is redrawn in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.table import Table

from core import OrderBook, Subscription, Trade
from exchanges._base import BaseExchange
from exchanges.cli._common import (
    AsJson,
    Endpoint,
    KeysFile,
    MarketTypeOption,
    PublicAccount,
    Sandbox,
    Target,
    Venue,
    console,
    plain,
    print_json,
    session,
)

Watch = Annotated[bool, typer.Option("--watch", "-w", help="Follow live updates.")]
Count = Annotated[
    int | None, typer.Option("--count", min=1, help="With --watch: stop after this many updates.")
]
Seconds = Annotated[
    float | None, typer.Option("--seconds", min=0.1, help="With --watch: stop after this long.")
]


@contextlib.contextmanager
def _until_sigterm() -> Iterator[asyncio.Event]:
    """An event set by SIGTERM while the block runs (where the loop supports signals)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        installed = True
    except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
        installed = False
    try:
        yield stop
    finally:
        if installed:
            loop.remove_signal_handler(signal.SIGTERM)


def book_json(book: OrderBook, depth: int) -> dict[str, Any]:
    """A book as JSON data, ``depth`` levels a side (the ``book`` command's, watched or not)."""
    data: dict[str, Any] = plain(book)
    data["bids"], data["asks"] = data["bids"][:depth], data["asks"][:depth]
    return data


async def _follow(
    updates: AsyncIterator[Any],
    show: Callable[[Any], None],
    count: int | None,
    seconds: float | None,
) -> int:
    """Call ``show`` for each update until a bound or SIGTERM; returns how many."""
    shown = 0
    with _until_sigterm() as stop:
        stopping = asyncio.ensure_future(stop.wait())
        waiting: set[asyncio.Future[Any]] = {stopping}
        deadline = None if seconds is None else time.monotonic() + seconds
        try:
            while count is None or shown < count:
                step = asyncio.ensure_future(anext(updates))
                waiting.add(step)
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                done, _ = await asyncio.wait(
                    {step, stopping}, timeout=left, return_when=asyncio.FIRST_COMPLETED
                )
                if step not in done:
                    break
                waiting.discard(step)
                try:
                    show(step.result())
                except StopAsyncIteration:
                    break
                shown += 1
        finally:
            # a bound, SIGTERM or Ctrl-C (this task cancelled): the pending read ends with
            # the stream (StopAsyncIteration); read that here, or asyncio reports it unread
            for task in waiting:
                task.cancel()
            await asyncio.gather(*waiting, return_exceptions=True)
    return shown


@contextlib.contextmanager
def _live() -> Iterator[Live]:
    """A table redrawn in place on a terminal; elsewhere (a pipe, a file) rich prints the
    last one when the view ends, and this ends it with a newline as any output does."""
    with Live(console=console, refresh_per_second=8, transient=False) as live:
        yield live
    if not console.is_terminal:
        console.line()


async def watch_book(
    ex: BaseExchange,
    symbol: str,
    depth: int,
    as_json: bool,
    count: int | None,
    seconds: float | None,
    view: Callable[[str, OrderBook, int], Table],
) -> None:
    async with ex.stream_order_book(symbol) as stream:
        if as_json:
            await _follow(
                stream, lambda b: print_json(book_json(b, depth), compact=True), count, seconds
            )
            return
        with _live() as live:
            await _follow(
                stream, lambda book: live.update(view(ex.id, book, depth)), count, seconds
            )


async def watch_trades(
    ex: BaseExchange,
    symbol: str,
    limit: int,
    as_json: bool,
    count: int | None,
    seconds: float | None,
    view: Callable[[str, str, list[Trade]], Table],
) -> None:
    async with ex.stream_trades(symbol) as stream:
        if as_json:
            await _follow(stream, lambda t: print_json(plain(t), compact=True), count, seconds)
            return
        recent: deque[Trade] = deque(maxlen=limit)

        def show(trade: Trade) -> None:
            recent.append(trade)
            live.update(view(ex.id, symbol, list(recent)))

        with _live() as live:
            await _follow(stream, show, count, seconds)


def health(
    venue: Venue,
    symbols: Annotated[list[str], typer.Argument(help="Symbols whose streams to check.")],
    seconds: Annotated[
        float, typer.Option("--seconds", min=0.5, help="How long to follow them.")
    ] = 5.0,
    market_type: MarketTypeOption = None,
    account: PublicAccount = None,
    endpoint: Endpoint = None,
    sandbox: Sandbox = False,
    keys_file: KeysFile = None,
    as_json: AsJson = False,
) -> None:
    """Follow the ticker, trade and book streams of SYMBOLS for a while, then show each
    stream's state, messages, reconnects and gaps (a service reads the same from
    ``ex.health()`` or the Prometheus metrics). With ``EXCHANGES_REDIS_URL`` set, also
    whether this process held each stream or read another's, and its holder (pid@host)."""
    target = Target(venue, account, market_type, endpoint, sandbox, keys_file)
    with session(target) as s:
        ex = s.open()
        rows = s.run(_probe_streams(ex, symbols, seconds), f"following {len(symbols)} symbols")
    if as_json:
        print_json(rows)
    else:
        console.print(health_view(venue, seconds, rows))
    if any(row["state"] not in ("live", "polling") for row in rows):
        raise typer.Exit(1)


# the JSON field -> the table's header. The stream's name is never cut; errors, the long
# text, go under the table.
_HEALTH_COLUMNS = {
    "state": "state",
    "messages": "messages",
    "reconnects": "reconnects",
    "gaps_unrepaired": "gaps",
    "last_message_age": "idle (s)",
}


def health_view(venue: str, seconds: float, rows: list[dict[str, Any]]) -> Table:
    """Each stream's figures, headers for people, ``-`` where there is nothing. With
    ``EXCHANGES_REDIS_URL``, who holds each stream goes under the table (as the errors do),
    so the table keeps its width."""
    errors = [f"{row['stream']}: {row['last_error']}" for row in rows if row["last_error"]]
    notes = [
        "gaps: holes not repaired; idle: seconds since the last message",
        *_sharing_notes(rows),
        *errors,
    ]
    table = Table(
        title=f"{venue}: streams after {seconds:g} s",
        caption="\n".join(notes),
        caption_justify="left",
    )
    longest = max((len(row["stream"]) for row in rows), default=6)
    table.add_column("stream", no_wrap=True, min_width=longest)
    for field, header in _HEALTH_COLUMNS.items():
        table.add_column(header, justify="left" if field == "state" else "right")
    for row in rows:
        cells = ["-" if row[f] is None else str(row[f]) for f in _HEALTH_COLUMNS]
        table.add_row(row["stream"], *cells)
    return table


def _sharing_notes(rows: list[dict[str, Any]]) -> list[str]:
    """One line per (role, holder) of the streams shared through Redis."""
    groups: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        if role := row.get("role"):
            groups.setdefault((role, row.get("holder") or "-"), []).append(row["stream"])
    return [
        f"{_ROLES.get(role, role)} {holder}: {', '.join(streams)}"
        if role != "local"
        else f"{_ROLES[role]}: {', '.join(streams)}"
        for (role, holder), streams in groups.items()
    ]


_ROLES = {
    "holder": "held by this process,",
    "reader": "read through Redis from",
    "local": "own connection (Redis down)",
}


async def _probe_streams(
    ex: BaseExchange, symbols: list[str], seconds: float
) -> list[dict[str, Any]]:
    subs: list[Subscription[Any]] = []
    try:
        for symbol in symbols:
            subs.append(await ex.subscribe_ticker(symbol, _ignore))
            subs.append(await ex.subscribe_trades(symbol, _ignore))
            subs.append(await ex.subscribe_order_book(symbol, _ignore))
        with _until_sigterm() as stop, contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
        rows = []
        roles = {h.key: h for h in ex.health().streams}
        for sub in subs:
            st = sub.stats
            shared = roles.get(sub.key)
            rows.append(
                {
                    "stream": str(sub.key),
                    "state": st.state.value,
                    "messages": st.messages,
                    "reconnects": st.reconnects,
                    "gaps_unrepaired": st.gaps_unrepaired,
                    "last_message_age": None
                    if st.last_message_age is None
                    else round(st.last_message_age, 2),
                    "last_error": st.last_error,
                    "role": shared.role if shared is not None else None,
                    "holder": shared.holder if shared is not None else None,
                }
            )
        return rows
    finally:
        for sub in subs:
            await sub.cancel()


def _ignore(_item: object) -> None:
    return None
