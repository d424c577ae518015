"""Bots: models that each run in an OS process of their own, with state and messages
carried by their runner (embedded) or by Redis (``EXCHANGES_REDIS_URL``) behind one backend
interface (issue 14).

``from exchanges.bots import Bot, BotRunner`` (contract); docs/bots.md shows a two-bot
example. This room sits above the package's public names (it builds adapters with
``ExchangeFactory`` in each bot's process) and below the CLI.
"""

from exchanges.bots._backend import BackendSpec, MemoryBackend, Message, StateBackend
from exchanges.bots._bot import Bot
from exchanges.bots._model import ModelState, ModelStatus
from exchanges.bots._redis import BackendUnavailable, RedisBackend, RedisSpec
from exchanges.bots._runner import BotRunner
from exchanges.bots._values import (
    EVERYONE,
    BotError,
    ModelDefinitionError,
    NotJsonError,
    UnknownModelError,
)
from exchanges.bots._wire import SocketSpec
from exchanges.bots._worker import Worker

__all__ = [
    "EVERYONE",
    "BackendSpec",
    "BackendUnavailable",
    "Bot",
    "BotError",
    "BotRunner",
    "MemoryBackend",
    "Message",
    "ModelDefinitionError",
    "ModelState",
    "ModelStatus",
    "NotJsonError",
    "RedisBackend",
    "RedisSpec",
    "SocketSpec",
    "StateBackend",
    "UnknownModelError",
    "Worker",
]
