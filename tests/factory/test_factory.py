"""ExchangeFactory: pooling, concurrent first calls, shared market metadata, close_all.

The venue is the wire tests' TLS fake (tests/wire/conftest.py) answering binance's
metadata endpoints; ccxt runs unmodified.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core import ConfigurationError, MarketType
from exchanges import BaseExchange, BinanceExchange, CcxtExchange, ExchangeFactory

from ..fakevenue import Captured, FakeVenue

PRICE = {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1e6", "tickSize": "0.01"}
LOT = {"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000", "stepSize": "0.00001"}
NOTIONAL = {"filterType": "NOTIONAL", "minNotional": "5", "maxNotional": "9000000"}
EXCHANGE_INFO: dict[str, Any] = {
    "timezone": "UTC",
    "serverTime": 1_700_000_000_000,
    "rateLimits": [],
    "exchangeFilters": [],
    "symbols": [
        {
            "symbol": "BTCUSDT",
            "status": "TRADING",
            "baseAsset": "BTC",
            "baseAssetPrecision": 8,
            "quoteAsset": "USDT",
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"],
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": True,
            "filters": [PRICE, LOT, NOTIONAL],
            "permissions": ["SPOT", "MARGIN"],
            "permissionSets": [["SPOT", "MARGIN"]],
        }
    ],
}


def binance_metadata(req: Captured) -> tuple[int, Any]:
    if req.path == "/api/v3/exchangeInfo":
        return 200, EXCHANGE_INFO
    if req.path.startswith("/sapi/"):  # currencies, margin pairs: asked with credentials
        return 200, []
    return 404, {"code": -1, "msg": f"not served: {req.path}"}


class StaticKeys:
    """A key source for tests: a distinct key and secret per account name."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str | None]] = []

    def get(self, venue: str, account: str | None = None) -> dict[str, str]:
        self.asked.append((venue, account))
        return {"apiKey": f"key-for-{account}-000", "secret": f"secret-for-{account}-000"}


@pytest.fixture
def keys() -> StaticKeys:
    return StaticKeys()


@pytest.fixture
def factory(fake_venue: FakeVenue, keys: StaticKeys) -> ExchangeFactory:
    fake_venue.responder = binance_metadata
    return ExchangeFactory(key_manager=keys, ccxt_config=fake_venue.config())


def metadata_requests(fake_venue: FakeVenue) -> int:
    return sum(1 for r in fake_venue.requests if r.path == "/api/v3/exchangeInfo")


async def test_concurrent_first_calls_build_one_adapter(
    factory: ExchangeFactory, fake_venue: FakeVenue, keys: StaticKeys
) -> None:
    try:
        adapters = await asyncio.gather(
            *(factory.get_exchange("binance", account="main") for _ in range(10))
        )
        assert all(a is adapters[0] for a in adapters)
        again = await factory.get_exchange("binance", account="main")
        assert again is adapters[0]
        assert keys.asked == [("binance", "main")]
        assert metadata_requests(fake_venue) == 1
        ex = adapters[0]
        assert isinstance(ex, BinanceExchange)
        assert (ex.id, ex.account, ex.market_type) == ("binance", "main", MarketType.SPOT)
        assert "BTC/USDT" in ex.markets
    finally:
        await factory.close_all()
    assert ex.closed
    assert factory.adapters() == []


async def test_markets_are_loaded_once_per_venue_and_shared(
    factory: ExchangeFactory, fake_venue: FakeVenue
) -> None:
    try:
        accounts = [f"acct{i}" for i in range(20)]
        adapters = [await factory.get_exchange("binance", account=a) for a in accounts]
        assert len({id(a) for a in adapters}) == 20
        assert metadata_requests(fake_venue) == 1
        first = adapters[0]
        assert isinstance(first, CcxtExchange)
        for adapter in adapters:
            assert isinstance(adapter, CcxtExchange)
            assert adapter.market("BTC/USDT").limits.cost.min is not None
            # the immutable records are shared, not converted again per account
            assert adapter.market("BTC/USDT") is first.market("BTC/USDT")
        public = await factory.get_exchange("binance")
        assert public.account is None
        assert metadata_requests(fake_venue) == 1
    finally:
        await factory.close_all()


async def test_closed_adapter_is_replaced(factory: ExchangeFactory) -> None:
    try:
        first = await factory.get_exchange("binance", account="main")
        await first.close()
        second = await factory.get_exchange("binance", account="main")
        assert second is not first
        assert not second.closed
    finally:
        await factory.close_all()


async def test_market_ttl_zero_reloads(fake_venue: FakeVenue, keys: StaticKeys) -> None:
    fake_venue.responder = binance_metadata
    factory = ExchangeFactory(key_manager=keys, ccxt_config=fake_venue.config(), market_ttl=0)
    try:
        await factory.get_exchange("binance", account="a")
        await factory.get_exchange("binance", account="b")
        assert metadata_requests(fake_venue) == 2
    finally:
        await factory.close_all()


