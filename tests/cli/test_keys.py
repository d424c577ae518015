"""``exchanges keys add`` as a script runs it: the fields piped on stdin (no prompt, no
getpass warning), and bad names or venues refused before a secret is read."""

from __future__ import annotations

import asyncio
import json
import stat

from ._util import Cli, one_line_error

KEY = "piped-api-key-0001"
SECRET = "piped-secret-0001"


async def test_keys_add_reads_a_pipe_without_warnings(cli: Cli) -> None:
    keys_file = cli.cwd / "keys.toml"
    at = ("--keys-file", str(keys_file))
    added = await cli("keys", "add", "binance", "-a", "main", *at, input=f"{KEY}\n{SECRET}\n")
    assert added.code == 0, added.err
    assert added.err == ""  # no GetPassWarning, no "Password input may be echoed"
    assert KEY not in added.out
    assert SECRET not in added.out
    assert "stored binance/main (api_key, secret)" in added.out
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600

    again, short, listed = await asyncio.gather(
        cli("keys", "add", "binance", "-a", "main", *at, input=f"{KEY}\n{SECRET}\n"),
        cli("keys", "add", "binance", "-a", "other", *at, input=f"{KEY}\n"),
        cli("keys", "list", *at, "--json"),
    )
    assert "pass --overwrite to replace it" in one_line_error(again)
    assert one_line_error(short) == (
        "error: missing value (secret): stdin gave the end of input; "
        "expected one line for each of api_key, secret"
    )
    in_file = [r for r in json.loads(listed.out) if r["source"].startswith("keys file")]
    assert [(r["venue"], r["account"]) for r in in_file] == [("binance", "main")]


async def test_keys_add_refuses_bad_names_before_reading_secrets(cli: Cli) -> None:
    # stdin would hold a secret: none is read (nor echoed) when the names are wrong
    venue, account = await asyncio.gather(
        cli("keys", "add", "nosuchvenue", input=f"{SECRET}\n"),
        cli("keys", "add", "binance", "-a", "bad__name", input=f"{SECRET}\n"),
    )
    assert one_line_error(venue) == (
        "error: unknown venue (nosuchvenue): not a ccxt exchange id; "
        "`exchanges venues` lists the venues"
    )
    assert "required=" not in venue.err  # the Python API's advice is not the command's
    line = one_line_error(account)
    assert line.startswith("error: configuration: invalid account name 'bad__name'")
    for result in (venue, account):
        assert SECRET not in result.out + result.err
        assert not (cli.cwd / "keys.toml").exists()
