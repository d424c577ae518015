"""``python -m exchanges.cli``: the ``exchanges`` command."""

from exchanges.cli._app import main

main()
