"""All configuration, read by pydantic-settings from the environment and ``.env``.

Every field is ``EXCHANGES_<NAME>`` in the environment (``EXCHANGES_LOG_LEVEL=DEBUG``);
``.env.example`` lists them all. Credentials are not settings: see :mod:`keys`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core._enums import MarketType


class Settings(BaseSettings):
    """Library-wide settings. Adapters take a copy at construction (``adapter.settings``)."""

    model_config = SettingsConfigDict(
        env_prefix="EXCHANGES_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO", description="Minimum level of the library's and ccxt's log lines."
    )
    log_format: Literal["console", "json"] = Field(
        "console", description="'console' for humans, 'json' (one object a line) for machines."
    )
    market_type: MarketType = Field(
        MarketType.SPOT, description="Market type an adapter trades when none is given."
    )
    request_timeout: float = Field(
        10.0, gt=0, description="Seconds before a REST call to the venue times out."
    )
    order_settle_timeout: float = Field(
        5.0,
        gt=0,
        description="Seconds to look an order up by client id after its placement's answer"
        " was lost, before giving up with OrderStateUnknown.",
    )
    enable_rate_limit: bool = Field(
        True, description="Keep ccxt's own request throttle on (strongly recommended)."
    )
    sandbox: bool = Field(False, description="Use the venue's testnet where ccxt knows one.")
    client_order_id_prefix: str = Field(
        "xl",
        pattern=r"^[A-Za-z0-9]{0,8}$",
        description="Letters/digits (at most 8) that start every generated client order id.",
    )
    keys_file: Path | None = Field(
        None, description="TOML file of named accounts' credentials (see docs/keys.md)."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment and ``.env``."""
    return Settings()
