"""How the ``exchanges`` commands read in ``--help``: what typer's defaults get wrong for
people, put right in one place.

Every command and group is built with :class:`Command` / :class:`Group` (``cls=``) and
the apps with :data:`APP_SETTINGS`:

* docstrings are Markdown (``rich_markup_mode="markdown"``): a hard-wrapped paragraph is
  one paragraph, and `code` shows as code, not as backticks;
* the usage line names arguments as click does, ``VENUE SYMBOL`` (``[NAME]`` when
  optional), not ``{venue} {symbol}``;
* a flag shows no value type (``--yes``, not ``--yes <bool>``).
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand, TyperGroup

APP_SETTINGS: dict[str, Any] = {
    "rich_markup_mode": "markdown",
    "no_args_is_help": True,
    "add_completion": False,
}


# typer vendors click (typer._click) and exports neither its parameter classes nor its
# context: parameters are told apart by what they are, not by class.
def _for_people(params: list[Any]) -> list[Any]:
    for param in params:
        if param.param_type_name == "option" and param.is_flag and param.metavar is None:
            param.metavar = ""  # typer would show the flag's type, "<bool>"
        elif param.param_type_name == "argument" and param.metavar is None and param.name:
            param.metavar = param.name.upper()
    return params


def _usage(command: TyperCommand, ctx: Any) -> list[str]:
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if param.param_type_name == "argument":
            name = param.metavar or (param.name or "").upper()
            if param.nargs != 1:
                name += "..."
            pieces.append(name if param.required else f"[{name}]")
    return pieces


class Command(TyperCommand):
    """A command whose help reads as the module docstring says."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _for_people(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return _usage(self, ctx)


class Group(TyperGroup):
    """A group of commands, read the same way."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _for_people(super().get_params(ctx))
