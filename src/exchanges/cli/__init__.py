"""The ``exchanges`` command (typer), its views, and the demo (``python -m exchanges.cli.demo``).

The top room: it may use everything below it (the factory, the adapters, the key manager,
the simulator, ``core``), and nothing in the library imports it.
"""

from exchanges.cli._app import app, main

__all__ = ["app", "main"]
