"""All configuration, read by pydantic-settings from the environment and ``.env``.

Every field is ``EXCHANGES_<NAME>`` in the environment (``EXCHANGES_LOG_LEVEL=DEBUG``);
``.env.example`` lists them all. Credentials are not settings: see :mod:`keys`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args, get_origin

from pydantic import Field, field_validator
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
    # ---- supervised streams (docs/streams.md)
    stale_after_ticker: float = Field(
        30.0, ge=0, description="Seconds without a ticker update before the stream is checked"
        " (a REST read tells a quiet market from a dead feed); 0 disables."
    )  # fmt: skip
    stale_after_trades: float = Field(
        60.0, ge=0, description="The same budget for trade streams; 0 disables."
    )
    stale_after_order_book: float = Field(
        30.0, ge=0, description="The same budget for order-book streams; 0 disables."
    )
    stale_after_ohlcv: float = Field(
        90.0, ge=0, description="The same budget for candle streams; 0 disables."
    )
    stale_after_balance: float = Field(
        0.0, ge=0, description="The same for balance streams (quiet by nature: off by default;"
        " the heartbeat guards the link)."
    )  # fmt: skip
    stale_after_orders: float = Field(0.0, ge=0, description="The same for order streams.")
    stale_after_my_trades: float = Field(0.0, ge=0, description="The same for fill streams.")
    stream_heartbeat: float = Field(
        15.0, gt=0, description="Seconds between WebSocket pings; two missed pongs drop the"
        " connection, which the supervisor then reconnects."
    )  # fmt: skip
    stream_backoff_initial: float = Field(
        0.5, gt=0, description="First reconnect delay (s), doubled per failure, with jitter."
    )
    stream_backoff_max: float = Field(30.0, gt=0, description="Longest reconnect delay (s).")
    stream_stable_after: float = Field(
        30.0, gt=0, description="Seconds a session must stay up for the backoff to reset."
    )
    stream_fallback_after: int = Field(
        3, ge=0, description="Failed reconnects in a row after which a stream is served by"
        " REST polling while it keeps trying to reconnect."
    )  # fmt: skip
    stream_poll_interval: float = Field(
        2.0, gt=0, description="Seconds between REST polls of a polled stream."
    )
    stream_queue_size: int = Field(
        10_000, ge=1, description="Default queue of each subscriber of an event stream (trades,"
        " candles, orders, fills): when full, the oldest are dropped and counted. State streams"
        " (ticker, book, balance) keep only the newest."
    )  # fmt: skip
    stream_cache_size: int = Field(
        4_096, ge=1000, description="Records ccxt keeps per symbol between two reads (its"
        " trade, candle and order caches; ccxt's own default is 1000). ccxt parses a whole"
        " socket read (256 KiB: up to ~2 000 binance trades) before a stream can read its"
        " cache, so a smaller cache loses trades at every read of a saturated link. About"
        " 1.6 KB a trade: 4096 is ~6.5 MB per busy symbol. A burst beyond it is repaired"
        " over REST (binance) or reported as a gap."
    )  # fmt: skip
    stream_repair_timeout: float = Field(
        5.0, gt=0, description="Seconds a hole in a trade stream (or an outage's read-back)"
        " may take to be repaired over REST, every request and retry included; the records"
        " after the hole wait meanwhile. What is still missing then is a GAP event, not"
        " retried."
    )  # fmt: skip
    keys_file: Path | None = Field(
        None, description="TOML file of named accounts' credentials (see docs/keys.md)."
    )
    # ---- rate limits and clock (docs/trading.md)
    rate_limit_threshold: float = Field(
        0.8, gt=0, le=1, description="Share of the venue's request-weight limit past which"
        " market-data reads wait for the window to reset (orders never wait)."
    )  # fmt: skip
    rate_limit_weight: int = Field(
        0, ge=0, description="Request weight per window the venue allows this IP; 0: the"
        " venue's documented limit (binance: 6000 a minute on spot, 2400 on futures). Set it"
        " lower to leave room for other processes on the IP."
    )  # fmt: skip
    rate_limit_window: float = Field(
        0.0, ge=0, description="Seconds in the venue's weight window; 0: the venue's own"
        " (binance: 60, starting on its clock's minutes)."
    )  # fmt: skip
    # ---- sharing between processes (docs/scaling.md)
    redis_url: str | None = Field(
        None, description="Redis URL (redis://host:6379/0) through which every process"
        " using it shares the request budget, 429/418 state and market metadata; unset or"
        " empty: all in-process. Needs the redis extra (pip install 'exchanges[redis]')."
    )  # fmt: skip
    clock_sync_interval: float = Field(
        600.0, ge=0, description="Seconds between measurements of the offset to the venue's"
        " clock (adapters with credentials; also measured at connect); 0: at connect only."
    )  # fmt: skip

    @field_validator("redis_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


def settings_reference() -> str:
    """docs/configuration.md, generated from :class:`Settings` (a test keeps it current:
    ``python -c "from core import settings_reference as r; print(r(), end='')" >
    docs/configuration.md``)."""
    lines = [
        "# Configuration reference",
        "",
        "Generated from `core.Settings` by `core.settings_reference()`; do not edit by hand.",
        "Every setting is read from the environment (or `.env`) as `EXCHANGES_<NAME>`;",
        "`.env.example` lists them all with their defaults. Credentials are not settings:",
        "see `docs/keys.md`.",
        "",
        "| variable | type | default | meaning |",
        "|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if get_origin(annotation) is Literal:
            kind = " / ".join(str(a) for a in get_args(annotation))
        elif isinstance(annotation, type):
            kind = annotation.__name__
        else:
            kind = str(annotation)
        kind = kind.replace("typing.", "").replace("pathlib.", "").replace("|", "\\|")
        default = "(none)" if field.default is None else f"`{field.default}`"
        lines.append(
            f"| `EXCHANGES_{name.upper()}` | {kind} | {default} | {field.description or ''} |"
        )
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment and ``.env``."""
    return Settings()
