"""Before the first step: fetch the issues, pick base and branch, prepare the worktree.

Done once per run and saved in the run's context (issue text included), so a resumed run
works on the same issues, branch and worktree even if Linear changed meanwhile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workflows.base.config import table
from workflows.base.errors import AgentTuiError
from workflows.definitions.model import Workflow
from workflows.forge import git
from workflows.runs.run_store import RunRecord, RunStore


def prepare_run(runs: RunStore, run: RunRecord, workflow: Workflow) -> dict[str, Any]:
    if run.context.get("prepared"):
        return run.context
    params = run.params
    repo = git.repo_root(params.get("repo") or ".")
    issues = fetch_issues(params.get("source"), run.issues)
    base = params.get("base") or workflow.base or git.default_base(repo)
    first = lead_issue(issues)
    branch = (
        params.get("branch")
        or first.get("branch_name")
        or f"agenttui/{first['identifier'].lower()}-{git.slug(first['title'])}"
    )
    if workflow.existing_branch and not git.branch_exists(repo, branch):
        raise AgentTuiError(
            f"branch {branch!r} does not exist in {repo} or on origin; the "
            f"{workflow.name} workflow works on an existing branch (--branch)"
        )
    _refuse_if_busy(runs, run, str(repo), branch)
    target = git.worktree_root() / f"{repo.name}-{run.id}"
    if workflow.worktree:
        worktree = git.prepare_worktree(repo, branch, base, target)
    else:
        worktree = repo
        branch = git.git(repo, "branch", "--show-current").stdout.strip() or branch
    configured = table("workflows").get_str("test_command")
    context = runs.update_context(
        run.id,
        prepared=True,
        repo=str(repo),
        base=base,
        branch=branch,
        worktree=str(Path(worktree)),
        own_worktree=workflow.worktree and Path(worktree) == target,
        issues=issues,
        github_repo=params.get("github_repo")
        or table("workflows").get_str("github_repo")
        or git.remote_github_repo(repo)
        or "",
        test_command=params.get("test_command") or configured or workflow.test_command,
    )
    runs.event(run.id, "prepared", f"worktree {worktree} on branch {branch} (base {base})")
    return context


def _refuse_if_busy(runs: RunStore, run: RunRecord, repo: str, branch: str) -> None:
    """Two live runs never share a branch (and so a worktree)."""
    from workflows.runs.run_store import worker_alive

    for other in runs.all_runs():
        same = other.context.get("repo") == repo and other.context.get("branch") == branch
        if other.id != run.id and same and other.status == "running" and worker_alive(other.id):
            raise AgentTuiError(
                f"branch {branch} is in use by run {other.id}; cancel it or wait for it to end"
            )


def fetch_issues(source_name: str | None, ids: list[str]) -> list[dict[str, Any]]:
    from workflows.issues import open_source

    source = open_source(source_name)
    issues = []
    for issue_id in ids:
        try:
            issues.append(source.get_issue(issue_id).to_dict())
        except AgentTuiError as error:
            raise AgentTuiError(f"cannot fetch issue {issue_id}: {error}") from error
    return issues


def issues_text(issues: list[dict[str, Any]]) -> str:
    """The issues as an agent reads them; titles and bodies verbatim."""
    parts = []
    for issue in issues:
        head = f"## {issue['identifier']}: {issue['title']}"
        meta = [
            f"{label}: {issue[key]}"
            for key, label in (("url", "URL"), ("state", "State"), ("parent", "Parent"))
            if issue.get(key)
        ]
        if issue.get("labels"):
            meta.append("Labels: " + ", ".join(issue["labels"]))
        body = issue.get("description") or "(no description)"
        parts.append("\n".join([head, *meta, "", body]))
    return "\n\n".join(parts)


def lead_issue(issues: list[dict[str, Any]]) -> dict[str, Any]:
    """The issue a group is named after: a parent of others in the group, else the first."""
    ids = {issue["identifier"] for issue in issues}
    parents = [
        issue
        for issue in issues
        if any(other.get("parent") == issue["identifier"] for other in issues)
    ]
    top = [issue for issue in parents if issue.get("parent") not in ids]
    return (top or parents or issues)[0]


def group_title(issues: list[dict[str, Any]]) -> str:
    first = lead_issue(issues)
    if len(issues) == 1:
        return f"{first['identifier']}: {first['title']}"
    others = ", ".join(issue["identifier"] for issue in issues if issue is not first)
    return f"{first['identifier']}: {first['title']} (with {others})"
