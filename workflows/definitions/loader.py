"""Load workflow definitions: built-ins here, user ones from ``config_dir()/workflows/``.

A user file with a built-in's name overrides it; prompt files named by ``prompt_file`` are
looked up in ``config_dir()`` first (``prompts/refine-1.md``), then next to the definition,
then among the built-ins. ``extends = "feedback"`` starts from another workflow's settings
and steps and appends its own. Every problem is reported as ``file:line: message``, all at
once.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from workflows.base.errors import AgentTuiError
from workflows.base.paths import config_dir
from workflows.base.toml_lines import scan
from workflows.definitions.model import Step, Workflow
from workflows.definitions.validate import Problems, build_steps, check_workflow

BUILTIN_DIR = Path(__file__).resolve().parent


class WorkflowError(AgentTuiError):
    """A workflow definition is invalid; the message lists every ``file:line: problem``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid workflow definition:\n  " + "\n  ".join(problems))


def user_workflow_dir() -> Path:
    return config_dir() / "workflows"


def list_workflows() -> list[str]:
    names = {path.stem for path in BUILTIN_DIR.glob("*.toml")}
    if user_workflow_dir().is_dir():
        names |= {path.stem for path in user_workflow_dir().glob("*.toml")}
    return sorted(names)


def find_definition(name: str) -> Path:
    """A name (``feedback``) or a path to a ``.toml`` file."""
    if name.endswith(".toml") or "/" in name:
        path = Path(name).expanduser()
        if not path.is_file():
            raise AgentTuiError(f"workflow file not found: {path}")
        return path.resolve()
    for directory in (user_workflow_dir(), BUILTIN_DIR):
        candidate = directory / f"{name}.toml"
        if candidate.is_file():
            return candidate
    known = ", ".join(list_workflows()) or "none"
    raise AgentTuiError(f"unknown workflow {name!r} (known: {known})")


def load_workflow(name: str) -> Workflow:
    path = find_definition(name)
    return parse_workflow(path.read_text(encoding="utf-8"), path)


def parse_workflow(text: str, path: Path) -> Workflow:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # tomllib's message already ends with "(at line N, column M)".
        raise WorkflowError([f"{path}: {error}"]) from error
    lines = scan(text)
    problems = Problems(str(path), lines)
    parent = _extended(data, path, problems)
    steps = build_steps(
        data, problems, lambda index, key, value: _prompt_file(path, index, key, value, problems)
    )
    inherited = parent.to_json() if parent is not None else {}

    def setting(key: str, default: Any) -> Any:
        return data.get(key, inherited.get(key, default))

    workflow = Workflow(
        name=str(data.get("name") or path.stem),
        path=str(path),
        description=str(data.get("description", "")),
        agent=str(setting("agent", "claude")),
        worktree=bool(setting("worktree", True)),
        test_command=str(setting("test_command", "")),
        base=setting("base", None) if isinstance(setting("base", None), str) else None,
        existing_branch=bool(setting("existing_branch", False)),
        env_from=tuple(str(name) for name in _list(setting("env_from", []))),
        host=str(setting("host", "")),
        steps=(parent.steps if parent is not None else ()) + tuple(steps),
    )
    check_workflow(data, workflow, problems)
    if problems.messages:
        raise WorkflowError(problems.messages)
    return workflow


def _extended(data: dict[str, Any], path: Path, problems: Problems) -> Workflow | None:
    """The workflow ``extends`` names (a built-in, a user's, or a file), loaded."""
    name = data.get("extends")
    if name is None:
        return None
    line = problems.lines.top.keys.get("extends", 1)
    if not isinstance(name, str) or not name or name in (path.stem, str(path)):
        problems.at(line, f"extends must name another workflow, not {name!r}")
        return None
    try:
        found = find_definition(name)
        if found == path:
            raise AgentTuiError(f"workflow {name!r} cannot extend itself")
        return load_workflow(name)
    except WorkflowError as error:
        problems.messages.extend(error.problems)
    except AgentTuiError as error:
        problems.at(line, f"extends: {error}")
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []  # anything else: check_workflow says so


def prompt_candidates(definition: Path, relative: str) -> list[Path]:
    rel = Path(relative)
    if rel.is_absolute():
        return [rel]
    return [config_dir() / rel, definition.parent / rel, BUILTIN_DIR / rel]


def _prompt_file(
    definition: Path, index: int, key: str, value: Any, problems: Problems
) -> tuple[str, str] | None:
    """Read a ``*_file`` template; returns (text, path) or records a problem."""
    if not isinstance(value, str) or not value:
        problems.at_step(index, key, f"{key} must be a file name")
        return None
    for candidate in prompt_candidates(definition, value):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8"), str(candidate)
    problems.at_step(
        index,
        key,
        f"{key} {value!r} not found (looked in "
        + ", ".join(str(p.parent) for p in prompt_candidates(definition, value))
        + ")",
    )
    return None


def step_by_id(workflow: Workflow, step_id: str) -> Step:
    return workflow.steps[workflow.step_index(step_id)]
