"""``[agents.NAME]`` in config.toml: a user's settings layered over an agent's profile.

    [agents.claude]
    env = { ANTHROPIC_BASE_URL = "https://llm-gateway.example" }
    env_from = ["ANTHROPIC_API_KEY"]   # passed through from agenttui's environment
    args = ["--model", "opus"]
    permission_mode = "acceptEdits"

Only these keys layer: the command, screen rules, keys and trust answer stay the profile's
(built-in, or a user profile file, which still replaces the built-in wholesale), so a new
agent release that needs new rules never meets a stale copy of them in the user's config.
:func:`effective_profile` returns the layered profile and where each of its keys came from
(``agenttui profiles show NAME``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from workflows.agents.profiles import (
    BUILTIN_DIR,
    Profile,
    check_mode,
    list_profiles,
    load_profile_file,
)
from workflows.base.config import ConfigError, ConfigTable, table

SETTING_KEYS = ("env", "env_from", "args", "permission_mode")


@dataclass
class EffectiveProfile:
    """A profile as agenttui will run it, and for each key where it came from."""

    profile: Profile
    origins: dict[str, str] = field(default_factory=dict)
    """Key (``env.NAME`` and ``env_from.NAME`` per variable) → where it was set."""


def profile_origin(source: Path) -> str:
    if source.parent == BUILTIN_DIR:
        return f"built-in {source}"
    return f"user file {source}"


def agents_table() -> ConfigTable:
    return table("agents")


def check_agent_names(known: list[str]) -> None:
    """Every ``[agents.NAME]`` names a profile (a typo would otherwise be ignored)."""
    agents = agents_table()
    for name in agents.values:
        if name not in known:
            raise ConfigError(
                f"{agents.sub(name).where()}: [agents.{name}] names no agent profile; "
                f"known: {', '.join(known)}"
            )


def layered(base: Profile) -> EffectiveProfile:
    """``base`` with its ``[agents.NAME]`` settings (if any) applied."""
    origin = profile_origin(base.source)
    origins = {key: origin for key in ("command", "args", "permission_mode", "prompt", "hooks")}
    origins.update({f"env.{key}": origin for key in base.env})
    origins.update({f"env_from.{key}": origin for key in base.env_from})
    settings = agents_table().sub(base.name) if base.name in agents_table() else None
    if settings is None:
        return EffectiveProfile(base, origins)
    settings.check_known(SETTING_KEYS)
    origins["config"] = f"{settings.where()} [agents.{base.name}]"
    env = settings.values.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise ConfigError(
            f"{settings.where('env')}: [agents.{base.name}] env must be a table of strings "
            '(like env = { NAME = "value" })'
        )
    env_from = settings.get_str_list("env_from")
    args = settings.get_str_list("args")
    mode = settings.get_str("permission_mode")
    profile = replace(
        base,
        env={**base.env, **env},
        env_from=[*base.env_from, *(name for name in env_from if name not in base.env_from)],
        args=[*base.args, *args],
    )
    origins.update({f"env.{key}": settings.where("env") for key in env})
    origins.update({f"env_from.{key}": settings.where("env_from") for key in env_from})
    if args:
        origins["args"] = settings.where("args")
    if mode is not None:
        profile = _with_mode(profile, mode, settings)
        origins["permission_mode"] = settings.where("permission_mode")
    return EffectiveProfile(profile, origins)


def _with_mode(profile: Profile, mode: str, settings: ConfigTable) -> Profile:
    where = settings.where("permission_mode")
    if not profile.permission_args:
        raise ConfigError(
            f"{where}: [agents.{profile.name}] permission_mode: the {profile.name} profile does "
            "not say how to pass one (permission_args)"
        )
    if profile.command_sets_mode():
        raise ConfigError(
            f"{where}: [agents.{profile.name}] permission_mode: {profile.source} passes "
            f"{profile.permission_args[0]} in its command; remove it there"
        )
    try:
        check_mode(mode, profile.permission_modes, f"[agents.{profile.name}] permission_mode")
    except Exception as error:  # an AgentTuiError without the file and line
        raise ConfigError(f"{where}: {error}") from None
    return replace(profile, permission_mode=mode)


def effective_profile(name: str) -> EffectiveProfile:
    """Profile ``name`` as agenttui runs it, with the origin of each key."""
    check_agent_names(list_profiles())
    return layered(load_profile_file(name))


def load_profile(name: str) -> Profile:
    """The profile as agenttui runs it: its file with ``[agents.NAME]`` from config.toml
    layered over it (:func:`effective_profile`)."""
    return effective_profile(name).profile
