"""Order validation and client order ids: everything checked before a byte is sent.

:func:`validate_order` turns the loose arguments of ``place_order`` into an
:class:`OrderRequest` or raises :class:`core.InvalidOrder` naming the offending field.
Rounding never makes an order more aggressive or bigger than asked: amounts round down to
the lot step; a buy price rounds down and a sell price rounds up to the tick.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from core import (
    BadRequest,
    InvalidOrder,
    Market,
    NotSupported,
    Order,
    OrderStateUnknown,
    OrderType,
    Side,
    TimeInForce,
    convert,
)
from exchanges._capabilities import Capabilities
from exchanges.trading._arguments import Arguments

Number = Decimal | int | float | str


@dataclass(frozen=True, slots=True)
class ClientOrderIdRules:
    """A venue's constraints on client order ids."""

    max_length: int = 32
    pattern: str = r"[A-Za-z0-9]+"

    def check(self, value: str) -> str | None:
        """Return a reason the id is refused, or None when it is acceptable."""
        if not value:
            return "must not be empty"
        if len(value) > self.max_length:
            return f"is {len(value)} characters long; the venue allows at most {self.max_length}"
        if not re.fullmatch(self.pattern, value):
            return f"must match {self.pattern}"
        return None

    def generate(self, prefix: str = "") -> str:
        """A fresh unique id: prefix + random hex within the venue's length. At least 16
        random hex characters (64 bits) always: the prefix is shortened, never the random
        part, so collisions stay out of practical reach."""
        random_len = max(16, min(32, self.max_length - len(prefix)))
        prefix = prefix[: max(0, self.max_length - random_len)]
        return prefix + secrets.token_hex(16)[:random_len]


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A validated order, ready to be sent."""

    symbol: str
    side: Side
    type: OrderType
    amount: Decimal
    price: Decimal | None
    trigger_price: Decimal | None
    trailing_amount: Decimal | None
    time_in_force: TimeInForce | None
    post_only: bool
    reduce_only: bool
    client_order_id: str


def to_positive_decimal(value: object, field: str, *, venue: str | None = None) -> Decimal:
    """Parse a user-supplied number; refuse bools, NaN, infinities, zero and negatives."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise InvalidOrder(
            f"{field}: expected a number, got {type(value).__name__}", venue=venue, field=field
        )
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError):
        raise InvalidOrder(
            f"{field}: {value!r} is not a number", venue=venue, field=field
        ) from None
    if not number.is_finite():
        raise InvalidOrder(f"{field}: must be finite, got {value!r}", venue=venue, field=field)
    if number <= 0:
        raise InvalidOrder(
            f"{field}: must be greater than 0, got {value}", venue=venue, field=field
        )
    return number


def _round(
    value: Decimal, step: Decimal | None, rounding: str, digits: int | None = None
) -> Decimal:
    """Round to a step, or (venues counting significant digits) to ``digits`` significant
    digits, in the direction ``rounding`` says."""
    if step is not None and step > 0:
        return (value / step).to_integral_value(rounding=rounding) * step
    if digits is not None and value != 0:
        quantum = Decimal(1).scaleb(value.adjusted() - digits + 1)
        return value.quantize(quantum, rounding=rounding)
    return value


