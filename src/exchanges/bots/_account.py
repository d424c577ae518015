"""The account state a bot starts with and ``get_full_state`` reports: the balances of the
symbol's base and quote currencies, as plain dicts (``{"BTC": {"free": ..., ...}}``)."""

from __future__ import annotations

from typing import Any

from exchanges._base import BaseExchange


async def account_state(exchange: BaseExchange, symbol: str) -> dict[str, Any]:
    """Balances of ``symbol``'s base and quote on ``exchange``; ``{}`` without keys."""
    if exchange.account is None:
        return {}
    markets = await exchange.fetch_markets()
    market = markets.get(symbol)
    if market is not None:
        currencies = [market.base, market.quote]
    else:
        base, _, quote = symbol.partition("/")
        currencies = [base, quote.partition(":")[0]]
    balance = await exchange.fetch_balance()
    state: dict[str, Any] = {}
    for code in currencies:
        asset = balance.get(code)
        state[code] = {
            "free": asset.free if asset else None,
            "used": asset.used if asset else None,
            "total": asset.total if asset else None,
        }
    return state
