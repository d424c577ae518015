"""Every ccxt.pro venue instantiates through the library, offline; lifecycle rules hold."""

from __future__ import annotations

import ccxt.pro as ccxtpro
import pytest

from core import (
    AuthenticationError,
    ConfigurationError,
    ExchangeClosed,
    MarketType,
    NotSupported,
)
from exchanges import (
    BaseExchange,
    CcxtExchange,
    LifecycleState,
    Support,
    adapter_class,
    ccxt_venues,
    registered_venues,
)
from exchanges._capabilities import METHOD_TO_HAS, market_type_lacks
from exchanges.venues import VENUE_ADAPTERS


@pytest.mark.parametrize("venue", ccxtpro.exchanges)
async def test_every_ccxt_pro_venue_instantiates_offline(venue: str) -> None:
    adapter = adapter_class(venue)(venue)  # type: ignore[call-arg]
    try:
        assert isinstance(adapter, CcxtExchange)
        assert adapter.id == venue
        assert adapter.raw.id == venue
        assert set(adapter.capabilities) == set(METHOD_TO_HAS)
        overrides = type(adapter).capability_overrides
        lacks = market_type_lacks(adapter.market_type.value)  # spot: no positions
        for method, key in METHOD_TO_HAS.items():
            expected = method not in lacks and (overrides.get(method) or adapter.raw.has.get(key))
            assert bool(adapter.capabilities[method]) == bool(expected), (venue, method)
        assert adapter.state is LifecycleState.NEW
    finally:
        await adapter.close()
    assert adapter.state is LifecycleState.CLOSED


def test_every_venue_module_is_registered() -> None:
    registry = registered_venues()
    for adapter in VENUE_ADAPTERS:
        assert registry[adapter.ccxt_id or ""] is adapter
    assert set(registry) <= set(ccxt_venues())


def test_unknown_venue_lists_close_matches() -> None:
    with pytest.raises(ConfigurationError, match="did you mean binance"):
        adapter_class("binanse")


async def test_closed_adapter_refuses_every_call() -> None:
    adapter = CcxtExchange("bybit")
    await adapter.close()
    await adapter.close()  # idempotent
    with pytest.raises(ExchangeClosed, match="bybit"):
        await adapter.fetch_ticker("BTC/USDT")
    with pytest.raises(ExchangeClosed):
        await adapter.watch_trades("BTC/USDT")
    with pytest.raises(ExchangeClosed):
        await adapter.connect()
    with pytest.raises(ExchangeClosed):
        async with adapter:
            pass


async def test_not_supported_names_venue_and_method() -> None:
    venue = next(v for v in ccxt_venues() if not getattr(ccxtpro, v)().has.get("fetchPositions"))
    adapter = CcxtExchange(venue)
    adapter.use_markets([])  # no network: an empty market list counts as loaded
    try:
        assert adapter.capabilities["fetch_positions"] is Support.NO
        with pytest.raises(NotSupported) as info:
            await adapter.fetch_positions()
        assert venue in str(info.value)
        assert "fetch_positions" in str(info.value)
    finally:
        await adapter.close()


async def test_stream_options_are_checked_before_anything_is_sent() -> None:
    adapter = CcxtExchange("binance")
    try:
        with pytest.raises(TypeError, match="unexpected option"):
            adapter.stream_trades("BTC/USDT", stale=3)
        with pytest.raises(ValueError, match="stale_after"):
            adapter.stream_trades("BTC/USDT", stale_after=0)
        with pytest.raises(ValueError, match="queue_size"):
            await adapter.subscribe_trades("BTC/USDT", print, queue_size=0)
        with pytest.raises(TypeError, match="callback"):
            await adapter.subscribe_trades("BTC/USDT", "not callable")  # type: ignore[arg-type]
    finally:
        await adapter.close()
    with pytest.raises(ExchangeClosed):
        await adapter.subscribe_order_book("BTC/USDT", print)
    with pytest.raises(ExchangeClosed):
        async for _ in adapter.stream_trades("BTC/USDT"):
            pass


async def test_partial_credentials_are_refused_naming_the_missing_fields() -> None:
    with pytest.raises(AuthenticationError) as info:
        CcxtExchange("okx", account="main", credentials={"apiKey": "k" * 10, "secret": "s" * 10})
    message = str(info.value)
    assert "password" in message
    assert "'main'" in message
    assert "k" * 10 not in message
    assert "s" * 10 not in message


async def test_market_type_and_identity() -> None:
    adapter = CcxtExchange("okx", account="demo", market_type="swap")
    try:
        assert adapter.market_type is MarketType.SWAP
        assert adapter.raw.options["defaultType"] == "swap"
        assert adapter.account == "demo"
        assert isinstance(adapter, BaseExchange)
        assert "okx" in repr(adapter)
        assert "demo" in repr(adapter)
    finally:
        await adapter.close()
    with pytest.raises(ConfigurationError, match="market_type"):
        CcxtExchange("okx", market_type="perp")


@pytest.mark.parametrize(
    ("market_type", "sub_type", "default_type", "types"),
    [
        ("spot", "linear", "spot", ["spot"]),
        ("margin", "linear", "margin", ["spot"]),
        ("swap", "linear", "future", ["linear"]),
        ("swap", "inverse", "delivery", ["inverse"]),
        ("future", "inverse", "delivery", ["inverse"]),
    ],
)
async def test_binance_market_types(
    market_type: str, sub_type: str, default_type: str, types: list[str]
) -> None:
    adapter = adapter_class("binance")(market_type=market_type, sub_type=sub_type)  # type: ignore[call-arg]
    try:
        assert adapter.raw.options["defaultType"] == default_type
        assert adapter.raw.options["fetchMarkets"]["types"] == types
    finally:
        await adapter.close()
