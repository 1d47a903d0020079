"""Permission rules in the style of Claude Code's: ``Tool`` or ``Tool(specifier)``.

- ``Bash(git commit:*)``: prefix — the simple command is ``git commit`` or starts with
  ``git commit `` (word boundary); ``Bash(npm run test)``: exactly that command;
  ``Bash(npm run *)``: ``*`` matches any text. Commands are compared in a canonical form
  (``shlex.join`` of the parsed words), so quoting differences do not matter.
- ``Edit(src/**)``, ``Read(docs/*.md)``: gitignore-style globs on the file path relative to
  the worktree (``**`` any depth; a pattern without ``/`` matches a name at any depth, a
  leading ``/`` anchors it to the worktree root);
  ``//abs/path/**`` absolute, ``~/x`` under home. ``Edit`` rules also cover Write,
  MultiEdit and NotebookEdit; ``Read`` rules also cover Glob and Grep.
- ``WebFetch(domain:example.com)``: the URL's host (``*.example.com`` for subdomains).
- ``Read``, ``WebSearch``, ``mcp__server`` (every tool of that MCP server): the whole tool.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from workflows.approvals.shell import ShellSyntaxError, SimpleCommand, parse

RULE = re.compile(r"^(?P<tool>[A-Za-z_][\w-]*)(\((?P<spec>.*)\))?$", re.DOTALL)
TOOL_FAMILY = {
    "Write": "Edit",
    "MultiEdit": "Edit",
    "NotebookEdit": "Edit",
    "Glob": "Read",
    "Grep": "Read",
}
PATH_TOOLS = frozenset({"Edit", "Read"})


class RuleError(ValueError):
    """A rule's text is malformed; the message names the rule and the problem."""


@dataclass(frozen=True)
class Rule:
    tool: str
    spec: str | None = None

    def __str__(self) -> str:
        return self.tool if self.spec is None else f"{self.tool}({self.spec})"

    def covers_tool(self, tool_name: str) -> bool:
        if self.tool.startswith("mcp__") and tool_name.startswith(self.tool + "__"):
            return self.spec is None
        return self.tool in (tool_name, TOOL_FAMILY.get(tool_name))


def parse_rule(text: str) -> Rule:
    """Parse ``Tool`` / ``Tool(spec)``; raise :class:`RuleError` naming what is wrong."""
    match = RULE.match(text.strip())
    if match is None:
        raise RuleError(f"bad rule {text!r}: expected Tool or Tool(specifier)")
    tool, spec = match["tool"], match["spec"]
    if spec is not None:
        spec = spec.strip()
        if not spec:
            raise RuleError(f"bad rule {text!r}: empty specifier; write just {tool!r}")
        if tool == "Bash" and ":*" in spec[:-2]:
            raise RuleError(f"bad rule {text!r}: ':*' is only allowed at the end")
        if tool == "WebFetch" and not spec.startswith("domain:"):
            raise RuleError(f"bad rule {text!r}: WebFetch rules are WebFetch(domain:HOST)")
        if tool in PATH_TOOLS | set(TOOL_FAMILY) and "\x00" in spec:
            raise RuleError(f"bad rule {text!r}: NUL in path pattern")
    return Rule(tool=tool, spec=spec)


def canonical(command: SimpleCommand) -> str:
    return shlex.join(command.argv)


def canonical_text(text: str) -> str:
    """A single simple command's canonical text, or the stripped text when it is not one."""
    try:
        parsed = parse(text)
    except ShellSyntaxError:
        return text.strip()
    commands = parsed.commands
    if len(commands) == 1 and not commands[0].redirects and not parsed.substitutions:
        return canonical(commands[0])
    return text.strip()


def bash_spec_matches(spec: str, command_text: str) -> bool:
    """Does a Bash specifier match one simple command given in canonical form?"""
    if spec.endswith(":*"):
        prefix = canonical_text(spec[:-2])
        return command_text == prefix or command_text.startswith(prefix + " ")
    if "*" in spec:
        pattern = ".*".join(re.escape(part) for part in spec.split("*"))
        return re.fullmatch(pattern, command_text, re.DOTALL) is not None
    return command_text == canonical_text(spec)


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out, index = [], 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(out) + "(?:/.*)?")


def path_spec_matches(spec: str, file_path: str, worktree: Path, home: Path) -> bool:
    """Does a path specifier match ``file_path`` (absolute, or relative to the worktree)?"""
    absolute = os.path.normpath(os.path.join(worktree, os.path.expanduser(file_path)))
    if spec.startswith("//"):
        return _glob_regex(spec[1:]).fullmatch(absolute) is not None
    if spec.startswith("~/"):
        return _glob_regex(str(home) + spec[1:]).fullmatch(absolute) is not None
    relative = os.path.relpath(absolute, worktree)
    if relative == ".." or relative.startswith("../"):
        return False  # relative rules never reach outside the worktree
    pattern = spec.lstrip("/").removeprefix("./")
    anchored = spec.startswith(("/", "./")) or "/" in pattern.rstrip("/")
    if not anchored:
        return any(_glob_regex(pattern).fullmatch(part) is not None for part in relative.split("/"))
    return _glob_regex(pattern).fullmatch(relative) is not None


def domain_matches(spec: str, url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    wanted = spec.removeprefix("domain:").lower()
    if wanted.startswith("*."):
        return host.endswith(wanted[1:]) or host == wanted[2:]
    return host == wanted


def input_matches(rule: Rule, tool_input: dict[str, object], worktree: Path, home: Path) -> bool:
    """Does a (non-Bash) rule's specifier match the request input?"""
    if rule.spec is None:
        return True
    family = TOOL_FAMILY.get(rule.tool, rule.tool)
    if family in PATH_TOOLS:
        for key in ("file_path", "notebook_path", "path"):
            value = tool_input.get(key)
            if isinstance(value, str) and value:
                return path_spec_matches(rule.spec, value, worktree, home)
        return False
    if rule.tool == "WebFetch":
        url = tool_input.get("url")
        return isinstance(url, str) and domain_matches(rule.spec, url)
    return any(
        isinstance(value, str) and fnmatch.fnmatchcase(value, rule.spec)
        for value in tool_input.values()
    )
