"""The keys file: where it lives, the ssh-like permission check, and atomic 0600 writes.

Layout (TOML, one table per venue, one sub-table per named account)::

    [binance.main]
    api_key = "..."
    secret = "..."

    [okx.hedge]
    api_key = "..."
    secret = "..."
    password = "..."

Reading opens the file once and checks the open descriptor (no race between the check
and the read): it must be a regular file owned by the current user and not accessible
to group or others (``mode & 0o077 == 0``), as ssh requires of a private key. Writing
never creates a file with wider permissions, not even for an instant: a temporary file is
created 0600 with ``O_EXCL`` next to the target, written, fsynced and renamed over it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core import get_logger
from keys._errors import InsecureKeysFile, KeysConfigError

log = get_logger(__name__)

APP_DIR = "exchanges"
KEYS_FILE_NAME = "keys.toml"

# A parsed keys file: venue -> account -> field -> value (values only ever plain str here).
KeysData = dict[str, dict[str, dict[str, Any]]]


def default_keys_file() -> Path:
    """``$XDG_CONFIG_HOME/exchanges/keys.toml``, else ``~/.config/exchanges/keys.toml``."""
    xdg = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".config"
    return base / APP_DIR / KEYS_FILE_NAME


def _posix() -> bool:
    return hasattr(os, "geteuid")


def check_secure(path: Path, st: os.stat_result) -> None:
    """Raise :class:`InsecureKeysFile` unless ``st`` is a private regular file of ours."""
    if not stat.S_ISREG(st.st_mode):
        raise InsecureKeysFile(
            str(path), "it is not a regular file", f"point the keys file at a file, not {path}"
        )
    if not _posix():  # pragma: no cover - POSIX permission bits do not apply on Windows
        return
    uid = os.geteuid()
    if st.st_uid != uid:
        raise InsecureKeysFile(
            str(path),
            f"it is owned by uid {st.st_uid}, not by the current user (uid {uid})",
            f"chown {uid} {path} && chmod 600 {path}",
        )
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        raise InsecureKeysFile(
            str(path),
            f"its mode {mode:04o} lets group or others access it",
            f"chmod 600 {path}",
        )


def read_keys_file(path: Path) -> KeysData | None:
    """Parse the keys file; None when it does not exist. Checks permissions first."""
    # O_NONBLOCK: opening a FIFO planted at the path must not hang (no effect on files).
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    try:
        check_secure(path, os.fstat(fd))  # the descriptor we read, not the path again
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as fh:
        raw = fh.read()
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        # tomllib's messages give a position, never the text; keep only that.
        where = str(exc) if isinstance(exc, tomllib.TOMLDecodeError) else "not UTF-8"
        raise KeysConfigError(f"keys file {path} is not valid TOML: {where}") from None
    return _validate_shape(path, doc)


def _validate_shape(path: Path, doc: Mapping[str, Any]) -> KeysData:
    out: KeysData = {}
    for venue, accounts in doc.items():
        if not isinstance(accounts, dict):
            raise KeysConfigError(
                f"keys file {path}: {venue!r} must be a table of accounts, as in [{venue}.main]"
            )
        out[venue] = {}
        for account, fields in accounts.items():
            if not isinstance(fields, dict):
                raise KeysConfigError(
                    f"keys file {path}: {venue}.{account} must be a table of fields, "
                    f"as in [{venue}.{account}] api_key = ..."
                )
            out[venue][account] = dict(fields)
    return out


def write_keys_file(path: Path, data: Mapping[str, Mapping[str, Mapping[str, str]]]) -> None:
    """Write ``data`` to ``path`` atomically, mode 0600; the directory is made 0700 if absent."""
    try:
        import tomli_w
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise KeysConfigError(
            "writing a keys file needs the 'tomli-w' package (pip install tomli-w)"
        ) from exc

    text = tomli_w.dumps({v: {a: dict(f) for a, f in accs.items()} for v, accs in data.items()})
    directory = path.parent
    if not directory.exists():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        log.info("keys directory created", path=str(directory))
    tmp = directory / f".{path.name}.{secrets.token_hex(6)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        dfd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        with contextlib.suppress(OSError):  # some filesystems refuse fsync on a directory
            os.fsync(dfd)
    finally:
        os.close(dfd)
