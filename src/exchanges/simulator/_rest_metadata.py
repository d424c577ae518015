"""The metadata the other Binance API families answer, so an unmodified client with keys
and its default options loads markets against the simulator.

ccxt's ``binance.load_markets()`` asks, besides the spot ``/api/v3/exchangeInfo``:

* ``GET /sapi/v1/capital/config/getall`` (signed): the wallet's coin list, read by
  ``fetch_currencies``. Served for every asset the simulator lists or the account holds,
  with its balance; one network per coin, deposits and withdrawals disabled (the
  simulator moves no coins in or out: ``sim.deposit`` is the way in).
* ``GET /sapi/v1/margin/allPairs`` and ``/sapi/v1/margin/isolated/allPairs`` (signed):
  the cross and isolated margin pairs. The simulator has no margin trading, so both lists
  are empty and ccxt marks every spot market ``marginModes`` cross/isolated ``False``.
* ``GET /fapi/v1/exchangeInfo`` (USD-M) and ``/dapi/v1/exchangeInfo`` (COIN-M): the
  derivatives families. The simulator trades neither yet, so both list no symbols: a
  market ccxt lists is one the simulator trades.

These families keep their own request-weight budgets at Binance; here they are not charged
to the spot ``/api`` window (``X-MBX-USED-WEIGHT-1M`` counts spot requests only).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from aiohttp import web

from exchanges.simulator._format import num
from exchanges.simulator._http import Params, answering, json_response
from exchanges.simulator._records import Account
from exchanges.simulator._rest_private import Handler
from exchanges.simulator._rest_public import RATE_LIMITS
from exchanges.simulator._state import SimState

Signed = Callable[[Handler], Callable[[web.Request], Awaitable[web.StreamResponse]]]


def coin_json(asset: str, account: Account) -> dict[str, Any]:
    """One entry of ``capital/config/getall``: Binance's fields, the account's balance."""
    balance = account.balances.get(asset)
    free = balance.free if balance is not None else Decimal(0)
    locked = balance.locked if balance is not None else Decimal(0)
    network = {
        "network": asset,
        "coin": asset,
        "name": asset,
        "isDefault": True,
        "depositEnable": False,
        "withdrawEnable": False,
        "depositDesc": "The simulator takes no deposits (sim.deposit adds funds).",
        "withdrawDesc": "The simulator sends no withdrawals.",
        "withdrawFee": "0",
        "withdrawMin": "0",
        "withdrawMax": "0",
        "withdrawIntegerMultiple": "0.00000001",
        "depositDust": "0",
        "minConfirm": 1,
        "unLockConfirm": 1,
        "sameAddress": False,
        "busy": False,
        "specialTips": "",
        "addressRegex": "",
        "memoRegex": "",
        "resetAddressStatus": False,
    }
    return {
        "coin": asset,
        "name": asset,
        "depositAllEnable": False,
        "withdrawAllEnable": False,
        "free": num(free),
        "locked": num(locked),
        "freeze": "0",
        "withdrawing": "0",
        "ipoing": "0",
        "ipoable": "0",
        "storage": "0",
        "isLegalMoney": False,
        "trading": True,
        "networkList": [network],
    }


class MetadataApi:
    """The wallet, margin and derivatives metadata routes (module docstring)."""

    def __init__(self, state: SimState, signed: Signed) -> None:
        self._state = state
        self._signed = signed

    def routes(self) -> list[web.RouteDef]:
        s = self._signed
        return [
            web.get("/sapi/v1/capital/config/getall", s(self.coins)),
            web.get("/sapi/v1/margin/allPairs", s(self.no_margin_pairs)),
            web.get("/sapi/v1/margin/isolated/allPairs", s(self.no_margin_pairs)),
            web.get("/fapi/v1/exchangeInfo", answering(self.usdm_exchange_info)),
            web.get("/dapi/v1/exchangeInfo", answering(self.coinm_exchange_info)),
        ]

    def assets(self, account: Account) -> list[str]:
        """Every asset of a listed market, and any other the account holds, sorted."""
        listed = {a for spec in self._state.specs.values() for a in (spec.base, spec.quote)}
        return sorted(listed | set(account.balances))

    async def coins(
        self, _request: web.Request, account: Account, _params: dict[str, str]
    ) -> web.Response:
        return json_response([coin_json(asset, account) for asset in self.assets(account)])

    async def no_margin_pairs(
        self, _request: web.Request, _account: Account, _params: dict[str, str]
    ) -> web.Response:
        return json_response([])

    def _derivatives_info(self, extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "timezone": "UTC",
            "serverTime": self._state.now(),
            **extra,
            "rateLimits": RATE_LIMITS,
            "exchangeFilters": [],
            "assets": [],
            "symbols": [],
        }

    def usdm_exchange_info(self, _params: Params) -> Any:
        return self._derivatives_info({"futuresType": "U_MARGINED"})

    def coinm_exchange_info(self, _params: Params) -> Any:
        return self._derivatives_info({})
