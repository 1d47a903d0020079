"""The ``profiles`` verb: the agent profiles as agenttui runs them, and where each key came from.

``agenttui profiles`` lists them; ``agenttui profiles show NAME`` prints one profile's
effective keys (a user profile file replaces the built-in wholesale; ``[agents.NAME]`` in
config.toml layers env, env_from, args and permission_mode over either) with the origin of
each: the built-in file, the user file, ``config.toml:LINE``, or agenttui's environment for
``env_from`` (whose values are never printed).
"""

from __future__ import annotations

import argparse
import os
from typing import Any


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser(
        "profiles", parents=[common], help="agent profiles; show NAME: effective keys and origins"
    )
    verbs = parser.add_subparsers(dest="profiles_verb")
    show = verbs.add_parser("show", parents=[common], help="one profile, key by key")
    show.add_argument("name", help="profile name (claude, codex, …)")
    parser.set_defaults(handler=run_profiles, formatter=format_profiles)


def run_profiles(args: argparse.Namespace) -> Any:
    from workflows.agents.profiles import list_profiles
    from workflows.agents.settings import effective_profile

    if args.profiles_verb == "show":
        args.formatter = format_show
        return describe(args.name)
    from workflows.agents.profiles import profile_file
    from workflows.agents.settings import profile_origin
    from workflows.base.config import ConfigError
    from workflows.base.errors import AgentTuiError

    rows = []
    for name in list_profiles():
        try:
            effective = effective_profile(name)
        except ConfigError:
            raise  # config.toml is wrong for every profile: say so once, with its line
        except AgentTuiError as error:  # one broken profile file is listed, not fatal
            origin = profile_origin(profile_file(name))
            rows.append({"name": name, "description": f"(invalid: {error})", "source": origin,
                         "config": None})  # fmt: skip
            continue
        rows.append(
            {
                "name": name,
                "description": effective.profile.description,
                "source": effective.origins["command"],
                "config": effective.origins.get("config"),
            }
        )
    return rows


def describe(name: str) -> dict[str, Any]:
    """Every effective key of a profile with its value and origin."""
    from workflows.agents.settings import effective_profile
    from workflows.approvals.words import is_secret_name

    effective = effective_profile(name)
    profile, origins = effective.profile, effective.origins
    base = origins["command"]
    keys: dict[str, dict[str, Any]] = {}

    def add(key: str, value: Any, origin: str | None = None) -> None:
        keys[key] = {"value": value, "from": origin or origins.get(key, base)}

    add("command", profile.command)
    add("permission_mode", profile.permission_mode or None)
    add("args", profile.args)
    for var, value in sorted(profile.env.items()):
        add(f"env.{var}", "(hidden)" if is_secret_name(var) else value)
    for var in profile.env_from:
        state = "set" if var in os.environ else "NOT SET"
        add(f"env_from.{var}", f"from agenttui's environment ({state})")
    add("prompt", profile.prompt)
    add("hooks", profile.hooks)
    add("keys", " ".join(f"{a}={'+'.join(k)}" for a, k in profile.keys.items() if k) or None)
    answer = profile.trust_answer
    add("trust", f"option {answer.option.pattern!r}" if answer else profile.trust_unanswered)
    add("rules", len(profile.rules))
    add("launch", profile.launch_argv(), "command + permission_mode + args (+ hooks at launch)")
    return {"name": profile.name, "description": profile.description, "keys": keys}


def format_profiles(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'NAME':10} {'FROM':60} CONFIG"]
    for row in rows:
        layered = row["config"] or "-"
        lines.append(f"{row['name']:10} {row['source']:60} {layered}")
    return "\n".join(lines)


def format_show(result: dict[str, Any]) -> str:
    lines = [f"{result['name']}: {result['description']}"]
    for key, entry in result["keys"].items():
        lines.append(f"  {key:24} {_shown(entry['value']):50} {entry['from']}")
    return "\n".join(lines)


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(word) for word in value) or "-"
    if value is None:
        return "-"
    return str(value)
