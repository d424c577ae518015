"""The seeded market-data generator: a random-walk mid price, a ladder of resting
liquidity around it and occasional market orders, all through the matching engine
(so a user's resting order is filled when the market comes to it).

The same seed and the same calls give the same books and trades.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from exchanges.simulator._matching import MatchingEngine
from exchanges.simulator._records import ZERO, Side

FIREHOSE_TRADES_PER_STEP = 20
"""In firehose mode each full step (book reshaped, depth flushed) follows this many
cheap trade steps."""


@dataclass(frozen=True, slots=True)
class GeneratorConfig:
    """How the synthetic market moves, per symbol.

    ``rate``: book steps per second (the mid moves, a few levels change: what the depth,
    book-ticker and partial-book streams report, at most at their 100 ms / 1000 ms
    cadence). ``trade_rate``: trades per second (one ``@trade`` / ``@aggTrade`` message
    each). 0 for both: the market moves only when :meth:`MarketGenerator.step` or
    :meth:`MarketGenerator.trade_step` is called. ``firehose`` ignores both and steps as
    fast as the event loop and the sockets allow, for benchmarks.
    """

    rate: float = 4.0
    trade_rate: float = 2.0
    depth_levels: int = 20
    volatility: float = 0.00003
    firehose: bool = False


class MarketGenerator:
    def __init__(
        self,
        engines: dict[str, MatchingEngine],
        *,
        seed: int,
        config: GeneratorConfig,
        after_step: Callable[[str], None] | None = None,
        writable: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._engines = engines
        self._rng = random.Random(seed)  # noqa: S311 - reproducible market data, not crypto
        self.config = config
        self._after_step = after_step
        self._writable = writable
        self.mid: dict[str, Decimal] = {s: e.spec.start_price for s, e in engines.items()}
        self.steps = 0

    def _gap(self, engine: MatchingEngine) -> Decimal:
        tick = engine.spec.tick_size
        gap = (self.mid[engine.spec.id] * Decimal("0.00002")).quantize(tick, ROUND_DOWN)
        return max(gap, tick)

    def _size(self, engine: MatchingEngine) -> Decimal:
        notional = Decimal(self._rng.randint(200, 5000))
        qty = (notional / self.mid[engine.spec.id]).quantize(engine.spec.step_size, ROUND_DOWN)
        return max(qty, engine.spec.min_qty)

    def _ladder(self, engine: MatchingEngine) -> tuple[list[Decimal], list[Decimal]]:
        gap = self._gap(engine)
        top = (self.mid[engine.spec.id] / gap).to_integral_value(ROUND_DOWN) * gap
        levels = self.config.depth_levels
        bids = [top - i * gap for i in range(levels) if top - i * gap > ZERO]
        asks = [top + gap + i * gap for i in range(levels)]
        return bids, asks

    def _house(self, engine: MatchingEngine, side: Side, price: Decimal) -> Decimal:
        return engine.book.side(side).house.get(price, ZERO)

    def seed_books(self) -> None:
        for engine in self._engines.values():
            bids, asks = self._ladder(engine)
            for price in bids:
                engine.house_add(Side.BUY, price, self._size(engine))
            for price in asks:
                engine.house_add(Side.SELL, price, self._size(engine))

    def step(self, symbol_id: str) -> None:
        """Move one symbol's market once."""
        engine = self._engines[symbol_id]
        rng = self._rng
        self.steps += 1
        move = Decimal(str(round(rng.gauss(0, self.config.volatility), 8)))
        self.mid[symbol_id] = max(self.mid[symbol_id] * (1 + move), engine.spec.tick_size)
        bids, asks = self._ladder(engine)
        keep = {Side.BUY: set(bids), Side.SELL: set(asks)}
        for side in (Side.BUY, Side.SELL):
            for price in [p for p in engine.book.side(side).house if p not in keep[side]]:
                engine.house_cancel(side, price)
        for side, prices in ((Side.BUY, bids), (Side.SELL, asks)):
            for price in prices:
                if self._house(engine, side, price) <= ZERO:
                    engine.house_add(side, price, self._size(engine))
            for _ in range(2):
                price = rng.choice(prices)
                if rng.random() < 0.5:
                    engine.house_add(side, price, self._size(engine))
                else:
                    house = self._house(engine, side, price)
                    engine.house_cancel(side, price, (house / 2).quantize(engine.spec.step_size))
        if self._after_step is not None:
            self._after_step(symbol_id)

    def trade_step(self, symbol_id: str) -> None:
        """A cheap step: one market order against the best level, which is refilled."""
        engine = self._engines[symbol_id]
        side = Side.BUY if self._rng.random() < 0.5 else Side.SELL
        opposite = engine.book.side(side.opposite)
        price = opposite.best()
        qty = (self._size(engine) / 5).quantize(engine.spec.step_size, ROUND_DOWN)
        engine.house_take(side, max(qty, engine.spec.min_qty))
        if price is not None and opposite.total(price) <= ZERO:
            engine.house_add(side.opposite, price, self._size(engine))

    async def run(self) -> None:
        """Move every symbol forever at the configured rates (until cancelled).

        Book steps and trades are ordered by their scheduled times, so the sequence of
        generator calls depends on the rates only, never on the event loop's timing."""
        if self.config.firehose:
            await self._firehose()
            return
        step_every = 1.0 / self.config.rate if self.config.rate > 0 else None
        trade_every = 1.0 / self.config.trade_rate if self.config.trade_rate > 0 else None
        if step_every is None and trade_every is None:
            return
        loop = asyncio.get_running_loop()
        start = loop.time()
        next_step = start if step_every is not None else float("inf")
        next_trade = start if trade_every is not None else float("inf")
        while True:
            due = min(next_step, next_trade)
            await asyncio.sleep(max(0.0, due - loop.time()))
            if next_step <= next_trade and step_every is not None:
                for symbol_id in self._engines:
                    self.step(symbol_id)
                next_step += step_every
            elif trade_every is not None:
                for symbol_id in self._engines:
                    self.trade_step(symbol_id)
                next_trade += trade_every

    async def _firehose(self) -> None:
        while True:
            for symbol_id in self._engines:
                for _ in range(FIREHOSE_TRADES_PER_STEP):
                    self.trade_step(symbol_id)
                self.step(symbol_id)
            await asyncio.sleep(0)
            if self._writable is not None:
                await self._writable()
