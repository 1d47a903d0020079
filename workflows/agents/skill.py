"""``agenttui skill``: teach an agent (Claude Code, Codex) to drive other agents.

``skill_text()`` is the instruction text. ``install_skill`` writes it where each agent reads
instructions: a Claude Code skill (``.claude/skills/agenttui/SKILL.md``) or a marked
section of an ``AGENTS.md`` for Codex. Installing again rewrites the same bytes (the Codex
section is replaced between its markers; the rest of AGENTS.md is left as it was).
"""

from __future__ import annotations

import os
from pathlib import Path

BEGIN = "<!-- agenttui:begin (managed by `agenttui skill install`) -->"
END = "<!-- agenttui:end -->"
DESCRIPTION = (
    "Start, steer and watch other AI coding agents (Claude Code, Codex, shells) in tmux "
    "panes with the agenttui CLI: spawn, send prompts that always land, read state, wait "
    "for idle or an approval, approve/deny/interrupt."
)

SKILL = """\
# agenttui: run and steer other agents

Every verb prints JSON with `--json`. Exit codes: 0 ok, 1 error, 2 usage, 3 timeout,
4 not delivered (nothing was submitted; safe to retry). TARGET is an agent name or a pane
id like `%3`.

States: `starting`, `idle` (waiting for input), `working`, `awaiting_approval` (blocked on a
permission dialog agenttui's policy left to a person: `detail.command` / `detail.file` says
what for; while the policy decides the agent reads `working`), `asking` (a question),
`trust` (a folder-trust dialog), `blocked` (stuck on something only a person can clear:
`detail.reason` is `usage_limit` (`detail.resets` when shown), `auth_error`, `menu`,
`auto_mode_unavailable` or `unrecognised`; `detail.message`, and for an unrecognised screen
`detail.lines`, say what is on it), `exited` (`detail.status`), `unknown`.

- Start: `agenttui spawn --agent claude|codex|shell --name NAME --cwd DIR [--prompt TEXT]`
- Send a prompt (verified: lands exactly once, or exit 4):
  `agenttui send NAME "TEXT"` (or `--file PATH`, or `-` for stdin).
- State and screen: `agenttui read NAME --json`; all agents: `agenttui ls --json`.
- Wait: `agenttui wait NAME --state idle,awaiting_approval,asking,blocked,exited --json`
  (`--timeout S`, default 300; exit 3 on timeout). Always wait for `awaiting_approval`,
  `asking` and `blocked` too, or you may wait forever on an agent that is stuck on a dialog
  or a question for you.
- Answer a permission dialog: `agenttui approve NAME` (once), `agenttui approve NAME
  --always`, `agenttui deny NAME`. They refuse when the agent is not awaiting approval.
  Read `detail.command` first and approve only what you would run yourself.
- Stop the current turn: `agenttui interrupt NAME`. Raw keys: `agenttui keys NAME Enter`.
- End: `agenttui kill NAME`.

Loop for delegating a task:
1. `agenttui spawn --agent codex --name reviewer --cwd "$PWD" --prompt "…"`
2. `agenttui wait reviewer --state idle,awaiting_approval,asking,blocked,exited --json`
3. If `awaiting_approval`: inspect `detail`, then `approve` or `deny`, and go to 2. If
   `asking`: `agenttui read reviewer` shows the question; answer it with `send`, and go to 2.
   If `blocked`: tell the person what `detail` says (you cannot answer it), and go to 2.
4. If `idle`: `agenttui read reviewer --json` for the answer (or read the file you asked
   it to write), then `send` the next prompt or `kill` it.
"""


def skill_text() -> str:
    return SKILL


def claude_skill_file(directory: str | None) -> Path:
    base = Path(directory) / ".claude" if directory else Path.home() / ".claude"
    return base / "skills" / "agenttui" / "SKILL.md"


def codex_agents_file(directory: str | None) -> Path:
    if directory:
        return Path(directory) / "AGENTS.md"
    codex_home = os.environ.get("CODEX_HOME")
    return (Path(codex_home) if codex_home else Path.home() / ".codex") / "AGENTS.md"


def _claude_skill() -> str:
    return f"---\nname: agenttui\ndescription: {DESCRIPTION}\n---\n\n{SKILL}"


def _with_section(existing: str) -> str:
    section = f"{BEGIN}\n{SKILL}{END}\n"
    start, end = existing.find(BEGIN), existing.find(END)
    if start != -1 and end > start:
        return existing[:start] + section + existing[end + len(END) :].lstrip("\n")
    separator = "" if not existing else ("\n" if existing.endswith("\n") else "\n\n")
    return existing + separator + section


def install_skill(agent: str, directory: str | None = None) -> list[Path]:
    """Write the instructions for ``agent`` (claude or codex); returns the file written."""
    if agent == "claude":
        path = claude_skill_file(directory)
        content = _claude_skill()
    elif agent == "codex":
        path = codex_agents_file(directory)
        content = _with_section(path.read_text(encoding="utf-8") if path.exists() else "")
    else:
        raise ValueError(f"no skill format for {agent!r} (claude or codex)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return [path]
