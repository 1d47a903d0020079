"""The one builder of child environments: what each process agenttui starts gets to see.

- Secrets agenttui holds (:data:`SECRET_ENV`) reach only the runner, through its 0600 launch
  file. The tmux server agenttui starts, agent panes and shell steps (test commands: code the
  agents wrote) get none of them unless a profile or workflow names one (``env_from``).
- Every agent gets agenttui's locations explicitly, as absolute paths, whatever ``HOME`` or
  ``XDG_*`` its own environment sets: its hooks then reach this store and this policy.

An agent pane's environment is the tmux server's, minus :data:`SECRET_ENV` (``unset``: a
server the user started may hold them), plus ``set``; the launcher applies both
(``workflows.tmux.launch``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from workflows.base.target import TmuxTarget

SECRET_ENV = (
    "LINEAR_API_KEY",
    "LINEAR_APP_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GH_ENTERPRISE_TOKEN",
    "GITHUB_ENTERPRISE_TOKEN",
)
"""What agenttui itself uses to reach Linear and GitHub (``gh`` reads the GH_* ones)."""
PLAIN_ENV = (
    "HOME",
    "PATH",
    "XDG_CONFIG_HOME",
    "XDG_STATE_HOME",
    "LINEAR_API_URL",
    "GITHUB_API_URL",
    "LANG",
    "LC_ALL",
    "SSH_AUTH_SOCK",  # a runner reaches its steps' hosts with the person's ssh-agent keys
)
"""What an agenttui process in a pane needs from ours besides ``AGENTTUI_*`` and secrets."""


@dataclass(frozen=True)
class ChildEnv:
    """Variables to set, and inherited ones to remove, for one child process."""

    set: dict[str, str] = field(default_factory=dict)
    unset: tuple[str, ...] = ()

    def apply(self, base: Mapping[str, str]) -> dict[str, str]:
        """The child's whole environment, started from ``base``."""
        kept = {key: value for key, value in base.items() if key not in self.unset}
        return {**kept, **self.set}


def agenttui_env() -> dict[str, str]:
    """What an agenttui process started in a pane (runner, watcher, app) needs from ours:
    its locations, its tmux server, and the secrets it uses (through the 0600 launch file)."""
    return {
        key: value
        for key, value in os.environ.items()
        if (key.startswith("AGENTTUI_") and key != "AGENTTUI_HOST")  # a runner works here
        or key in PLAIN_ENV
        or (key in SECRET_ENV and value)
    }


def without_secrets(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: ours) without :data:`SECRET_ENV`: for the tmux server and test
    commands."""
    source = os.environ if base is None else base
    return {key: value for key, value in source.items() if key not in SECRET_ENV}


def locations(target: TmuxTarget) -> dict[str, str]:
    """agenttui's state and config locations (absolute) and tmux server, for a child (a
    child on a remote host gets only the tmux server: these paths are this machine's)."""
    from workflows.base.paths import config_dir, config_file, state_dir

    env: dict[str, str] = {}
    if target.host is None:  # on a host, agenttui there keeps its own (under its HOME)
        env = {
            "AGENTTUI_STATE_DIR": os.path.abspath(state_dir()),
            "AGENTTUI_CONFIG_DIR": os.path.abspath(config_dir()),
            "AGENTTUI_CONFIG": os.path.abspath(config_file()),
        }
    if target.socket:
        env["AGENTTUI_TMUX_SOCKET"] = target.socket
    env["AGENTTUI_SESSION"] = target.session
    return env


def passed_through(names: Iterable[str], source: Mapping[str, str] | None = None) -> dict[str, str]:
    """The named variables' values from ``source`` (default: ours); unset ones are left out."""
    environ = os.environ if source is None else source
    return {name: environ[name] for name in names if name in environ}


def agent_env(
    *,
    profile_env: Mapping[str, str] | None = None,
    env_from: Iterable[str] = (),
    extra: Mapping[str, str] | None = None,
    target: TmuxTarget,
) -> ChildEnv:
    """An agent's environment: the profile's ``env``, the ``env_from`` names from ours, the
    caller's ``extra`` (``--env``), then agenttui's locations, which nothing overrides.
    Secrets not asked for by name are removed from what the pane inherits."""
    chosen = {**(profile_env or {}), **passed_through(env_from), **(extra or {})}
    chosen.update(locations(target))
    return ChildEnv(set=chosen, unset=tuple(name for name in SECRET_ENV if name not in chosen))


def shell_env(placeholders: Mapping[str, str], env_from: Iterable[str] = ()) -> dict[str, str]:
    """A shell step's environment (a test command runs code the agents wrote): ours without
    secrets, plus the names the workflow asks for, plus the placeholder variables."""
    return {**without_secrets(), **passed_through(env_from), **placeholders}
