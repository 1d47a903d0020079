"""Where the hook being handled comes from, when that is not this process's own environment.

``agenttui hook`` normally runs in the agent's pane: ``$TMUX_PANE``/``$TMUX`` name the pane,
``$HOME`` is the agent's home, the checkout around its directory bounds its deletes. A hook
of an agent on another host is handled here by the hook relay (``workflows.approvals.relay``)
for the agent there: the relay sets the origin the host sent for the time of that one hook
(a context variable: each request has its own thread), and the event keys, the deny-list's
home and the worktree bound read it instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

RELAY_ENV = "AGENTTUI_HOOK_RELAY"
"""Set in the environment of an agent on a host: the path there of the socket its ssh
connection forwards to the hook relay of the machine that started it
(``workflows.agents.hook_relay``)."""


@dataclass(frozen=True)
class HookOrigin:
    """The agent's side of one relayed hook, as its host saw it."""

    pane_id: str
    """``$TMUX_PANE`` there."""
    server: str
    """``hooks.server_key($TMUX)`` there: the host's tmux server."""
    home: str
    """``$HOME`` there (``~`` in a command means this)."""
    worktree: str
    """What bounds the agent's deletes there (its run's worktree or the checkout around its
    directory), "" when none: its directory."""
    project: str = ""
    """The project of THIS machine whose policy applies (``.agenttui/policy.toml``, rules
    learned for it): the relay maps the host's checkout to it
    (``approvals.host_project``); "" when it maps to none."""


_origin: ContextVar[HookOrigin | None] = ContextVar("hook_origin", default=None)


def current_origin() -> HookOrigin | None:
    """The origin of the relayed hook being handled, None for a hook of this machine."""
    return _origin.get()


@contextlib.contextmanager
def hook_origin(origin: HookOrigin) -> Iterator[None]:
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)
