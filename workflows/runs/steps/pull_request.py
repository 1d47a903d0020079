"""The pull request step: commit what the agents left, push the branch, open the PR.

Push never forces; a rejection fails the run with git's reason. Opening is idempotent (an
open PR for the branch is reused), so resuming after any crash is safe.

A run that worked on a host (a step with ``host``) commits and pushes there: the step runs
in the run's worktree on that host (``steps.on_host`` moves what later steps here changed
over first), and git there pushes to the host clone's ``origin`` with the host's own
credentials. Only the forge's API call (opening the PR) is made from here, with this
machine's token. The pushed commit comes back here afterwards (``host_worktree.from_host``,
a fetch from the host's clone) for the run's diff, review and detail; nothing is pushed to
the forge from here.
"""

from __future__ import annotations

from workflows.base.untrusted import inert
from workflows.definitions.placeholders import render
from workflows.forge import git
from workflows.forge.github import check_credentials, create_pull_request
from workflows.runs.steps.base import StepContext, StepFailed, StepResult
from workflows.runs.steps.usage_note import usage_note


def _not_run_note(values: dict[str, str]) -> str:
    """A line per step that was skipped (no test command…): a PR never looks tested when
    nothing ran."""
    lines = [
        f"- step `{key.split('.')[1]}` was not run: {value}"
        for key, value in values.items()
        if key.startswith("steps.") and key.endswith(".skipped") and value
    ]
    return "\n\n**Not checked by agenttui:**\n" + "\n".join(lines) + "\n" if lines else ""


def _recordings(ctx: StepContext, github_repo: str) -> str:
    """The run's recordings pushed and linked, when config asks for it; a failure is said
    in the log and the PR opens without them (proof of work never blocks the work)."""
    from workflows.runs.recording.files import RecordingLimits
    from workflows.runs.recording.proof import publish

    settings = RecordingLimits.from_config()
    if not (settings.enabled and settings.attach_to_pr):
        return ""
    try:
        published = publish(ctx.worktree, ctx.run.id, github_repo, host=ctx.host)
    except git.GitError as error:
        ctx.event("recording", f"recordings not attached to the pull request: {error}")
        return ""
    if published is None:
        return ""
    ctx.event("recording", f"recordings pushed to {published.ref} ({published.commit[:10]})")
    return published.markdown()


def run_pull_request(ctx: StepContext) -> StepResult:
    step, values = ctx.step, ctx.values
    branch, base = values["branch"], step.base or values["base"]
    # Issue titles end up in the commit message (printed raw by `git log`) and on GitHub.
    title = inert(render(step.title or "{group}", values).strip() or values["group"])
    body = render(step.body or "{issue_ids}", values) + _not_run_note(values)
    body = inert(body + usage_note(ctx, "pull_request"))
    github_repo = values.get("github_repo") or ""
    if not github_repo:
        raise StepFailed(
            "no GitHub repository: the remote is not on github.com; pass --github-repo OWNER/NAME"
        )
    check_credentials()
    host = ctx.host  # a run that worked on a host: commit and push there (steps.on_host)
    where = f" on host {host.name!r}" if host is not None else ""
    sha = git.commit_all(ctx.worktree, title, host)
    if sha:
        ctx.event("git", f"committed the remaining changes{where} as {sha[:10]}", commit=sha)
    if git.commits_ahead(ctx.worktree, base, host) == 0:
        raise StepFailed(
            f"nothing to open a pull request for: branch {branch} has no commits beyond {base}"
        )
    git.push(ctx.worktree, branch, host=host)
    if host is not None:
        ctx.event("git", f"pushed {branch} from host {host.name!r} to its origin", host=host.name)
    else:
        ctx.event("git", f"pushed {branch}")
    body += _recordings(ctx, github_repo)
    pull = create_pull_request(
        github_repo, head=branch, base=base, title=title, body=body, draft=step.draft
    )
    verb = "opened" if pull.created else "found the open"
    ctx.event("pull_request", f"{verb} pull request {pull.url}", url=pull.url)
    ctx.runs.update(ctx.run.id, pr_url=pull.url)
    ctx.values["pr_url"], ctx.values["pr_number"] = pull.url, str(pull.number)
    return StepResult(ok=True, outputs={"url": pull.url, "number": pull.number})
