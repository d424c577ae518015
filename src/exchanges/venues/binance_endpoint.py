"""Point a ccxt binance client's URLs at a Binance-compatible server.

Every REST and WebSocket URL in ccxt's ``urls["api"]`` keeps its path (``/api/v3``,
``/sapi/v1``, ``/ws``, ``/ws-api/v3``...) and gets the endpoint's scheme, host and port;
WebSocket URLs take ``ws``/``wss`` matching the endpoint's ``http``/``https``.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit


def _rewrite(url: str, base: SplitResult) -> str:
    parts = urlsplit(url)
    is_socket = parts.scheme in ("ws", "wss")
    scheme = base.scheme.replace("http", "ws") if is_socket else base.scheme
    path = base.path.rstrip("/") + parts.path
    return urlunsplit((scheme, base.netloc, path, parts.query, parts.fragment))


def _walk(node: Any, base: SplitResult) -> Any:
    if isinstance(node, dict):
        return {key: _walk(value, base) for key, value in node.items()}
    if isinstance(node, str) and "://" in node:
        return _rewrite(node, base)
    return node


def endpoint_urls(urls: dict[str, Any], endpoint: str) -> dict[str, Any]:
    """A copy of ccxt's ``urls`` with every API URL moved onto ``endpoint``
    (``http://127.0.0.1:PORT``); other entries (www, doc, fees) are left as they are."""
    base = urlsplit(endpoint)
    if base.scheme not in ("http", "https") or not base.netloc:
        raise ValueError(f"endpoint: {endpoint!r} is not an http(s)://host[:port] URL")
    result = copy.deepcopy(urls)
    result["api"] = _walk(result.get("api", {}), base)
    return result
