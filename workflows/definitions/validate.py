"""Checks on a parsed workflow: keys, kinds, types, references, placeholders, on_fail cycles."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workflows.base.toml_lines import LineMap
from workflows.definitions.model import (
    COMMON_KEYS,
    GLOBAL_PLACEHOLDERS,
    STEP_KINDS,
    WORKFLOW_KEYS,
    Step,
    Workflow,
)
from workflows.definitions.placeholders import placeholders

STEP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
TEMPLATE_FIELDS = (
    "prompt",
    "retry_prompt",
    "run",
    "title",
    "body",
    "comment",
    "state",
    "link",
    "link_title",
)


def uses_placeholder(workflow: Workflow, name: str) -> bool:
    """Whether any step's template holds ``{name}``."""
    return any(
        placeholder.name == name
        for step in workflow.steps
        for field_name in TEMPLATE_FIELDS
        if isinstance(template := getattr(step, field_name), str)
        for placeholder in placeholders(template)
    )


STRING_FIELDS = (
    "description",
    "tasks",
    "prompt",
    "retry_prompt",
    "output",
    "agent",
    "session",
    "until",
    "host",
    "run",
    "title",
    "body",
    "base",
    "comment",
    "state",
    "link",
    "link_title",
    "on_fail",
    "slot",
)
# Placeholders that only have a value once a step of this kind has run.
PRODUCED_BY = {"pr_url": "pull_request", "pr_number": "pull_request", "preview_url": "preview"}
ReadFile = Callable[[int, str, Any], "tuple[str, str] | None"]


@dataclass
class Problems:
    path: str
    lines: LineMap
    messages: list[str] = field(default_factory=list)

    def at(self, line: int, message: str, path: str | None = None) -> None:
        self.messages.append(f"{path or self.path}:{line}: {message}")

    def at_step(self, index: int, key: str | None, message: str) -> None:
        self.at(self.lines.step_key(index, key), message)


def _infer_kind(raw: dict[str, Any]) -> str | None:
    if "kind" in raw:
        return str(raw["kind"])
    if "prompt" in raw or "prompt_file" in raw:
        return "agent"
    if "run" in raw:
        return "shell"
    return None


def _check_types(index: int, raw: dict[str, Any], problems: Problems) -> None:
    for key in STRING_FIELDS:
        if key in raw and not isinstance(raw[key], str):
            problems.at_step(index, key, f"{key} must be a string")
    if "max_rounds" in raw and (not isinstance(raw["max_rounds"], int) or raw["max_rounds"] < 1):
        problems.at_step(index, "max_rounds", "max_rounds must be a whole number ≥ 1")
    timeout = raw.get("timeout", 1)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        problems.at_step(index, "timeout", "timeout must be a number of seconds > 0")
    stall = raw.get("stall", 1)
    if isinstance(stall, bool) or not isinstance(stall, int | float) or stall < 0:
        problems.at_step(index, "stall", "stall must be a number of seconds (0: never)")
    if raw.get("exhausted", "fail") not in ("fail", "continue"):
        problems.at_step(index, "exhausted", 'exhausted must be "fail" or "continue"')
    if "draft" in raw and not isinstance(raw["draft"], bool):
        problems.at_step(index, "draft", "draft must be true or false")
    _check_choices(index, raw, problems)


CHOICES = {
    "conflicts": ("merge", "rebase"),
    "checks": ("required", "optional"),
    "method": ("merge", "squash", "rebase"),
}


def _check_choices(index: int, raw: dict[str, Any], problems: Problems) -> None:
    """The keys of pr_feedback and merge steps (one of a few words, a flag, a list)."""
    for key, allowed in CHOICES.items():
        if key in raw and raw[key] not in allowed:
            words = " or ".join(f'"{word}"' for word in allowed)
            problems.at_step(index, key, f"{key} must be {words}, not {raw[key]!r}")
    for key in ("delete_branch", "clean"):
        if key in raw and not isinstance(raw[key], bool):
            problems.at_step(index, key, f"{key} must be true or false")
    poll = raw.get("poll", 1)
    if isinstance(poll, bool) or not isinstance(poll, int | float) or poll <= 0:
        problems.at_step(index, "poll", "poll must be a number of seconds > 0")
    settle = raw.get("settle", 0)
    if isinstance(settle, bool) or not isinstance(settle, int | float) or settle < 0:
        problems.at_step(index, "settle", "settle must be a number of seconds (0: none)")
    requires = raw.get("requires", [])
    if not isinstance(requires, list) or not all(isinstance(item, str) for item in requires):
        problems.at_step(index, "requires", 'requires must be a list of step ids, like ["qa"]')


