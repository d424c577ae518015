"""How every ``exchanges`` subcommand reports an error: one line and exit code 1, or the
traceback with ``exchanges --debug``."""

from __future__ import annotations

import typer


class _Flags:
    debug = False


flags = _Flags()


def fail(exc: Exception) -> typer.Exit:
    """``raise fail(exc) from None``: print one line (never wrapped) and exit 1."""
    if flags.debug:
        raise exc
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)
