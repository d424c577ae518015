"""The factory with the real KeyManager: credentials from the environment, a missing field
refused before anything is sent, and no secret in any log line, message or traceback."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from core import AuthenticationError, ExchangeError
from exchanges import ExchangeFactory
from keys import KeyManager, MissingCredentials

from ..fakevenue import Captured, FakeVenue
from .test_factory import binance_metadata

KEY = "env-provided-binance-key-0001"
SECRET = "env-provided-binance-secret-0001"


@pytest.fixture
def key_manager(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> KeyManager:
    monkeypatch.setenv("EXCHANGES_KEY__BINANCE__MAIN__API_KEY", KEY)
    monkeypatch.setenv("EXCHANGES_KEY__BINANCE__MAIN__SECRET", SECRET)
    monkeypatch.setenv("EXCHANGES_KEY__OKX__MAIN__API_KEY", KEY)
    monkeypatch.setenv("EXCHANGES_KEY__OKX__MAIN__SECRET", SECRET)
    return KeyManager(keys_file=tmp_path / "keys.toml", env_file=None, use_keyring=False)


def venue(req: Captured) -> tuple[int, Any]:
    if req.path == "/api/v3/order":
        return 200, {
            "symbol": "BTCUSDT",
            "orderId": 7,
            "clientOrderId": req.form()["newClientOrderId"],
            "transactTime": 1,
            "price": req.form()["price"],
            "origQty": req.form()["quantity"],
            "executedQty": "0",
            "status": "NEW",
            "timeInForce": "GTC",
            "type": "LIMIT",
            "side": "BUY",
        }
    if req.path == "/api/v3/account":
        return 401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}
    return binance_metadata(req)


async def test_signed_request_and_auth_failure_leak_nothing(
    fake_venue: FakeVenue, key_manager: KeyManager, caplog: pytest.LogCaptureFixture
) -> None:
    fake_venue.responder = venue
    factory = ExchangeFactory(key_manager=key_manager, ccxt_config=fake_venue.config())
    with capture_logs() as events, caplog.at_level(logging.DEBUG):
        try:
            ex = await factory.get_exchange("binance", account="main")
            # the failure first: once a signed call has succeeded, ccxt's binance reads
            # -2015 as a temporary ban (DDoSProtection -> RateLimited), not bad keys
            with pytest.raises(AuthenticationError) as info:
                await ex.fetch_balance()
            await ex.place_order("BTC/USDT", "buy", "limit", "0.01", "50000")
        finally:
            await factory.close_all()
    signatures = [
        (r.body or r.query_string).rpartition("signature=")[2]
        for r in fake_venue.requests
        if "signature=" in (r.body or r.query_string)
    ]
    assert len(signatures) >= 2
    client_lines = [r.getMessage() for r in caplog.records if r.name != "aiohttp.access"]
    assert any("Request" in line for line in client_lines)  # ccxt's DEBUG dumps were there
    assert any(e["event"] == "order.send" for e in events)  # and the library's events
    haystacks = [
        "\n".join(client_lines),
        "\n".join(repr(e) for e in events),
        str(info.value),
        repr(info.value),
        "".join(traceback.format_exception(info.value)),
        repr(ex),
        repr(key_manager),
        repr(key_manager.get("binance", "main")),
        str(key_manager.get("binance", "main")),
    ]
    for text in haystacks:
        assert KEY not in text
        assert SECRET not in text
        for signature in signatures:
            assert signature not in text


async def test_missing_passphrase_is_refused_before_any_request(
    fake_venue: FakeVenue, key_manager: KeyManager
) -> None:
    factory = ExchangeFactory(key_manager=key_manager, ccxt_config=fake_venue.config())
    with pytest.raises(MissingCredentials) as info:
        await factory.get_exchange("okx", account="main")
    message = str(info.value)
    assert "password" in message
    assert "EXCHANGES_KEY__OKX__MAIN__PASSWORD" in message or "okx" in message
    assert KEY not in message
    assert SECRET not in message
    assert isinstance(info.value, AuthenticationError)
    assert isinstance(info.value, ExchangeError)
    assert fake_venue.requests == []
    assert factory.adapters() == []
