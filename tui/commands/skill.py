"""CLI verb ``skill``: print, or install for Claude Code or Codex, the instructions that teach
agents agenttui's verbs."""

from __future__ import annotations

import argparse
from typing import Any


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    skill = subparsers.add_parser(
        "skill", parents=[common], help="print (or install) instructions teaching agents the verbs"
    )
    skill_sub = skill.add_subparsers(dest="skill_verb")
    install = skill_sub.add_parser("install", parents=[common], help="install for an agent")
    install.add_argument("--for", dest="agent", choices=("claude", "codex"), required=True)
    install.add_argument("--dir", default=None, help="project dir (default: user-wide)")
    skill.set_defaults(handler=run_skill)


def run_skill(args: argparse.Namespace) -> Any:
    from workflows.agents.skill import install_skill, skill_text

    if args.skill_verb == "install":
        return {"installed": [str(path) for path in install_skill(args.agent, args.dir)]}
    return skill_text()
