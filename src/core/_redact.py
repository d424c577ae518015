"""Secret redaction shared by the error mapper and the logging layer.

Two mechanisms, applied together by :func:`redact`:

* **Known values.** Adapters register the secrets they hand to ccxt (API key, secret,
  passphrase, ...) with :func:`register_secret`; every occurrence of such a value in a
  string is replaced by ``***``. Values shorter than 6 characters are not registered:
  replacing them would mangle ordinary text and they are not credentials worth the name.
* **Patterns.** Query-string and header fields that carry signatures or keys
  (``signature=``, ``apiKey=``, ``X-MBX-APIKEY``, ``OK-ACCESS-SIGN``, bearer tokens, ...)
  are masked whatever their value, so a signed URL or a request dump from ccxt's DEBUG log
  never shows them even for a secret that was never registered.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

MASK = "***"
_MIN_SECRET_LENGTH = 6

# Names of query parameters, JSON fields and headers whose value must never be shown:
# anything whose name contains one of these words, whatever the venue's prefix
# (X-MBX-APIKEY, OK-ACCESS-SIGN, KC-API-PASSPHRASE, X-BAPI-SIGN, ACCESS-SIGN, api-signature).
_SENSITIVE_WORDS = (
    r"sign|signature|secret|passphrase|password|apikey|api[-_]key|access[-_]key|private[-_]?key"
    r"|token|listen[-_]?key|authorization"
)
_NAME = rf"[\w.-]*(?:{_SENSITIVE_WORDS})[\w.-]*"
# key=value in query strings / form bodies
_QUERY_RE = re.compile(rf"(?i)(\b{_NAME}=)[^&\s'\",}}]+")
# 'Header-Name': 'value' or "field": "value" (python repr of dicts and JSON)
_QUOTED_RE = re.compile(rf"(?i)(['\"]{_NAME}['\"]\s*:\s*['\"])[^'\"]*(['\"])")
# Bearer / JWT tokens in Authorization headers
_BEARER_RE = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")

_lock = threading.Lock()
_known: frozenset[str] = frozenset()
_known_re: re.Pattern[str] | None = None


def register_secret(*values: str | None) -> None:
    """Remember secret values so that :func:`redact` masks them wherever they appear."""
    global _known, _known_re
    new = {v for v in values if v and len(v) >= _MIN_SECRET_LENGTH}
    if not new or new <= _known:
        return
    with _lock:
        _known = _known | new
        # Longest first, so a secret that contains another is masked whole.
        ordered = sorted(_known, key=len, reverse=True)
        _known_re = re.compile("|".join(re.escape(v) for v in ordered))


def registered_count() -> int:
    """How many secret values are registered (for diagnostics; never the values)."""
    return len(_known)


def redact(text: str) -> str:
    """Return ``text`` with every known secret and every sensitive field value masked."""
    if not text:
        return text
    known_re = _known_re
    if known_re is not None:
        text = known_re.sub(MASK, text)
    text = _QUERY_RE.sub(rf"\g<1>{MASK}", text)
    text = _QUOTED_RE.sub(rf"\g<1>{MASK}\g<2>", text)
    return _BEARER_RE.sub(rf"\g<1>{MASK}", text)


def redact_all(values: Iterable[object]) -> tuple[object, ...]:
    """Redact every string in ``values`` (other objects are rendered with ``str`` first
    only when they are not plain numbers/None, since their text may embed a secret)."""
    out: list[object] = []
    for value in values:
        if value is None or isinstance(value, bool | int | float):
            out.append(value)
        else:
            out.append(redact(value if isinstance(value, str) else str(value)))
    return tuple(out)