def validate_order(
    market: Market,
    *,
    side: Side | str,
    type: OrderType | str,
    amount: Number,
    price: Number | None,
    trigger_price: Number | None,
    trailing_amount: Number | None,
    time_in_force: TimeInForce | str | None,
    post_only: bool,
    reduce_only: bool,
    client_order_id: str | None,
    id_rules: ClientOrderIdRules,
    id_prefix: str,
    venue: str,
) -> OrderRequest:
    def fail(field: str, message: str) -> InvalidOrder:
        return InvalidOrder(f"{field}: {message}", venue=venue, field=field)

    try:
        side_ = Side.parse(side, field="side")
        type_ = OrderType.parse(type, field="type")
        tif = (
            None
            if time_in_force is None
            else TimeInForce.parse(time_in_force, field="time_in_force")
        )
    except ValueError as exc:
        field = str(exc).split(":", 1)[0]
        raise InvalidOrder(str(exc), venue=venue, field=field) from None

    if not market.active:
        raise fail("symbol", f"{market.symbol} is not active on {venue}")
    check = Arguments(venue, "place_order", InvalidOrder)
    post_only = check.flag(post_only, "post_only")
    reduce_only = check.flag(reduce_only, "reduce_only")
    client_order_id = check.optional_text(client_order_id, "client_order_id")

    amount_ = to_positive_decimal(amount, "amount", venue=venue)
    price_ = None if price is None else to_positive_decimal(price, "price", venue=venue)
    trigger = (
        None
        if trigger_price is None
        else to_positive_decimal(trigger_price, "trigger_price", venue=venue)
    )
    trailing = (
        None
        if trailing_amount is None
        else to_positive_decimal(trailing_amount, "trailing_amount", venue=venue)
    )

    if type_.needs_price and price_ is None:
        raise fail("price", f"a {type_.value} order needs a price")
    if not type_.needs_price and price_ is not None:
        raise fail("price", f"a {type_.value} order takes no price (it executes at market)")
    if type_.needs_trigger and trigger is None:
        raise fail("trigger_price", f"a {type_.value} order needs a trigger_price")
    if not type_.needs_trigger and trigger is not None:
        raise fail("trigger_price", f"a {type_.value} order takes no trigger_price")
    if type_ is OrderType.TRAILING_STOP and trailing is None:
        raise fail("trailing_amount", "a trailing_stop order needs a trailing_amount")
    if type_ is not OrderType.TRAILING_STOP and trailing is not None:
        raise fail("trailing_amount", f"a {type_.value} order takes no trailing_amount")
    if post_only and type_ is not OrderType.LIMIT:
        raise fail("post_only", "only limit orders can be post-only")
    if post_only and tif in (TimeInForce.IOC, TimeInForce.FOK):
        raise fail("post_only", f"a post-only order cannot be {tif.value.upper()}")
    if reduce_only and not market.is_contract and market.type.value != "margin":
        raise fail("reduce_only", f"{market.symbol} is a spot market; reduce_only needs contracts")

    # Round: never bigger, never more aggressive than asked.
    precision = market.precision
    rounded_amount = _round(amount_, precision.amount, ROUND_FLOOR, precision.amount_digits)
    if rounded_amount <= 0:
        raise fail(
            "amount",
            f"{amount_} is below the lot step {market.precision.amount} of {market.symbol}",
        )
    passive = ROUND_FLOOR if side_ is Side.BUY else ROUND_CEILING
    if price_ is not None:
        price_ = _round(price_, precision.price, passive, precision.price_digits)
    if trigger is not None:
        trigger = _round(trigger, precision.price, passive, precision.price_digits)

    limits = market.limits
    if limits.amount.min is not None and rounded_amount < limits.amount.min:
        raise fail(
            "amount", f"{rounded_amount} is below {market.symbol}'s minimum {limits.amount.min}"
        )
    if limits.amount.max is not None and rounded_amount > limits.amount.max:
        raise fail(
            "amount", f"{rounded_amount} is above {market.symbol}'s maximum {limits.amount.max}"
        )
    if price_ is not None:
        if limits.price.min is not None and price_ < limits.price.min:
            raise fail("price", f"{price_} is below {market.symbol}'s minimum {limits.price.min}")
        if limits.price.max is not None and price_ > limits.price.max:
            raise fail("price", f"{price_} is above {market.symbol}'s maximum {limits.price.max}")
        notional = rounded_amount * price_ * (market.contract_size or Decimal(1))
        if limits.cost.min is not None and notional < limits.cost.min:
            raise fail(
                "amount",
                f"notional {notional} (amount x price) is below {market.symbol}'s minimum "
                f"{limits.cost.min}",
            )
        if limits.cost.max is not None and notional > limits.cost.max:
            raise fail(
                "amount",
                f"notional {notional} (amount x price) is above {market.symbol}'s maximum "
                f"{limits.cost.max}",
            )

    if client_order_id is None:
        client_order_id = id_rules.generate(id_prefix)
    else:
        reason = id_rules.check(client_order_id)
        if reason is not None:
            raise fail("client_order_id", f"{client_order_id!r} {reason}")

    return OrderRequest(
        symbol=market.symbol,
        side=side_,
        type=type_,
        amount=rounded_amount,
        price=price_,
        trigger_price=trigger,
        trailing_amount=trailing,
        time_in_force=TimeInForce.PO if post_only and tif is None else tif,
        post_only=post_only,
        reduce_only=reduce_only,
        client_order_id=client_order_id,
    )


# Our order types -> (ccxt type, unified ccxt param carrying the trigger).
CCXT_ORDER_TYPES: Mapping[OrderType, tuple[str, str | None]] = {
    OrderType.LIMIT: ("limit", None),
    OrderType.MARKET: ("market", None),
    OrderType.STOP_LOSS: ("market", "stopLossPrice"),
    OrderType.STOP_LOSS_LIMIT: ("limit", "stopLossPrice"),
    OrderType.TAKE_PROFIT: ("market", "takeProfitPrice"),
    OrderType.TAKE_PROFIT_LIMIT: ("limit", "takeProfitPrice"),
    OrderType.TRAILING_STOP: ("market", None),
}


# ------------------------------------------------------------------ what params= may not carry
def param_key(name: str) -> str:
    """How ``params`` keys are compared: case-insensitive, ``_`` and ``-`` ignored."""
    return name.replace("_", "").replace("-", "").lower()


_CLIENT_IDS: tuple[str, ...] = (
    *("clientOrderId", "newClientOrderId", "origClientOrderId", "clOrdId", "clientOid"),
    *("clientAlgoId", "text", "userref", "cid"),
)
_SYMBOLS = ("symbol", "market", "marketId", "pair", "instrument", "instrumentId", "productId")
_MARKET_TYPES = ("defaultType", "subType", "defaultSubType")

