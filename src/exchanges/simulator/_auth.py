"""Binance's request signing: ``X-MBX-APIKEY``, HMAC-SHA256 ``signature`` over the total
parameters, ``timestamp`` inside ``recvWindow``.

The signed payload is the query string concatenated with the request body, exactly as
sent (still percent-encoded), with the ``signature`` parameter taken out.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from decimal import Decimal

from exchanges.simulator._errors import ApiError, bad_param, mandatory
from exchanges.simulator._records import Account

DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60000


def bad_key_format() -> ApiError:
    return ApiError(-2014, "API-key format invalid.", status=401)


def rejected_key() -> ApiError:
    return ApiError(-2015, "Invalid API-key, IP, or permissions for action.", status=401)


def bad_signature() -> ApiError:
    return ApiError(-1022, "Signature for this request is not valid.")


def hmac_hex(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def strip_signature(raw: str) -> tuple[str, str | None]:
    """``a=1&signature=x&b=2`` -> (``a=1&b=2``, ``x``)."""
    kept: list[str] = []
    signature: str | None = None
    for part in raw.split("&") if raw else []:
        if part.startswith("signature="):
            signature = part[len("signature=") :]
        else:
            kept.append(part)
    return "&".join(kept), signature


def account_for_key(accounts: Mapping[str, Account], api_key: str | None) -> Account:
    if not api_key:
        raise bad_key_format()
    account = accounts.get(api_key)
    if account is None:
        raise rejected_key()
    return account


_TIMESTAMP = re.compile(r"[0-9]{1,20}")
_RECV_WINDOW = re.compile(r"[0-9]{1,20}(\.[0-9]{1,3})?")  # milliseconds, to the microsecond


def check_timestamp(params: Mapping[str, str], server_time: int) -> None:
    raw = params.get("timestamp")
    if not raw:
        raise mandatory("timestamp")
    if not _TIMESTAMP.fullmatch(raw):
        raise bad_param("timestamp")
    timestamp = int(raw)
    raw_window = params.get("recvWindow")
    if not raw_window:
        window = Decimal(DEFAULT_RECV_WINDOW)
    elif _RECV_WINDOW.fullmatch(raw_window):
        window = Decimal(raw_window)
    else:  # NaN, Infinity, -5, 1e4, " 5000": not a number of milliseconds
        raise bad_param("recvWindow")
    if window > MAX_RECV_WINDOW or window <= 0:
        raise ApiError(-1131, "recvWindow must be less than 60000")
    if timestamp > server_time + 1000:
        raise ApiError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if server_time - timestamp > window:
        raise ApiError(-1021, "Timestamp for this request is outside of the recvWindow.")


def verify_rest(
    accounts: Mapping[str, Account],
    api_key: str | None,
    query_string: str,
    body: str,
    params: Mapping[str, str],
    server_time: int,
) -> Account:
    """Check a signed REST request; returns its account or raises Binance's error."""
    account = account_for_key(accounts, api_key)
    query, query_sig = strip_signature(query_string)
    body_rest, body_sig = strip_signature(body)
    signature = query_sig or body_sig
    if signature is None:
        raise mandatory("signature")
    expected = hmac_hex(account.secret, query + body_rest)
    if not hmac.compare_digest(expected, signature.lower()):
        raise bad_signature()
    check_timestamp(params, server_time)
    return account


def verify_ws_params(
    accounts: Mapping[str, Account], params: Mapping[str, str], server_time: int
) -> Account:
    """Check a signed WebSocket API request: ``params`` sorted by key, ``k=v`` joined by
    ``&``, signature over that (how Binance and ccxt do it)."""
    account = account_for_key(accounts, params.get("apiKey"))
    signature = params.get("signature")
    if not signature:
        raise mandatory("signature")
    payload = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "signature")
    if not hmac.compare_digest(hmac_hex(account.secret, payload), signature.lower()):
        raise bad_signature()
    check_timestamp(params, server_time)
    return account