def _build_step(index: int, raw: dict[str, Any], problems: Problems, read: ReadFile) -> Step | None:
    step_id = raw.get("id")
    if not isinstance(step_id, str) or not STEP_ID.match(step_id):
        problems.at_step(
            index,
            "id" if "id" in raw else None,
            "every step needs an id of letters, digits, - or _",
        )
        return None
    kind = _infer_kind(raw)
    if kind not in STEP_KINDS:
        known = ", ".join(sorted(STEP_KINDS))
        message = (
            f"step {step_id!r}: unknown kind {kind!r} (known: {known})"
            if kind
            else f"step {step_id!r}: no kind, prompt or run"
        )
        problems.at_step(index, "kind" if "kind" in raw else None, message)
        return None
    for key in raw:
        if key not in COMMON_KEYS | STEP_KINDS[kind].keys:
            problems.at_step(index, key, f"step {step_id!r}: unknown key {key!r} for a {kind} step")
    _check_types(index, raw, problems)
    values = {k: v for k, v in raw.items() if k not in ("kind", "prompt_file", "retry_prompt_file")}
    sources: dict[str, str] = {}
    for name in TEMPLATE_FIELDS:
        if isinstance(raw.get(name), str):
            sources[name] = f"{problems.path}:{problems.lines.step_value_start(index, name)}"
    for name in ("prompt", "retry_prompt"):
        if f"{name}_file" in raw:
            if name in raw:
                problems.at_step(index, f"{name}_file", f"give {name} or {name}_file, not both")
            loaded = read(index, f"{name}_file", raw[f"{name}_file"])
            if loaded:
                values[name], sources[name] = loaded[0], f"{loaded[1]}:1"
    _check_required(index, kind, step_id, values, raw=raw, problems=problems)
    if "requires" in values:  # TOML gives a list; the model keeps a tuple
        requires = values["requires"]
        values["requires"] = tuple(requires) if isinstance(requires, list) else ()
    if any(problems.messages):
        values = {k: v for k, v in values.items() if k not in STRING_FIELDS or isinstance(v, str)}
    try:
        return Step(
            kind=kind,
            line=problems.lines.step_key(index),
            sources=sources,
            **{k: v for k, v in values.items() if k in Step.__dataclass_fields__},
        )
    except TypeError as error:
        problems.at_step(index, None, f"step {step_id!r}: {error}")
        return None


def _check_required(
    index: int,
    kind: str,
    step_id: str,
    values: dict[str, Any],
    *,
    raw: dict[str, Any],
    problems: Problems,
) -> None:
    if kind == "agent" and not values.get("prompt") and "prompt_file" not in raw:
        problems.at_step(
            index, None, f"step {step_id!r}: an agent step needs prompt or prompt_file"
        )
    if kind == "agent" and "until" in values and not values.get("output"):
        problems.at_step(index, "until", f"step {step_id!r}: until needs an output file to read")
    if kind == "workers" and not (values.get("prompt") and values.get("tasks")):
        problems.at_step(index, None, f"step {step_id!r}: a workers step needs prompt and tasks")
    if kind in ("shell", "preview") and not values.get("run"):
        problems.at_step(index, None, f"step {step_id!r}: a {kind} step needs run")
    if kind == "slot" and not values.get("slot"):
        problems.at_step(
            index, None, f'step {step_id!r}: a slot step needs slot = "NAME" ([slots.NAME])'
        )
    if kind == "linear" and not any(values.get(k) for k in ("comment", "state", "link")):
        problems.at_step(
            index, None, f"step {step_id!r}: a linear step needs comment, state or link"
        )


def build_steps(data: dict[str, Any], problems: Problems, read: ReadFile) -> list[Step]:
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        problems.at(1, "a workflow needs at least one [[steps]] table")
        return []
    steps: list[Step] = []
    for index, raw in enumerate(raw_steps):
        if not isinstance(raw, dict):
            problems.at_step(index, None, "steps must be [[steps]] tables")
            continue
        step = _build_step(index, raw, problems, read)
        if step is not None:
            steps.append(step)
    return steps


TOP_STRINGS = ("name", "description", "agent", "test_command", "base", "host")
TOP_BOOLS = ("worktree", "existing_branch")


