"""``exchanges balance``: an account's non-zero balances (a signed call)."""

from __future__ import annotations

from decimal import Decimal

from rich.table import Table

from core import AssetBalance, Balance
from exchanges.cli._common import (
    Account,
    AsJson,
    Endpoint,
    KeysFile,
    MarketTypeOption,
    Sandbox,
    Target,
    Venue,
    console,
    num,
    print_json,
    session,
    when,
)


def _nonzero(balance: Balance) -> dict[str, AssetBalance]:
    def held(a: AssetBalance) -> bool:
        return any(v is not None and v != Decimal(0) for v in (a.free, a.used, a.total))

    return {code: a for code, a in sorted(balance.items()) if held(a)}


def balance_view(who: str, timestamp: int | None, assets: dict[str, AssetBalance]) -> Table:
    caption = None if timestamp is None else f"at {when(timestamp)}"
    table = Table(title=f"{who}: {len(assets)} non-zero balances", caption=caption)
    table.add_column("asset")
    for column in ("free", "used", "total"):
        table.add_column(column, justify="right")
    for code, a in assets.items():
        table.add_row(code, num(a.free), num(a.used), num(a.total))
    return table


def balance(
    venue: Venue,
    account: Account = "default",
    market_type: MarketTypeOption = None,
    endpoint: Endpoint = None,
    sandbox: Sandbox = False,
    keys_file: KeysFile = None,
    as_json: AsJson = False,
) -> None:
    """Show the account's non-zero balances: free, used (in orders) and total."""
    target = Target(venue, account, market_type, endpoint, sandbox, keys_file)
    with session(target) as s:
        ex = s.open()
        found = s.run(ex.fetch_balance(), f"fetching {target.who}'s balance")
    assets = _nonzero(found)
    if as_json:
        print_json(
            {"venue": venue, "account": account, "timestamp": found.timestamp, "assets": assets}
        )
        return
    console.print(balance_view(target.who, found.timestamp, assets))
