"""Load workflow definitions: built-ins here, user ones from ``config_dir()/workflows/``.

A user file with a built-in's name overrides it; prompt files named by ``prompt_file`` are
looked up in ``config_dir()`` first (``prompts/refine-1.md``), then next to the definition,
then among the built-ins. Every problem is reported as ``file:line: message``, all at once.
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
    steps = build_steps(
        data, problems, lambda index, key, value: _prompt_file(path, index, key, value, problems)
    )
    workflow = Workflow(
        name=str(data.get("name") or path.stem),
        path=str(path),
        description=str(data.get("description", "")),
        agent=str(data.get("agent", "claude")),
        worktree=bool(data.get("worktree", True)),
        test_command=str(data.get("test_command", "")),
        base=data.get("base") if isinstance(data.get("base"), str) else None,
        existing_branch=bool(data.get("existing_branch", False)),
        env_from=tuple(str(name) for name in _list(data.get("env_from"))),
        host=str(data.get("host", "")),
        steps=tuple(steps),
    )
    check_workflow(data, workflow, problems)
    if problems.messages:
        raise WorkflowError(problems.messages)
    return workflow


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
