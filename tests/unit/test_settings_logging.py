"""Settings from the environment; logging redaction for the library's lines and ccxt's."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
import structlog
from pydantic import ValidationError

from core import (
    MarketType,
    Settings,
    configure_logging,
    get_logger,
    redact,
    register_secret,
    settings_reference,
)
from core._logging import CCXT_LOGGERS, RedactingFilter

ROOT = Path(__file__).resolve().parents[2]


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXCHANGES_MARKET_TYPE", "swap")
    monkeypatch.setenv("EXCHANGES_REQUEST_TIMEOUT", "2.5")
    settings = Settings()
    assert settings.market_type is MarketType.SWAP
    assert settings.request_timeout == 2.5


def test_bad_settings_name_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXCHANGES_REQUEST_TIMEOUT", "-1")
    with pytest.raises(ValidationError, match="request_timeout"):
        Settings()


def test_env_example_lists_every_setting() -> None:
    text = (ROOT / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"EXCHANGES_{name.upper()}=" in text, name


def test_redaction_patterns() -> None:
    register_secret("AVeryPrivateValue42")
    text = redact(
        "GET https://x/api?symbol=BTC&apiKey=abc123&signature=deadbeef "
        "{'X-MBX-APIKEY': 'k-e-y', \"passphrase\": \"pp\"} Authorization: Bearer eyJ.abc.def "
        "and AVeryPrivateValue42"
    )
    for secret in ("abc123", "deadbeef", "k-e-y", '"pp"', "eyJ.abc.def", "AVeryPrivateValue42"):
        assert secret not in text
    assert "symbol=BTC" in text


def test_ccxt_loggers_are_redacted_without_configuration(caplog: pytest.LogCaptureFixture) -> None:
    from exchanges import CcxtExchange

    CcxtExchange("binance")  # constructing any adapter protects ccxt's loggers
    for name in CCXT_LOGGERS:
        assert any(isinstance(f, RedactingFilter) for f in logging.getLogger(name).filters)
    with caplog.at_level(logging.DEBUG, logger="ccxt.base.exchange"):
        logging.getLogger("ccxt.base.exchange").debug(
            "%s %s, Request: %s %s",
            "POST",
            "https://api.binance.com/api/v3/order?timestamp=1&signature=0ff1ce",
            {"X-MBX-APIKEY": "plain-key-value"},
            None,
        )
    [record] = caplog.records
    assert "0ff1ce" not in record.getMessage()
    assert "plain-key-value" not in record.getMessage()


def test_configured_json_logging_redacts_events() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    before = list(root.handlers), root.level
    try:
        configure_logging(Settings(log_format="json", log_level="DEBUG"), stream=stream, force=True)
        register_secret("EventSecretValue99")
        get_logger("exchanges.test").info("hello", detail="key=EventSecretValue99")
        logging.getLogger("ccxt.base.exchange").debug("url ?signature=feedface")
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.handlers[:], _ = before
        root.setLevel(before[1])
        structlog.reset_defaults()
    assert lines[0]["event"] == "hello"
    assert "EventSecretValue99" not in lines[0]["detail"]
    assert "feedface" not in lines[1]["event"]


@pytest.mark.parametrize(
    "header",
    [
        "X-BAPI-SIGN",
        "KC-API-SIGN",
        "KC-API-PASSPHRASE",
        "ACCESS-SIGN",
        "api-signature",
        "X-MBX-APIKEY",
    ],
)
def test_venue_signature_headers_are_masked(header: str) -> None:
    text = redact(
        f"POST https://x/y, Request: {{'{header}': 'c2VjcmV0dmFsdWU=', 'Accept': 'json'}}"
    )
    assert "c2VjcmV0dmFsdWU=" not in text
    assert "'Accept': 'json'" in text


def test_configuration_reference_is_current() -> None:
    # regenerate: python -c "from core import settings_reference as r; print(r(), end='')"
    #   > docs/configuration.md
    assert (ROOT / "docs" / "configuration.md").read_text() == settings_reference()
