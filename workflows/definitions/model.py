"""The typed form of a workflow definition (what the loader builds and the engine runs).

A definition is data: the engine snapshots it as JSON into the run store when a run starts,
so a resumed run follows exactly the steps it started with even if the files changed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

COMMON_KEYS = frozenset(
    {"id", "kind", "description", "timeout", "on_fail", "max_rounds", "exhausted"}
)
WORKFLOW_KEYS = frozenset(
    {
        "name",
        "description",
        "agent",
        "worktree",
        "test_command",
        "base",
        "existing_branch",
        "env_from",
        "host",
        "extends",
        "steps",
    }
)


@dataclass(frozen=True)
class StepKind:
    """One kind of step, declared once: what it accepts, what it produces, what runs it."""

    keys: frozenset[str]
    """The keys a step of this kind accepts besides COMMON_KEYS."""
    outputs: frozenset[str]
    """What it produces, usable as ``{steps.<id>.<field>}`` by later steps."""
    runner: str
    """``module:function`` under ``workflows.runs.steps`` that runs it (the engine imports it:
    definitions sit below runs and name the function without importing it)."""


STEP_KINDS: dict[str, StepKind] = {
    "agent": StepKind(
        keys=frozenset(
            {
                "prompt",
                "prompt_file",
                "retry_prompt",
                "retry_prompt_file",
                "output",
                "agent",
                "session",
                "until",
                "host",
                "stall",
            }
        ),
        outputs=frozenset({"output"}),
        runner="agent:run_agent",
    ),
    "shell": StepKind(
        keys=frozenset({"run", "until", "host"}),
        outputs=frozenset({"output", "exit_code"}),
        runner="shell:run_shell",
    ),
    "preview": StepKind(
        keys=frozenset({"run", "comment"}),
        outputs=frozenset({"output", "exit_code", "url"}),
        runner="shell:run_preview",
    ),
    "pull_request": StepKind(
        keys=frozenset({"title", "body", "base", "draft", "host"}),
        outputs=frozenset({"url", "number"}),
        runner="pull_request:run_pull_request",
    ),
    "linear": StepKind(
        keys=frozenset({"comment", "state", "link", "link_title"}),
        outputs=frozenset(),
        runner="linear:run_linear",
    ),
    "spawn": StepKind(
        keys=frozenset({"agent", "session"}),
        outputs=frozenset({"pane"}),
        runner="sessions:run_spawn_step",
    ),
    "workers": StepKind(
        keys=frozenset({"prompt", "agent", "tasks"}),
        outputs=frozenset({"output", "count"}),
        runner="workers:run_workers",
    ),
    # Watch the opened pull request: reviews, red checks, conflicts → fix rounds (on_fail).
    "pr_feedback": StepKind(
        keys=frozenset({"conflicts", "checks", "poll", "settle"}),
        outputs=frozenset({"feedback", "head_sha"}),
        runner="pr_feedback:run_pr_feedback",
    ),
    # Merge the pull request once every gate holds; issues to Done, worktree removed.
    "merge": StepKind(
        keys=frozenset({"method", "delete_branch", "state", "requires", "clean"}),
        outputs=frozenset({"sha", "merged"}),
        runner="merge:run_merge",
    ),
    "slot": StepKind(
        keys=frozenset({"slot"}),
        outputs=frozenset({"slot", "url", "commit", "verdict"}),
        runner="slot:run_slot",
    ),
}
# Placeholders every template may use (besides steps.<id>.<field>).
GLOBAL_PLACEHOLDERS = frozenset(
    {
        "issues",
        "issue_ids",
        "group",
        "branch",
        "base",
        "worktree",
        "repo",
        "run_id",
        "workflow",
        "test_command",
        "failure",
        "round",
        "pr_url",
        "pr_number",
        "preview_url",
        "github_repo",
        "output",
        "request",
    }
)
DEFAULT_TIMEOUT_S = {
    "agent": 1800.0,
    "shell": 1800.0,
    "preview": 600.0,
    "workers": 1800.0,
    "pr_feedback": 86400.0,  # people review within a day, or the run says it still waits
}
DEFAULT_SESSION = "main"


@dataclass(frozen=True)
class Step:
    id: str
    kind: str
    line: int = 0
    description: str = ""
    timeout: float = 0.0  # 0: the kind's default
    on_fail: str | None = None  # step run to remedy a failure, then this step runs again
    max_rounds: int = 3  # attempts of this step before `exhausted` applies
    exhausted: str = "fail"  # "fail" the run, or "continue" with the next step
    # agent / spawn
    prompt: str | None = None
    retry_prompt: str | None = None  # used when the step runs as another step's remedy
    output: str | None = None  # file (relative to the worktree) the agent must write
    agent: str | None = None  # profile; None: the workflow's default
    session: str = DEFAULT_SESSION  # steps with the same session talk to the same agent pane
    until: str | None = None  # a line the output must hold for the step to pass
    stall: float | None = None  # seconds without progress that fail it (None: [runs] stall_after)
    host: str | None = None  # a [hosts.NAME] the agent / command works on; None: the workflow's
    # shell / preview
    run: str | None = None
    # pull_request
    title: str | None = None
    body: str | None = None
    base: str | None = None
    draft: bool = False
    # linear / preview
    comment: str | None = None
    state: str | None = None
    link: str | None = None
    link_title: str | None = None
    # workers: the task list file (one task per line) the orchestrating agent wrote
    tasks: str | None = None
    # pr_feedback: how a conflict with the base is fixed ("merge" or "rebase"), whether a
    # commit without check runs counts as green ("optional") or waits ("required"), poll s,
    # settle s feedback first seen waits for what lands with it (None: the step's default)
    conflicts: str | None = None
    checks: str = "required"
    poll: float = 0.0
    settle: float | None = None
    # merge: method (merge/squash/rebase) and branch deletion (None: [merge] config or
    # default), steps that must have passed (QA), and whether the worktree is removed after
    method: str | None = None
    delete_branch: bool | None = None
    requires: tuple[str, ...] = ()
    clean: bool = True
    # slot: the shared environment ([slots.NAME] in config.toml) to deploy to for QA
    slot: str | None = None
    # where templates came from, for file:line errors at render time
    sources: dict[str, str] = field(default_factory=dict)

    def effective_timeout(self) -> float:
        return self.timeout or DEFAULT_TIMEOUT_S.get(self.kind, 300.0)


@dataclass(frozen=True)
class Workflow:
    name: str
    path: str
    description: str = ""
    agent: str = "claude"
    worktree: bool = True
    test_command: str = ""
    base: str | None = None
    existing_branch: bool = False  # work on a branch that must already exist (review)
    env_from: tuple[str, ...] = ()  # variables of agenttui's env its shell steps get (secrets too)
    host: str = ""  # a [hosts.NAME] where its agent and shell steps work ("": this machine)
    steps: tuple[Step, ...] = ()

    def attempt_bound(self) -> int:
        """The most attempts one runner can make of this workflow: each step at most
        ``max_rounds`` times, and its ``on_fail`` remedy between them (a failed remedy ends
        the run); a step that may send the run back to a step it ``requires`` (a merge, when
        QA passed on an older commit) does so in its rounds, each time running the steps
        from there once more. tests/unit/test_engine_bounds.py shows the engine never goes
        past it."""
        bound = sum(
            step.max_rounds + (step.max_rounds - 1 if step.on_fail else 0) for step in self.steps
        )
        for index, step in enumerate(self.steps):
            if step.requires:
                back = min(self.step_index(required) for required in step.requires)
                bound += (step.max_rounds - 1) * (index - back)
        return bound

    def step_index(self, step_id: str) -> int:
        for index, step in enumerate(self.steps):
            if step.id == step_id:
                return index
        raise KeyError(step_id)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Workflow:
        step_names = {f.name for f in fields(Step)}
        steps = tuple(
            Step(**{k: v for k, v in raw.items() if k in step_names}) for raw in data["steps"]
        )
        names = {f.name for f in fields(cls)} - {"steps"}
        return cls(steps=steps, **{k: v for k, v in data.items() if k in names})
