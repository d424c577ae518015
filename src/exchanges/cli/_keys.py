"""``exchanges keys``: add, list, check and remove stored credentials.

Secrets are typed at a hidden prompt, or piped on stdin (never taken as arguments, which
shells keep in their history) and never printed: ``list`` and ``check`` show field names
only.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from core import ExchangeError
from exchanges.cli._errors import fail, stop
from exchanges.cli._help import APP_SETTINGS, Command, Group

keys_app = typer.Typer(
    help="Manage stored credentials (never prints a secret).", cls=Group, **APP_SETTINGS
)

KeysFile = Annotated[
    Path | None,
    typer.Option("--keys-file", help="Keys file (default: EXCHANGES_KEYS_FILE, then ~/.config)."),
]
Account = Annotated[str, typer.Option("--account", "-a", help="Account name.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
PUBLIC_FIELDS = frozenset({"uid", "account_id", "login", "wallet_address"})


class Store(StrEnum):
    FILE = "file"
    KEYRING = "keyring"


StoreOption = Annotated[
    Store, typer.Option(help="Where to store: the keys file or the OS keyring.")
]


@keys_app.command("add", cls=Command)
def add(
    venue: Annotated[str, typer.Argument(help="Venue id, e.g. binance.")],
    account: Account = "default",
    keys_file: KeysFile = None,
    store: StoreOption = Store.FILE,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing account.")] = False,
) -> None:
    """Store the venue's required fields (0600 file or OS keyring). At a terminal each is
    asked at a hidden prompt; otherwise they are read from stdin, one line each, in the
    order the venue requires them (`exchanges keys check VENUE` lists them), e.g.
    `printf '%s\\n' "$KEY" "$SECRET" | exchanges keys add binance -a main`."""
    from keys import KeyManager, UnknownVenue

    try:
        manager = KeyManager(keys_file=keys_file)
        try:
            fields = manager.required_credentials(venue) or ("api_key", "secret")
        except UnknownVenue:
            raise stop(
                f"unknown venue ({venue}): not a ccxt exchange id; "
                "`exchanges venues` lists the venues"
            ) from None
        # the names, and an account already there, are refused before a secret is typed
        found = manager.check(venue, account)
        if found.source is not None and found.source.kind == store.value and not overwrite:
            raise stop(
                f"account exists ({venue}/{account}): {found.source}; "
                "pass --overwrite to replace it, or `exchanges keys remove` it first"
            )
        values = _read_fields(fields)
        where = manager.add(venue, account, values, store=store.value, overwrite=overwrite)
    except ExchangeError as exc:
        raise fail(exc) from None
    typer.echo(f"stored {venue}/{account} ({', '.join(fields)}) in {where}")


def _read_fields(fields: tuple[str, ...]) -> dict[str, str]:
    """Each field from a hidden prompt at a terminal, else one line of stdin each (no
    prompt, no getpass warning: a pipe is not a terminal to hide input from)."""
    values: dict[str, str] = {}
    interactive = sys.stdin.isatty()
    for field in fields:
        if interactive:
            values[field] = typer.prompt(field, hide_input=field not in PUBLIC_FIELDS)
            continue
        line = sys.stdin.readline()
        if not line.strip():
            got = "an empty line" if line else "the end of input"
            raise stop(
                f"missing value ({field}): stdin gave {got}; expected one line for each of "
                f"{', '.join(fields)}"
            )
        values[field] = line.strip()
    return values


@keys_app.command("list", cls=Command)
def list_accounts(keys_file: KeysFile = None, as_json: AsJson = False) -> None:
    """List stored accounts: venue, account, source and field names (no values)."""
    from keys import KeyManager

    try:
        rows = KeyManager(keys_file=keys_file).list_accounts()
    except ExchangeError as exc:
        raise fail(exc) from None
    if as_json:
        out = [
            {
                "venue": r.venue,
                "account": r.account,
                "source": str(r.source),
                "fields": list(r.fields),
            }
            for r in rows
        ]
        typer.echo(json.dumps(out, indent=2))
        return
    if not rows:
        typer.echo("no stored accounts")
    for r in rows:
        typer.echo(f"{r.venue}/{r.account}  {', '.join(r.fields)}  ({r.source})")


@keys_app.command("check", cls=Command)
def check(
    venue: Annotated[str, typer.Argument(help="Venue id.")],
    account: Account = "default",
    keys_file: KeysFile = None,
    as_json: AsJson = False,
) -> None:
    """Say whether the account has every field the venue requires; exit 1 if not."""
    from keys import KeyManager

    try:
        result = KeyManager(keys_file=keys_file).check(venue, account)
    except ExchangeError as exc:
        raise fail(exc) from None
    ok = not result.missing and result.source is not None
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "venue": result.venue,
                    "account": result.account,
                    "ok": ok,
                    "source": None if result.source is None else str(result.source),
                    "present": list(result.present),
                    "missing": list(result.missing),
                    "searched": list(result.searched),
                },
                indent=2,
            )
        )
    else:
        state = "ok" if ok else f"missing {', '.join(result.missing) or 'everything'}"
        typer.echo(f"{result.venue}/{result.account}: {state} ({result.source or 'not found'})")
        if not ok:
            for line in result.searched:
                typer.echo(f"  searched {line}")
    if not ok:
        raise typer.Exit(code=1)


@keys_app.command("remove", cls=Command)
def remove(
    venue: Annotated[str, typer.Argument(help="Venue id.")],
    account: Account = "default",
    keys_file: KeysFile = None,
    store: StoreOption = Store.FILE,
) -> None:
    """Remove a stored account."""
    from keys import KeyManager

    try:
        removed = KeyManager(keys_file=keys_file).remove(venue, account, store=store.value)
    except ExchangeError as exc:
        raise fail(exc) from None
    if not removed:
        typer.secho(f"error: no stored account {venue}/{account}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1)
    typer.echo(f"removed {venue}/{account}")
