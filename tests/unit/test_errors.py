"""The error tree: every ccxt exception class maps to the right class, messages are clean."""

from __future__ import annotations

import importlib

import pytest

import core
from core import (
    AuthenticationError,
    BadRequest,
    BadResponse,
    BadSymbol,
    Banned,
    CancelPending,
    ConfigurationError,
    DuplicateOrderId,
    ExchangeClosed,
    ExchangeError,
    ExchangeUnavailable,
    InsufficientFunds,
    InvalidNonce,
    InvalidOrder,
    NetworkError,
    NotSupported,
    OperationRejected,
    OrderNotFound,
    OrderStateUnknown,
    PermissionDenied,
    RateLimited,
    RequestTimeout,
    StreamOutOfSync,
    TransientError,
    VenueError,
    is_retryable,
    map_exception,
    register_secret,
    translate_errors,
)
from core._errors import ccxt_error_classes

ccxt_errors = importlib.import_module("ccxt.base.errors")

# Every class in ccxt.base.errors, and what it must become. Written out by hand on
# purpose: a new ccxt class makes test_table_covers_every_ccxt_class fail until it is
# decided here.
EXPECTED: dict[str, type[ExchangeError]] = {
    "BaseError": ExchangeError,
    "ExchangeError": VenueError,
    "AuthenticationError": AuthenticationError,
    "PermissionDenied": PermissionDenied,
    "AccountNotEnabled": PermissionDenied,
    "AccountSuspended": PermissionDenied,
    "ArgumentsRequired": BadRequest,
    "BadRequest": BadRequest,
    "BadSymbol": BadSymbol,
    "OperationRejected": OperationRejected,
    "NoChange": OperationRejected,
    "MarginModeAlreadySet": OperationRejected,
    "MarketClosed": OperationRejected,
    "ManualInteractionNeeded": OperationRejected,
    "RestrictedLocation": PermissionDenied,
    "InsufficientFunds": InsufficientFunds,
    "InvalidAddress": BadRequest,
    "AddressPending": TransientError,
    "InvalidOrder": InvalidOrder,
    "OrderNotFound": OrderNotFound,
    "OrderNotCached": OrderNotFound,
    "OrderImmediatelyFillable": InvalidOrder,
    "OrderNotFillable": InvalidOrder,
    "DuplicateOrderId": DuplicateOrderId,
    "ContractUnavailable": InvalidOrder,
    "NotSupported": NotSupported,
    "InvalidProxySettings": ConfigurationError,
    "ExchangeClosedByUser": ExchangeClosed,
    "OperationFailed": TransientError,
    "NetworkError": NetworkError,
    "DDoSProtection": RateLimited,
    "RateLimitExceeded": RateLimited,
    "ExchangeNotAvailable": ExchangeUnavailable,
    "OnMaintenance": ExchangeUnavailable,
    "InvalidNonce": InvalidNonce,
    "ChecksumError": StreamOutOfSync,
    "RequestTimeout": RequestTimeout,
    "BadResponse": BadResponse,
    "NullResponse": BadResponse,
    "CancelPending": CancelPending,
    "UnsubscribeError": VenueError,
}

RETRYABLE = {
    TransientError,
    NetworkError,
    RequestTimeout,
    ExchangeUnavailable,
    RateLimited,
    BadResponse,
    CancelPending,
}


def test_table_covers_every_ccxt_class() -> None:
    assert set(ccxt_error_classes()) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_ccxt_error_maps_to_its_class(name: str) -> None:
    ccxt_class = getattr(ccxt_errors, name)
    mapped = map_exception(ccxt_class("binance something failed"), venue="binance", method="m")
    assert type(mapped) is EXPECTED[name]
    assert mapped is not None
    assert mapped.venue == "binance"
    assert mapped.method == "m"
    assert str(mapped).startswith("binance")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_retry_predicate(name: str) -> None:
    exc = map_exception(getattr(ccxt_errors, name)("x"))
    assert exc is not None
    assert is_retryable(exc) is (type(exc) in RETRYABLE)
    # the predicate also accepts the raw ccxt exception
    assert is_retryable(getattr(ccxt_errors, name)("x")) is (type(exc) in RETRYABLE)


