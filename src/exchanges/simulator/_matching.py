"""The matching engine of one symbol: price-time priority, partial fills, fees, locks,
self-trade prevention (``EXPIRE_MAKER``: a taker meeting its own account's resting order
expires that order, status ``EXPIRED_IN_MATCH``).

User orders and the generator's own ("house") liquidity share one :class:`Book`. Balances
are locked when a limit order is placed, spent as it fills and released when it is
cancelled or expires. Every amount is a :class:`~decimal.Decimal`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from exchanges.simulator._book import Book, Entry
from exchanges.simulator._errors import ApiError, insufficient_balance
from exchanges.simulator._records import ZERO, Account, Fill, Order, OrderStatus, Side, Trade
from exchanges.simulator._spec import SymbolSpec

_FEE_QUANTUM = Decimal("0.00000001")


def _noop(*_args: object) -> None:
    return None


@dataclass
class EngineHooks:
    """Where the engine reports what happened (the server wires streams to these)."""

    on_trade: Callable[[Trade], None] = _noop
    on_order: Callable[[Order, str, Fill | None], None] = _noop  # execution type: NEW, TRADE...
    on_balances: Callable[[Account, set[str]], None] = _noop


@dataclass
class MatchingEngine:
    spec: SymbolSpec
    accounts: dict[str, Account]
    clock: Callable[[], int]
    hooks: EngineHooks = field(default_factory=EngineHooks)
    book: Book = field(init=False)
    orders: dict[int, Order] = field(default_factory=dict)
    trades: list[Trade] = field(default_factory=list)
    next_order_id: int = 1
    next_trade_id: int = 1
    #: trades the venue serves over REST (the newest ones); ``trades`` keeps up to twice
    #: as many (trimmed in chunks, so recording a trade stays cheap)
    trade_history: int = 100_000

    def __post_init__(self) -> None:
        self.book = Book(self.spec.id)

    def history(self) -> list[Trade]:
        """The trades REST serves: the newest ``trade_history``, oldest first (a copy)."""
        return self.trades[self.history_start() :]

    def history_start(self) -> int:
        """The index in ``trades`` of the oldest trade REST serves."""
        return max(0, len(self.trades) - self.trade_history)

    # ---- user orders -------------------------------------------------------------------

    def new_order_id(self) -> int:
        order_id = self.next_order_id
        self.next_order_id += 1
        return order_id

    def submit(self, order: Order, quote_qty: Decimal | None = None) -> None:
        """Place a validated order: check funds, lock, match, then rest or expire.

        A MARKET buy by ``quote_qty`` (``quoteOrderQty``) is turned into the base quantity
        that amount buys from the current book before anything else happens.
        """
        account = self.accounts[order.account]
        opposite = self.book.side(order.side.opposite)
        limit = None if order.type == "MARKET" else order.price
        best = opposite.best()
        if order.type == "LIMIT_MAKER" and best is not None and opposite.crosses(best, limit):
            raise ApiError(-2010, "Order would immediately match and take.")
        if quote_qty is not None:
            order.orig_qty = self._qty_for_quote(order.side, quote_qty)
            if order.orig_qty <= ZERO:
                raise ApiError(
                    -2010, "Order book liquidity is less than LOT_SIZE filter minimum quantity."
                )
        self._check_funds(account, order)
        self.orders[order.order_id] = order
        if order.type != "MARKET":
            self._lock(account, order)
        self.hooks.on_order(order, "NEW", None)
        if order.time_in_force == "FOK" and self._fillable(order) < order.orig_qty:
            self._finish(order, OrderStatus.EXPIRED)
        else:
            self._match(order.side, order.orig_qty, limit, order)
            if order.status.is_open:
                if order.type == "MARKET" or order.time_in_force in ("IOC", "FOK"):
                    self._finish(order, OrderStatus.EXPIRED)
                else:
                    self.book.add(order.side, order.price, Entry(order.remaining, order))
        self.hooks.on_balances(account, {self.spec.base, self.spec.quote})

    def cancel(self, order: Order) -> None:
        if not order.status.is_open:
            raise ApiError(-2011, "Unknown order sent.")
        side = self.book.side(order.side)
        if side.total(order.price) > ZERO:
            for entry in list(side.queue(order.price)):
                if entry.order is order:
                    self.book.remove(order.side, order.price, entry)
                    break
        self._finish(order, OrderStatus.CANCELED)
        self.hooks.on_balances(self.accounts[order.account], {self.spec.base, self.spec.quote})

    def open_orders(self, account: str) -> list[Order]:
        return [o for o in self.orders.values() if o.account == account and o.status.is_open]

    # ---- the generator's liquidity -----------------------------------------------------

    def house_add(self, side: Side, price: Decimal, qty: Decimal) -> None:
        """Rest generator liquidity at ``price``; it trades first with anything it crosses."""
        remaining = self._match(side, qty, price, None)
        if remaining > ZERO:
            self.book.add(side, price, Entry(remaining))

    def house_cancel(self, side: Side, price: Decimal, qty: Decimal | None = None) -> None:
        """Withdraw generator liquidity at ``price`` (all of it when ``qty`` is None)."""
        book_side = self.book.side(side)
        if book_side.total(price) <= ZERO:
            return
        left = qty
        for entry in reversed(list(book_side.queue(price))):
            if entry.order is not None:
                continue
            take = entry.qty if left is None else min(entry.qty, left)
            self.book.take(side, price, entry, take)
            if left is not None:
                left -= take
                if left <= ZERO:
                    return

    def house_take(self, side: Side, qty: Decimal) -> Decimal:
        """A generator market order; returns the quantity it could not fill."""
        return self._match(side, qty, None, None)

    # ---- internals ---------------------------------------------------------------------

    def _fillable(self, order: Order) -> Decimal:
        opposite = self.book.side(order.side.opposite)
        total = ZERO
        for price in opposite.prices():
            if not opposite.crosses(price, order.price) or total >= order.orig_qty:
                break
            total += opposite.total(price)
        return total

    def _check_funds(self, account: Account, order: Order) -> None:
        if order.side is Side.SELL:
            needed, asset = order.orig_qty, self.spec.base
        elif order.type != "MARKET":
            needed, asset = order.price * order.orig_qty, self.spec.quote
        else:
            needed, asset = self._market_cost(order.orig_qty), self.spec.quote
        if account.balance(asset).free < needed:
            raise insufficient_balance()

    def _market_cost(self, qty: Decimal) -> Decimal:
        asks = self.book.asks
        cost, left = ZERO, qty
        for price in asks.prices():
            take = min(left, asks.total(price))
            cost += take * price
            left -= take
            if left <= ZERO:
                break
        return cost

    def _qty_for_quote(self, side: Side, amount: Decimal) -> Decimal:
        """How much base ``amount`` of quote buys (or sells for) walking the book."""
        opposite = self.book.side(side.opposite)
        qty, left = ZERO, amount
        for price in opposite.prices():
            level_cost = opposite.total(price) * price
            if level_cost >= left:
                qty += left / price
                break
            qty += opposite.total(price)
            left -= level_cost
        return qty.quantize(self.spec.step_size, ROUND_DOWN)

    def _lock(self, account: Account, order: Order) -> None:
        if order.side is Side.BUY:
            asset, amount = self.spec.quote, order.price * order.orig_qty
        else:
            asset, amount = self.spec.base, order.orig_qty
        balance = account.balance(asset)
        balance.free -= amount
        balance.locked += amount
        order.locked = amount

    def _finish(self, order: Order, status: OrderStatus) -> None:
        if order.locked > ZERO:
            asset = self.spec.quote if order.side is Side.BUY else self.spec.base
            balance = self.accounts[order.account].balance(asset)
            balance.locked -= order.locked
            balance.free += order.locked
            order.locked = ZERO
        order.status = status
        order.update_time = self.clock()
        execution = {
            OrderStatus.CANCELED: "CANCELED",
            OrderStatus.EXPIRED_IN_MATCH: "TRADE_PREVENTION",
        }.get(status, "EXPIRED")
        self.hooks.on_order(order, execution, None)

    def _match(
        self, side: Side, qty: Decimal, limit: Decimal | None, taker: Order | None
    ) -> Decimal:
        """Trade a taker against the opposite side; returns the unfilled quantity."""
        opposite_side = side.opposite
        opposite = self.book.side(opposite_side)
        left = qty
        while left > ZERO:
            price = opposite.best()
            if price is None or not opposite.crosses(price, limit):
                break
            entry = opposite.queue(price)[0]
            maker_order = entry.order
            if (
                taker is not None
                and maker_order is not None
                and maker_order.account == taker.account
            ):
                # self-trade prevention, EXPIRE_MAKER (the symbols' default mode)
                self.book.remove(opposite_side, price, entry)
                self._finish(maker_order, OrderStatus.EXPIRED_IN_MATCH)
                self.hooks.on_balances(
                    self.accounts[maker_order.account], {self.spec.base, self.spec.quote}
                )
                continue
            size = min(entry.qty, left)
            trade = Trade(
                symbol=self.spec.id,
                trade_id=self.next_trade_id,
                price=price,
                qty=size,
                time=self.clock(),
                buyer_is_maker=side is Side.SELL,
                taker_order_id=taker.order_id if taker is not None else 0,
            )
            self.next_trade_id += 1
            self.book.take(opposite_side, price, entry, size)
            self.trades.append(trade)
            if len(self.trades) > 2 * self.trade_history:
                del self.trades[: len(self.trades) - self.trade_history]
            maker = entry.order
            if maker is not None:
                self._settle(maker, trade, is_maker=True)
            if taker is not None:
                self._settle(taker, trade, is_maker=False)
            self.hooks.on_trade(trade)
            if maker is not None:
                self.hooks.on_balances(
                    self.accounts[maker.account], {self.spec.base, self.spec.quote}
                )
            left -= size
        return left

    def _settle(self, order: Order, trade: Trade, *, is_maker: bool) -> None:
        account = self.accounts[order.account]
        base = account.balance(self.spec.base)
        quote = account.balance(self.spec.quote)
        rate = account.commission_maker if is_maker else account.commission_taker
        cost = trade.price * trade.qty
        limit_order = order.type != "MARKET"
        if order.side is Side.BUY:
            commission = (trade.qty * rate).quantize(_FEE_QUANTUM)
            commission_asset = self.spec.base
            if limit_order:
                reserved = order.price * trade.qty
                quote.locked -= reserved
                quote.free += reserved - cost
                order.locked -= reserved
            else:
                quote.free -= cost
            base.free += trade.qty - commission
        else:
            commission = (cost * rate).quantize(_FEE_QUANTUM)
            commission_asset = self.spec.quote
            if limit_order:
                base.locked -= trade.qty
                order.locked -= trade.qty
            else:
                base.free -= trade.qty
            quote.free += cost - commission
        fill = Fill(
            trade_id=trade.trade_id,
            price=trade.price,
            qty=trade.qty,
            commission=commission,
            commission_asset=commission_asset,
            is_maker=is_maker,
            time=trade.time,
        )
        order.fills.append(fill)
        order.executed_qty += trade.qty
        order.cumulative_quote_qty += cost
        order.update_time = trade.time
        if order.executed_qty >= order.orig_qty:
            order.status = OrderStatus.FILLED
        else:
            order.status = OrderStatus.PARTIALLY_FILLED
        self.hooks.on_order(order, "TRADE", fill)
