"""``exchanges order place | cancel | status``.

``place`` validates and rounds the order with the adapter's ``prepare_order`` (the same
checks ``place_order`` makes, nothing sent), shows what will be sent, asks before sending
(refuses without ``--yes`` when stdin is not a terminal), then places it with the client
order id it showed. If the answer is lost or the command is interrupted while sending,
it prints how to look the order up by that client order id.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.table import Table

from core import NotSupported, Order, OrderNotFound, OrderType, Side, TimeInForce
from exchanges._base import BaseExchange
from exchanges.cli._common import (
    Account,
    AsJson,
    Endpoint,
    KeysFile,
    MarketTypeOption,
    Sandbox,
    Symbol,
    Target,
    Venue,
    Yes,
    confirm,
    console,
    decimal_arg,
    err_console,
    num,
    print_json,
    session,
    when,
)
from exchanges.cli._help import APP_SETTINGS, Command, Group
from exchanges.trading._orders import OrderRequest

order_app = typer.Typer(
    help="Place, cancel and look up orders (asks before sending).", cls=Group, **APP_SETTINGS
)

OrderId = Annotated[str, typer.Argument(help="The venue's order id.")]


def _text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return num(value)
    return str(value)


def _fields(title: str, rows: list[tuple[str, object]]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    for name, value in rows:
        table.add_row(name, _text(value))
    return table


def order_view(title: str, o: Order) -> Table:
    return _fields(
        title,
        [
            ("id", o.id),
            ("client order id", o.client_order_id),
            ("symbol", o.symbol),
            ("side", o.side),
            ("type", o.type),
            ("status", o.status),
            ("amount", o.amount),
            ("filled", o.filled),
            ("remaining", o.remaining),
            ("price", o.price),
            ("average", o.average),
            ("cost", o.cost),
            ("time in force", o.time_in_force),
            ("time (UTC)", when(o.timestamp)),
        ],
    )


def request_view(who: str, r: OrderRequest, amount: Decimal, price: Decimal | None) -> Table:
    """What will be sent, with the rounding made visible."""

    def shown(sent: Decimal | None, asked: Decimal | None) -> str:
        if sent is None or sent == asked:
            return _text(sent)
        return f"{num(sent)} (rounded from {num(asked)})"

    rows: list[tuple[str, object]] = [
        ("account", who),
        ("symbol", r.symbol),
        ("side", r.side),
        ("type", r.type),
        ("amount", shown(r.amount, amount)),
        ("price", shown(r.price, price)),
        ("time in force", r.time_in_force),
        ("post-only", r.post_only),
        ("reduce-only", r.reduce_only),
        ("client order id", r.client_order_id),
    ]
    if r.price is not None:
        rows.append(("notional", r.amount * r.price))
    return _fields("order to send", rows)


def _status_command(t: Target, order_id: str, symbol: str, *, client_id: bool) -> str:
    """The ``exchanges order status`` command line that looks this order up."""
    words = ["exchanges", "order", "status", t.venue, order_id, symbol]
    if client_id:
        words.append("--client-id")
    words += ["--account", t.account or "default"]
    if t.market_type:
        words += ["--market-type", t.market_type]
    if t.endpoint:
        words += ["--endpoint", t.endpoint]
    if t.sandbox:
        words.append("--sandbox")
    if t.keys_file:
        words += ["--keys-file", str(t.keys_file)]
    return shlex.join(words)


@contextmanager
def _naming(venue: str, order_id: str, symbol: str, *, client_id: bool = False) -> Iterator[None]:
    """Say which order was not found (the venue's own message rarely does)."""
    try:
        yield
    except OrderNotFound as exc:
        what = "client order id" if client_id else "order"
        raise OrderNotFound(
            f"{what} {order_id} ({symbol}) not found: {exc}",
            venue=venue,
            method=exc.method,
            field="order_id",
        ) from exc


def _prepare(ex: BaseExchange, symbol: str, **order: Any) -> OrderRequest:
    prepare = getattr(ex, "prepare_order", None)
    if prepare is None:  # an adapter outside the ccxt family
        raise NotSupported(
            f"{ex.id}: {type(ex).__name__} has no prepare_order(): the CLI will not send an "
            "order it cannot show first",
            venue=ex.id,
            method="prepare_order",
        )
    request: OrderRequest = prepare(symbol, **order)
    return request


@order_app.command("place", cls=Command, context_settings={"ignore_unknown_options": True})
def place(
    venue: Venue,
    symbol: Symbol,
    side: Annotated[Side, typer.Argument(case_sensitive=False, help="Buy or sell.")],
    type_: Annotated[
        OrderType,
        typer.Argument(metavar="TYPE", case_sensitive=False, help="Order type."),
    ],
    amount: Annotated[str, typer.Argument(help="Amount in the base currency (a decimal).")],
    price: Annotated[str | None, typer.Option("--price", help="Limit price (a decimal).")] = None,
    client_id: Annotated[
        str | None, typer.Option("--client-id", help="Client order id (default: generated).")
    ] = None,
    tif: Annotated[
        TimeInForce | None,
        typer.Option("--tif", case_sensitive=False, help="Time in force (po: post-only)."),
    ] = None,
    post_only: Annotated[bool, typer.Option("--post-only", help="Maker only.")] = False,
    reduce_only: Annotated[
        bool, typer.Option("--reduce-only", help="Only reduce a position (contracts).")
    ] = False,
    account: Account = "default",
    market_type: MarketTypeOption = None,
    endpoint: Endpoint = None,
    sandbox: Sandbox = False,
    keys_file: KeysFile = None,
    yes: Yes = False,
    as_json: AsJson = False,
) -> None:
    """Validate and round an order, show it, ask, then place it and show the result."""
    asked_amount = decimal_arg(amount, "amount", venue)
    asked_price = None if price is None else decimal_arg(price, "price", venue)
    target = Target(venue, account, market_type, endpoint, sandbox, keys_file)
    with session(target) as s:
        ex = s.open()
        order: dict[str, Any] = {
            "side": side,
            "type": type_,
            "time_in_force": tif,
            "post_only": post_only,
            "reduce_only": reduce_only,
        }
        request = _prepare(
            ex,
            symbol,
            amount=asked_amount,
            price=asked_price,
            client_order_id=client_id,
            **order,
        )
        if not (as_json and yes):  # with --json the preview goes to stderr
            (err_console if as_json else console).print(
                request_view(target.who, request, asked_amount, asked_price)
            )
        s.pending = "nothing was sent"
        confirm(f"Place this order on {target.who}?", yes, otherwise="order not placed")
        lookup = _status_command(target, request.client_order_id, request.symbol, client_id=True)
        s.pending = f"the order may have been placed; look it up before sending again: {lookup}"
        placed = s.run(
            ex.place_order(
                request.symbol,
                amount=request.amount,
                price=request.price,
                client_order_id=request.client_order_id,
                **order,
            ),
            "placing the order",
        )
        s.pending = None
    if as_json:
        print_json(placed)
        return
    console.print(order_view(f"placed on {target.who}", placed))


@order_app.command("cancel", cls=Command)
def cancel(
    venue: Venue,
    order_id: OrderId,
    symbol: Symbol,
    account: Account = "default",
    market_type: MarketTypeOption = None,
    endpoint: Endpoint = None,
    sandbox: Sandbox = False,
    keys_file: KeysFile = None,
    yes: Yes = False,
    as_json: AsJson = False,
) -> None:
    """Cancel an order (asks first) and show its final state."""
    target = Target(venue, account, market_type, endpoint, sandbox, keys_file)
    with session(target) as s:
        ex = s.open()
        s.pending = "nothing was sent"
        confirm(
            f"Cancel order {order_id} ({symbol}) on {target.who}?",
            yes,
            otherwise="order not cancelled",
        )
        lookup = _status_command(target, order_id, symbol, client_id=False)
        s.pending = f"the cancel may have been applied; check the order: {lookup}"
        with _naming(venue, order_id, symbol):
            done = s.run(ex.cancel_order(order_id, symbol), f"cancelling order {order_id}")
        s.pending = None
    if as_json:
        print_json(done)
        return
    console.print(order_view(f"cancel on {target.who}", done))


@order_app.command("status", cls=Command)
def status(
    venue: Venue,
    order_id: Annotated[
        str, typer.Argument(help="The venue's order id (the client order id with --client-id).")
    ],
    symbol: Symbol,
    client_id: Annotated[
        bool, typer.Option("--client-id", help="ORDER_ID is the client order id.")
    ] = False,
    account: Account = "default",
    market_type: MarketTypeOption = None,
    endpoint: Endpoint = None,
    sandbox: Sandbox = False,
    keys_file: KeysFile = None,
    as_json: AsJson = False,
) -> None:
    """Show an order's current state, by the venue's id or (--client-id) the client's."""
    target = Target(venue, account, market_type, endpoint, sandbox, keys_file)
    with session(target) as s:
        ex = s.open()
        if client_id:
            by_client_id = getattr(ex, "fetch_order_by_client_id", None)
            if by_client_id is None:
                raise NotSupported(
                    f"{venue}: {type(ex).__name__} cannot look orders up by client order id",
                    venue=venue,
                    method="fetch_order_by_client_id",
                )
            with _naming(venue, order_id, symbol, client_id=True):
                found: Order = s.run(by_client_id(order_id, symbol), f"looking up {order_id}")
        else:
            with _naming(venue, order_id, symbol):
                found = s.run(ex.fetch_order_status(order_id, symbol), f"looking up {order_id}")
    if as_json:
        print_json(found)
        return
    console.print(order_view(f"order on {target.who}", found))