def test_unknown_subclass_maps_to_nearest_ancestor() -> None:
    class FutureCcxtError(ccxt_errors.InsufficientFunds):  # type: ignore[misc]
        pass

    FutureCcxtError.__module__ = "ccxt.base.errors"
    assert type(map_exception(FutureCcxtError("x"))) is InsufficientFunds


def test_418_is_a_ban_and_429_a_rate_limit() -> None:
    banned = map_exception(ccxt_errors.DDoSProtection("binance 418 I'm a teapot {}"))
    limited = map_exception(ccxt_errors.DDoSProtection("binance 429 Too Many Requests {}"))
    assert type(banned) is Banned
    assert type(limited) is RateLimited
    assert not is_retryable(banned)
    assert is_retryable(limited)


def test_non_ccxt_exceptions_are_left_alone() -> None:
    assert map_exception(ValueError("bug")) is None
    with pytest.raises(KeyError), translate_errors("binance", "fetch_ticker"):
        raise KeyError("programming error stays as it is")


def test_ccxt_failing_in_its_own_error_handling_is_translated() -> None:
    # ccxt's binance user-data subscription: `del client.subscriptions['spot']` in an
    # `except` while handling the venue's refusal raises KeyError('spot')
    def slip_while_handling(error: Exception) -> None:
        try:
            raise error
        except Exception:
            del {}["spot"]

    refused = ccxt_errors.AuthenticationError('binance {"code":-1022}')
    with pytest.raises(AuthenticationError) as info, translate_errors("binance", "watch"):
        slip_while_handling(refused)
    assert "-1022" in str(info.value)
    assert info.value.__cause__ is refused
    with pytest.raises(KeyError), translate_errors("binance", "watch"):
        slip_while_handling(ValueError("not ccxt's"))  # a bug stays a bug


def test_timeout_error_becomes_request_timeout() -> None:
    assert type(map_exception(TimeoutError())) is RequestTimeout


def test_translate_chains_and_redacts_the_cause() -> None:
    register_secret("SuperSecretApiKey123")
    signed = (
        "binance POST https://api.binance.com/api/v3/order?symbol=BTCUSDT&timestamp=1"
        "&signature=0123456789abcdef0123 {'X-MBX-APIKEY': 'SuperSecretApiKey123'}"
    )
    with pytest.raises(RequestTimeout) as info, translate_errors("binance", "fetch_balance"):
        raise ccxt_errors.RequestTimeout(signed)
    exc = info.value
    cause = exc.__cause__
    assert isinstance(cause, ccxt_errors.RequestTimeout)
    for text in (str(exc), repr(exc), str(cause), repr(cause)):
        assert "SuperSecretApiKey123" not in text
        assert "0123456789abcdef0123" not in text
        assert "signature=***" in text


def test_messages_name_the_venue_once() -> None:
    assert str(VenueError("binance boom", venue="binance")) == "binance boom"
    assert str(VenueError("boom", venue="okx")) == "okx: boom"


def test_error_attributes() -> None:
    unknown = OrderStateUnknown("lost", venue="binance", client_order_id="abc")
    assert unknown.client_order_id == "abc"
    assert RateLimited("slow down", retry_after=2.5).retry_after == 2.5
    assert Banned("banned", until=1.0).until == 1.0
    assert InvalidOrder("amount: bad", field="amount").field == "amount"


def test_every_error_is_exported_and_derives_from_the_root() -> None:
    for name in dir(core):
        value = getattr(core, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, ExchangeError), name


def test_a_418_inside_a_url_is_not_a_ban() -> None:
    text = "binance GET https://api.binance.com/api/v3/depth?limit=418 400 Bad Request {}"
    assert type(map_exception(ccxt_errors.DDoSProtection(text))) is RateLimited
    generic = "kucoin GET https://api.kucoin.com/api/v1/x 418 I'm a teapot"
    assert type(map_exception(ccxt_errors.DDoSProtection(generic))) is Banned
