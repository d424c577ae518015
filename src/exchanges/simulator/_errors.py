"""Binance's error payload: an HTTP status plus ``{"code": ..., "msg": ...}``."""

from __future__ import annotations


class ApiError(Exception):
    """An error answer, in Binance's words. ``status`` is the HTTP status."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.retry_after: int | None = None

    def payload(self) -> dict[str, object]:
        return {"code": self.code, "msg": self.msg}


def insufficient_balance() -> ApiError:
    return ApiError(-2010, "Account has insufficient balance for requested action.")


def unknown_order() -> ApiError:
    return ApiError(-2013, "Order does not exist.")


def unknown_cancel() -> ApiError:
    return ApiError(-2011, "Unknown order sent.")


def invalid_symbol() -> ApiError:
    return ApiError(-1121, "Invalid symbol.")


def filter_failure(name: str) -> ApiError:
    return ApiError(-1013, f"Filter failure: {name}")


def mandatory(param: str) -> ApiError:
    return ApiError(
        -1102, f"Mandatory parameter '{param}' was not sent, was empty/null, or malformed."
    )


def duplicate_param() -> ApiError:
    return ApiError(-1101, "Duplicate values for a parameter detected.")


def bad_param(param: str) -> ApiError:
    return ApiError(-1100, f"Illegal characters found in parameter '{param}'.")
