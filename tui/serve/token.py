"""The token that guards ``agenttui serve``: made once, kept 0600 in the state dir.

Whoever holds it sees every agent and can approve what they ask, so it is as secret as the
store itself: made with ``secrets``, written owner-only, refused when others could read it.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from workflows.base.errors import AgentTuiError

TOKEN_FILE = "serve-token"
TOKEN_BYTES = 32  # 256 bits: no guessing it through the login page
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43,}")


@dataclass(frozen=True)
class ServeToken:
    value: str
    path: Path
    created: bool
    """True when this start made the token: the only time it is printed."""


def token_path(state: Path) -> Path:
    return state / TOKEN_FILE


def load_token(path: Path, *, renew: bool = False) -> ServeToken:
    """The stored token, or a new one when there is none (or ``renew``)."""
    if renew or not path.exists():
        return ServeToken(_write_new(path), path, created=True)
    info = path.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        mode = stat.filemode(info.st_mode)
        raise AgentTuiError(
            f"{path} can be read by others ({mode}): the token in it is no secret any more; "
            "`agenttui serve --new-token` replaces it"
        )
    value = path.read_text(encoding="utf-8", errors="replace").strip()
    if not TOKEN_SHAPE.fullmatch(value):
        raise AgentTuiError(
            f"{path} does not hold a token made by agenttui serve; "
            "`agenttui serve --new-token` replaces it"
        )
    return ServeToken(value, path, created=False)


def _write_new(path: Path) -> str:
    """Write a fresh token owner-only from the first byte, then move it into place."""
    value = secrets.token_urlsafe(TOKEN_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    os.replace(partial, path)
    return value
