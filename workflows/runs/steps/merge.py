"""The ``merge`` step: merge the pull request when every gate holds, move the issues to Done,
delete the branch and remove the worktree.

Off unless the config says ``[merge] enabled = true`` (the step then passes without merging,
saying so): merging is the one thing a run does that people cannot take back by closing a
PR. The gates, read fresh from GitHub: the pull request is open, approved (no reviewer's
latest review asks for changes), its head commit's checks are green, it merges cleanly, the
base branch's protection allows it (GitHub's ``mergeable_state`` is not ``blocked``: what
that protection requires, a code owner's review or a check that has not reported, is only
known to GitHub), and
every step named in ``requires`` (the QA verdict) passed its latest attempt, on the head
being merged when it names a commit (a slot step's deploy). One missing gate: no merge, and
the run stops naming what is missing (``agenttui resume`` checks again) — except when the
only gate missing is a required step that passed on an older commit (a review round pushed
after QA): the run goes back to that step, which deploys the head and asks again.
The merge names the head commit the gates were read on, so a push in between makes GitHub
refuse it (409) rather than merge unchecked code. Resuming after any crash is safe: a pull
request found merged is not merged again; the branch deletion, the Linear moves and the
worktree removal are each done once (see ``steps.linear``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from workflows.base import crashpoints
from workflows.base.config import table
from workflows.base.untrusted import inert
from workflows.definitions.placeholders import render
from workflows.forge import git
from workflows.forge.pull_feedback import PullRequestApi, PullSnapshot
from workflows.runs.steps.base import StepContext, StepFailed, StepResult
from workflows.runs.steps.linear import post_to_issues

METHODS = ("merge", "squash", "rebase")
UNDECIDED_WAIT_S = 60.0  # GitHub answers mergeable: null while it computes it after a push
UNDECIDED_POLL_S = 1.0
PROTECTION = "GitHub says blocked: a review or check the base branch requires is missing"
BEHIND = "the base branch's protection wants the base's head in the branch"
ENABLE_HINT = "set [merge] enabled = true in config.toml to let runs merge"


@dataclass(frozen=True)
class Gate:
    name: str
    ok: bool
    detail: str = ""

    def line(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.name}" + (
            f": {self.detail}" if self.detail else ""
        )


@dataclass(frozen=True)
class Required:
    """A step named in ``requires``: whether its latest attempt passed, and on which commit
    (a slot step's deployed commit; empty for a step that names none)."""

    passed: bool
    commit: str = ""

    def stale_on(self, head: str) -> bool:
        return self.passed and bool(self.commit) and bool(head) and self.commit != head


def merge_gates(
    snap: PullSnapshot, required: dict[str, Required], *, checks_required: bool = True
) -> list[Gate]:
    """Each gate of a merge and whether it holds now."""
    checks = snap.checks_state(required=checks_required)
    mergeable = {True: "", False: "conflicts with the base", None: "GitHub has not decided"}
    is_open = snap.state == "open" and not snap.merged
    gates = [
        Gate("open", is_open, "" if is_open else "merged" if snap.merged else snap.state),
        Gate("approved", snap.approved, "" if snap.approved else "no approval, or changes asked"),
        Gate("checks green", checks == "green", "" if checks == "green" else checks),
        Gate("merges cleanly", snap.mergeable is True, mergeable[snap.mergeable]),
        Gate("branch protection allows it", not snap.blocked, PROTECTION if snap.blocked else ""),
        Gate("up to date with the base", not snap.behind, BEHIND if snap.behind else ""),
    ]
    gates += [required_gate(step_id, step, snap.head_sha) for step_id, step in required.items()]
    return gates


def required_gate(step_id: str, step: Required, head: str) -> Gate:
    name = f"step {step_id} passed"
    if not step.passed:
        return Gate(name, False, "its latest attempt did not pass")
    if step.stale_on(head):
        return Gate(name, False, f"on {step.commit[:10]}, not on the head {head[:10]}")
    return Gate(name, True)


def required_steps(ctx: StepContext) -> dict[str, Required]:
    """For each step in ``requires``: its latest attempt (not a remedy), passed or not."""
    latest: dict[str, Required] = {}
    for attempt in ctx.runs.attempts(ctx.run.id):
        if attempt.role == "step" and attempt.step_id in ctx.step.requires:
            commit = str(attempt.outputs.get("commit") or "")
            latest[attempt.step_id] = Required(attempt.status == "succeeded", commit)
    return {step_id: latest.get(step_id, Required(False)) for step_id in ctx.step.requires}


def stale_step(gates: list[Gate], required: dict[str, Required], head: str) -> str | None:
    """The required step to go back to when it is the only gate missing because it passed
    on an older commit (the first such step, in ``requires`` order)."""
    stale = [step_id for step_id, step in required.items() if step.stale_on(head)]
    missing = [gate for gate in gates if not gate.ok]
    if stale and len(missing) == len(stale):
        return stale[0]
    return None


def run_merge(ctx: StepContext) -> StepResult:
    step, config = ctx.step, table("merge")
    if not config.get_bool("enabled", False):
        ctx.event("merge", f"the pull request was left open: merging is off ({ENABLE_HINT})")
        return StepResult(ok=True, outputs={"merged": False, "skipped": ENABLE_HINT})
    method = step.method or config.get_str("method", "merge")
    if method not in METHODS:
        raise StepFailed(f"[merge] method must be one of {', '.join(METHODS)}, not {method!r}")
    delete = step.delete_branch
    if delete is None:
        delete = config.get_bool("delete_branch", True)
    repo, number = ctx.values.get("github_repo") or "", ctx.values.get("pr_number") or ""
    if not repo or not number.isdigit():
        raise StepFailed("no pull request to merge: a merge step follows a pull_request step")
    api = PullRequestApi(repo, int(number))
    snap = api.snapshot()
    deadline = time.monotonic() + UNDECIDED_WAIT_S
    if snap.mergeable is None and snap.state == "open" and not snap.merged:
        ctx.event("merge", "GitHub is still working out whether it merges cleanly; waiting")
    while snap.mergeable is None and snap.state == "open" and not snap.merged:
        if time.monotonic() > deadline:
            break  # the gate below says so
        ctx.sleep(UNDECIDED_POLL_S)
        snap = api.snapshot()
    if snap.merged:
        ctx.event("merge", f"pull request #{number} is already merged")
        sha = ""
    else:
        required = required_steps(ctx)
        gates = merge_gates(snap, required, checks_required=step.checks != "optional")
        table_text = "\n".join(gate.line() for gate in gates)
        if not all(gate.ok for gate in gates):
            missing = "; ".join(gate.line() for gate in gates if not gate.ok)
            ctx.event("merge", f"not merged: the gates are\n{table_text}")
            again = stale_step(gates, required, snap.head_sha)
            if again:
                return StepResult(
                    ok=False,
                    failure=f"{again} passed on {required[again].commit[:10]}; "
                    f"pull request #{number}'s head is now {snap.head_sha[:10]}",
                    back_to=again,
                )
            raise StepFailed(f"pull request #{number} not merged: {missing}")
        ctx.event("merge", f"every gate holds:\n{table_text}")
        crashpoints.reached("merge-before")
        title = inert(render("{group}", ctx.values))
        sha = api.merge(method=method, sha=snap.head_sha, title=title)
        crashpoints.reached("merge-done")
        ctx.event("merge", f"merged pull request #{number} ({method}) as {sha[:10]}", sha=sha)
    branch = ctx.values["branch"]
    if delete and api.delete_branch(branch):
        ctx.event("merge", f"deleted branch {branch} on GitHub")
    post_to_issues(ctx, state=render(step.state or "Done", ctx.values))
    if step.clean:
        _remove_worktree(ctx)
    return StepResult(ok=True, outputs={"merged": True, "sha": sha})


def _remove_worktree(ctx: StepContext) -> None:
    """The run's own worktree goes (its work is merged); one it was given stays."""
    context = ctx.runs.get(ctx.run.id).context
    worktree = Path(str(context.get("worktree") or ""))
    if not context.get("own_worktree") or not worktree.is_dir():
        return
    dirty = git.dirty_files(worktree)
    if dirty:
        ctx.event("warning", f"worktree {worktree} kept: uncommitted {', '.join(dirty[:5])}")
        return
    git.remove_worktree(Path(str(context["repo"])), worktree)
    ctx.runs.update_context(ctx.run.id, worktree_removed=True)
    ctx.event("merge", f"removed worktree {worktree}")