def check_workflow(data: dict[str, Any], workflow: Workflow, problems: Problems) -> None:
    for key, value in data.items():
        line = problems.lines.top.keys.get(key, 1)
        if key not in WORKFLOW_KEYS:
            problems.at(line, f"unknown top-level key {key!r}")
        elif key in TOP_STRINGS and not isinstance(value, str):
            problems.at(line, f"{key} must be a string, not {value!r}")
        elif key in TOP_BOOLS and not isinstance(value, bool):
            problems.at(line, f"{key} must be true or false, not {value!r}")
        elif key == "env_from" and (
            not isinstance(value, list) or not all(isinstance(name, str) for name in value)
        ):
            problems.at(
                line, f'env_from must be a list of variable names (like ["NAME"]), not {value!r}'
            )
    seen: dict[str, int] = {}
    for index, step in enumerate(workflow.steps):
        for required in step.requires:
            if required not in seen:
                message = f"step {step.id!r}: requires {required!r}, which is not an earlier step"
                problems.at_step(index, "requires", message)
        if step.id in seen:
            problems.at(step.line, f"duplicate step id {step.id!r} (first at line {seen[step.id]})")
        seen.setdefault(step.id, step.line)
    _check_on_fail(workflow, problems)
    for index, step in enumerate(workflow.steps):
        _check_placeholders(workflow, index, step, problems)


def _check_on_fail(workflow: Workflow, problems: Problems) -> None:
    ids = [step.id for step in workflow.steps]
    edges = {step.id: step.on_fail for step in workflow.steps if step.on_fail}
    for step in workflow.steps:
        if not step.on_fail:
            continue
        target = step.on_fail
        if target not in ids:
            problems.at(step.line, f"step {step.id!r}: on_fail refers to unknown step {target!r}")
            continue
        chain, current = [step.id], target
        while current in edges and current not in chain:
            chain.append(current)
            current = edges[current]
        if step.id in (current, target):
            cycle = " → ".join([*chain, current])
            problems.at(step.line, f"step {step.id!r}: cycle in on_fail references: {cycle}")
        elif ids.index(target) > ids.index(step.id):
            problems.at(
                step.line,
                f"step {step.id!r}: on_fail target {target!r} runs later; a "
                "remedy must be an earlier step",
            )
        elif workflow.steps[ids.index(target)].kind not in ("agent", "shell"):
            problems.at(
                step.line,
                f"step {step.id!r}: on_fail target {target!r} must be an agent or shell step",
            )


def _check_placeholders(workflow: Workflow, index: int, step: Step, problems: Problems) -> None:
    earlier = {s.id: s for s in workflow.steps[:index]}
    later = {s.id for s in workflow.steps[index:]}
    earlier_kinds = {s.kind for s in earlier.values()}
    if step.kind == "preview":
        earlier_kinds.add("preview")  # its comment reports its own URL
    for name in TEMPLATE_FIELDS:
        template = getattr(step, name)
        if not isinstance(template, str):
            continue
        source = step.sources.get(name, f"{problems.path}:{step.line}")
        path, _, start = source.rpartition(":")
        for placeholder in placeholders(template):
            line = int(start) + placeholder.line - 1
            problem = _placeholder_problem(placeholder.name, earlier, later, earlier_kinds)
            if problem:
                problems.at(line, f"step {step.id!r} {name}: {problem}", path)


def _placeholder_problem(
    name: str, earlier: dict[str, Step], later: set[str], earlier_kinds: set[str]
) -> str | None:
    if name in GLOBAL_PLACEHOLDERS:
        producer = PRODUCED_BY.get(name)
        if producer and producer not in earlier_kinds:
            return f"{{{name}}} is used before any {producer} step"
        return None
    parts = name.split(".")
    if parts[0] != "steps":
        return f"unknown placeholder {{{name}}}"
    if len(parts) != 3:
        return f"{{{name}}}: write {{steps.<id>.<field>}}"
    _, step_id, output = parts
    if step_id not in earlier:
        where = "runs later" if step_id in later else "does not exist"
        return f"{{{name}}} refers to step {step_id!r}, which {where}"
    target = earlier[step_id]
    outputs = set(STEP_KINDS[target.kind].outputs)
    if target.kind == "agent" and not target.output:
        outputs.discard("output")
    if output not in outputs:
        have = ", ".join(sorted(outputs)) or "nothing"
        return f"{{{name}}}: a {target.kind} step {step_id!r} has no {output!r} (it has {have})"
    return None