# The arguments place_order validates, under the names ccxt (its unified parameters) and
# venues (their wire fields) read them from ``params``. ccxt merges ``params`` into the
# request last, so one of these would replace the validated value on the wire or send the
# order to another market; each is refused. A venue adds its own wire names as data
# (``CcxtCore.order_field_params``).
ORDER_FIELD_PARAMS: Mapping[str, tuple[str, ...]] = {
    "symbol": _SYMBOLS,
    "market_type": _MARKET_TYPES,
    "side": ("side",),
    "type": ("type", "orderType", "ordType"),
    "amount": ("amount", "quantity", "qty", "size", "orderQty", "cost", "quoteOrderQty"),
    "price": ("price", "limitPrice"),
    "trigger_price": ("triggerPrice", "stopPrice", "stopLossPrice", "takeProfitPrice"),
    "trailing_amount": ("trailingAmount", "trailingPercent", "trailingPrice"),
    "time_in_force": ("timeInForce",),
    "post_only": ("postOnly",),
    "reduce_only": ("reduceOnly",),
    "client_order_id": _CLIENT_IDS,
}

# What would point cancel_order or fetch_order_status at another order or market than the
# ``order_id`` and ``symbol`` given (venues add theirs: ``CcxtCore.order_lookup_params``).
ORDER_LOOKUP_PARAMS: Mapping[str, tuple[str, ...]] = {
    "symbol": _SYMBOLS,
    "market_type": (*_MARKET_TYPES, "type"),
    "order_id": ("id", "orderId", "orderIds", *_CLIENT_IDS),
}


def reserved_params(*fields: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Compared spelling -> the argument it names, for :func:`refuse_params`."""
    return {
        param_key(name): arg for table in fields for arg, names in table.items() for name in names
    }


def refuse_params(
    extra: Mapping[str, Any],
    reserved: Mapping[str, str],
    *,
    method: str,
    venue: str,
    error: type[BadRequest] = InvalidOrder,
) -> None:
    """Refuse ``params`` keys that name what ``method`` takes (and checks) as arguments,
    naming the first in ``field`` (``params.<key>``) and all of them in the message."""
    clashes = [(key, reserved[param_key(key)]) for key in extra if param_key(key) in reserved]
    if not clashes:
        return
    key, arg = clashes[0]
    listed = ", ".join(f"{k!r} ({a})" for k, a in clashes)
    hint = "the adapter's market_type decides it" if arg == "market_type" else f"pass {arg}="
    raise error(
        f"params.{key}: {listed} would override what {method} checks ({hint})",
        venue=venue,
        method=method,
        field=f"params.{key}",
    )


def ccxt_order_params(order: OrderRequest, extra: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """ccxt (type, params) for a validated order, in ccxt's unified parameters."""
    ccxt_type, trigger_param = CCXT_ORDER_TYPES[order.type]
    params: dict[str, Any] = {"clientOrderId": order.client_order_id}
    if trigger_param is not None and order.trigger_price is not None:
        params[trigger_param] = float(order.trigger_price)
    if order.trailing_amount is not None:
        params["trailingAmount"] = str(order.trailing_amount)
    if order.time_in_force is not None:
        params["timeInForce"] = order.time_in_force.value.upper()
    if order.post_only:
        params["postOnly"] = True
    if order.reduce_only:
        params["reduceOnly"] = True
    params.update(extra)
    return ccxt_type, params


def order_from_response(raw: object, request: OrderRequest, venue: str) -> Order:
    """Convert ccxt's answer to a placement. Fields a terse venue leaves out (side, type,
    amount, price, client id) are taken from the request that produced it; the status is
    never invented. An answer without a venue order id (empty, garbled, not JSON) does not
    prove the order exists or not: :class:`core.OrderStateUnknown`."""
    if not isinstance(raw, Mapping) or raw.get("id") in (None, ""):
        raise OrderStateUnknown(
            f"place_order: the venue's answer carries no order id; look up client order id "
            f"{request.client_order_id}",
            venue=venue,
            method="place_order",
            client_order_id=request.client_order_id,
        )
    merged = dict(raw)
    if not merged.get("symbol"):
        merged["symbol"] = request.symbol
    for key, value in (
        ("side", request.side.value),
        ("type", request.type.value),
        ("amount", request.amount),
        ("price", request.price),
        ("clientOrderId", request.client_order_id),
    ):
        if merged.get(key) is None:
            merged[key] = value
    return convert.order(merged)


def require_order_features(request: OrderRequest, capabilities: Capabilities, venue: str) -> None:
    """Refuse, before sending, an order feature the venue does not offer."""
    needs = {
        "post_only_orders": request.post_only,
        "reduce_only_orders": request.reduce_only,
        "stop_loss_orders": request.type in (OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT),
        "take_profit_orders": request.type in (OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT),
        "trailing_orders": request.type is OrderType.TRAILING_STOP,
    }
    for feature, needed in needs.items():
        if needed and not capabilities.supports(feature):
            raise NotSupported(
                f"{venue} does not support {feature.replace('_', '-')}",
                venue=venue,
                method="place_order",
            )
