"""A model as the runner knows it: what a bot process needs to start (:class:`ModelSpec`,
picklable) and what ``runner.status()`` reports of it (:class:`ModelStatus`)."""

from __future__ import annotations

import importlib
import inspect
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from exchanges.bots._values import ModelDefinitionError, copy_json


class ModelState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    RESTARTING = "restarting"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """Everything a bot process is started with (no secret: keys come from its KeyManager)."""

    name: str
    symbol: str
    venue: str
    account: str | None
    endpoint: str | None
    model: type[Any]  # pickled by module path: must import in the child
    args: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)  # more factory arguments


@dataclass(frozen=True, slots=True)
class ModelStatus:
    """One line of ``runner.status()``."""

    name: str
    symbol: str
    venue: str
    account: str | None
    pid: int | None
    host: str
    state: ModelState
    restarts: int
    last_error: str | None


def check_model_class(model: Any, base: type[Any]) -> type[Any]:
    """``model`` if a spawned process can import it by module path; else a clear error."""
    if not (isinstance(model, type) and issubclass(model, base)) or model is base:
        raise ModelDefinitionError(f"model: {model!r} is not a subclass of {base.__name__}")
    label = f"model {model.__qualname__}"
    if not inspect.iscoroutinefunction(getattr(model, "main", None)):
        raise ModelDefinitionError(f"{label}: main(self, args) must be an async def")
    if "<locals>" in model.__qualname__:
        raise ModelDefinitionError(
            f"{label} is defined inside a function: a bot process imports its class by "
            "module path, so define it at the top level of a module"
        )
    module_name = model.__module__
    if module_name == "__main__" and not getattr(sys.modules["__main__"], "__file__", None):
        raise ModelDefinitionError(
            f"{label} is defined in an interactive session (__main__): a bot process "
            "imports its class by module path, so put it in a module file and import it"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        module = None
    found: Any = module
    for part in model.__qualname__.split("."):
        found = getattr(found, part, None)
    if found is not model:
        raise ModelDefinitionError(
            f"{label}: {module_name}.{model.__qualname__} does not import as this class; "
            "a bot process imports its class by module path, so define it in a module file"
        )
    checked: type[Any] = model
    return checked


def check_args(args: Any) -> dict[str, Any]:
    if args is None:
        return {}
    if not isinstance(args, dict) or not all(isinstance(k, str) for k in args):
        raise ModelDefinitionError("args: a dict with string keys")
    checked: dict[str, Any] = copy_json(args, what="args")
    return checked