async def test_failed_build_is_not_pooled_and_leaves_nothing_open(
    fake_venue: FakeVenue, keys: StaticKeys
) -> None:
    fake_venue.responder = lambda req: (503, {"code": -1, "msg": "down"})
    factory = ExchangeFactory(key_manager=keys, ccxt_config=fake_venue.config())
    with pytest.raises(Exception, match="binance"):
        await factory.get_exchange("binance", account="main")
    assert factory.adapters() == []


async def test_configuration_errors() -> None:
    factory = ExchangeFactory(key_manager=StaticKeys())
    with pytest.raises(ConfigurationError, match="did you mean binance"):
        await factory.get_exchange("binanse")
    with pytest.raises(ConfigurationError, match="endpoint"):
        await factory.get_exchange("bybit", endpoint="http://127.0.0.1:1")
    with pytest.raises(ConfigurationError, match="market_type"):
        await factory.get_exchange("binance", market_type="perp")
    assert factory.adapters() == []


async def test_register_exchange_as_call_and_decorator() -> None:
    class Mine(CcxtExchange):
        ccxt_id = "bybit"

    assert ExchangeFactory.register_exchange("mine-bybit", Mine) is Mine

    @ExchangeFactory.register_exchange("mine-bybit-2")
    class Mine2(CcxtExchange):
        ccxt_id = "bybit"

    from exchanges.factory._registry import adapter_class, unregister

    try:
        assert adapter_class("mine-bybit") is Mine
        assert adapter_class("MINE-BYBIT-2") is Mine2
        with pytest.raises(ConfigurationError):
            ExchangeFactory.register_exchange("bad", dict)  # type: ignore[type-var]
    finally:
        unregister("mine-bybit")
        unregister("mine-bybit-2")
    with pytest.raises(ConfigurationError):
        adapter_class("mine-bybit")


async def test_class_level_calls_use_one_default_factory() -> None:
    assert ExchangeFactory.default() is ExchangeFactory.default()
    await ExchangeFactory.close_all()  # nothing pooled: a no-op
    assert isinstance(ExchangeFactory.default(), ExchangeFactory)
    assert isinstance(BaseExchange, type)


async def test_async_with_on_a_pooled_adapter_does_not_close_it_for_others(
    factory: ExchangeFactory,
) -> None:
    try:
        a = await factory.get_exchange("binance", account="main")
        async with a:
            pass
        b = await factory.get_exchange("binance", account="main")
        assert b is a
        assert not a.closed  # another holder's `async with` did not close it
    finally:
        await factory.close_all()
    assert a.closed


async def test_close_all_waits_for_builds_in_flight(factory: ExchangeFactory) -> None:
    build = asyncio.ensure_future(factory.get_exchange("binance", account="late"))
    await asyncio.sleep(0)  # let the build start (it is now waiting on the venue)
    await factory.close_all()
    with pytest.raises(ConfigurationError, match="closed during the build"):
        await build
    assert factory.adapters() == []


async def test_options_are_part_of_the_pooling_key(factory: ExchangeFactory) -> None:
    try:
        a = await factory.get_exchange("binance", account="main", recvWindow=1000)
        b = await factory.get_exchange("binance", account="main", recvWindow=5000)
        c = await factory.get_exchange("binance", account="main", recvWindow=1000)
        assert a is not b
        assert a is c
        assert isinstance(a, CcxtExchange)
        assert a.raw.options["recvWindow"] == 1000
    finally:
        await factory.close_all()


async def test_adapter_parameters_pass_through_the_factory(factory: ExchangeFactory) -> None:
    try:
        ex = await factory.get_exchange("binance", margin_mode="isolated", market_type="margin")
        assert isinstance(ex, BinanceExchange)
        assert ex.raw.options["defaultMarginMode"] == "isolated"
    finally:
        await factory.close_all()


async def test_a_registered_venue_subclass_is_built_by_the_factory(
    factory: ExchangeFactory,
) -> None:
    from exchanges.factory._registry import unregister

    @ExchangeFactory.register_exchange("mybinance")
    class MyBinance(BinanceExchange):
        pass

    try:
        ex = await factory.get_exchange("mybinance", account="main")
        assert type(ex) is MyBinance
        assert ex.id == "binance"
    finally:
        unregister("mybinance")
        await factory.close_all()


async def test_the_sandbox_setting_reaches_adapters_the_factory_builds() -> None:
    from core import Settings
    from exchanges.simulator import Simulator

    async with Simulator(seed=2, rate=0) as sim:
        factory = ExchangeFactory(settings=Settings(sandbox=True))
        try:
            testnet = await factory.get_exchange("binance", endpoint=sim.endpoint)
            live = await factory.get_exchange("binance", endpoint=sim.endpoint, sandbox=False)
            assert isinstance(testnet, CcxtExchange)
            assert isinstance(live, CcxtExchange)
            assert testnet.sandbox
            assert not live.sandbox
        finally:
            await factory.close_all()
