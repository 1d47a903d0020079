"""The ``pr_feedback`` step: watch the pull request; reviews, red checks and conflicts with
the base come back as fix rounds, until it is approved with green checks.

Each attempt first pushes what the last fix round committed (the PR is updated), then polls
GitHub (conditional requests: see ``forge.pull_feedback``) until one of:

- a review asking for changes, or review comments, not handled before: the step fails with
  their text (untrusted, made inert, quoted verbatim) and each comment's ``path:line``;
- a check run that failed on the head commit: the step fails with its name and log tail;
- a conflict with the base: the step fails asking to rebase onto (``conflicts = "rebase"``)
  or merge (``"merge"``, the default) ``origin/<base>``, fetched first;
- approved and every check green (and no conflict), and the base branch's protection allows
  the merge (GitHub's ``mergeable_state`` is not ``blocked``): the step passes; when that
  protection wants the branch up to date (``behind``), the base is merged in (or rebased onto)
  and pushed first, without an agent round, and the new head's checks are waited for;
- merged by someone: it passes; closed: it fails.

Feedback first seen is held for ``settle`` seconds (default ``DEFAULT_SETTLE_S``) and the
round starts with everything that arrived by then: a review and its inline comments, or the
checks of one CI run, land moments apart and make one round, not two back to back (each costs
an agent's turn and a push that starts CI again). Nothing waits when nothing came back.

A failure goes to the step's ``on_fail`` remedy (the implementing agent, with ``{failure}``)
and the step runs again, bounded by ``max_rounds``: the engine's loop. The ids of the reviews,
comments and check runs a round was started for are saved with the attempt (in the same
transaction as the cursor), so a runner killed at any point never starts a round twice for
the same feedback nor loses one. A fix round never starts while the remedy's agent holds text
agenttui did not send (a person typing in it) or is busy: it waits, saying so.
"""

from __future__ import annotations

import dataclasses
import time

from workflows.base import crashpoints
from workflows.base.untrusted import inert
from workflows.forge import git
from workflows.forge.github import GitHubError
from workflows.forge.pull_feedback import CheckRun, PullRequestApi, PullSnapshot
from workflows.runs.steps.base import StepContext, StepFailed, StepResult
from workflows.runs.steps.on_host import on_pushing_host, pushing_host, pushing_side

DEFAULT_POLL_S = 30.0
# A step option (``settle``) rather than a constant: how far apart feedback lands depends on
# the project's CI and reviewers (a CI whose jobs end a minute apart wants more; 0 turns it
# off). A few seconds cover a review submitted with its comments and checks of one run.
DEFAULT_SETTLE_S = 5.0
CONFLICT_WAYS = ("merge", "rebase")


def run_pr_feedback(ctx: StepContext) -> StepResult:
    step = ctx.step
    repo, number = ctx.values.get("github_repo") or "", ctx.values.get("pr_number") or ""
    if not repo or not number.isdigit():
        raise StepFailed("no pull request to watch: a pr_feedback step follows a pull_request step")
    handled = handled_ids(ctx)
    api = PullRequestApi(repo, int(number))
    on_pushing_host(ctx, lambda: _push_fixes(ctx, api))  # its host out of reach: waited for
    return _watch(ctx, api, handled, time.monotonic() + step.effective_timeout())


def _watch(ctx: StepContext, api: PullRequestApi, handled: set[str], deadline: float) -> StepResult:
    """Poll until something comes back or the PR is ready, logging what it waits for."""
    step, number = ctx.step, api.number
    waiting_for, last_error = "", ""
    settle = DEFAULT_SETTLE_S if step.settle is None else step.settle
    held_until: float | None = None  # feedback came back: its round starts then
    while True:
        try:
            snap = api.snapshot()
        except GitHubError as error:
            if error.lasting:
                raise StepFailed(f"cannot watch pull request #{number}: {error}") from error
            snap = None  # a blip (rate limit, 5xx, no answer): told once, polled again
            if str(error) != last_error:
                ctx.event("warning", f"could not read the pull request: {error}")
            last_error = str(error)
        if snap is not None:
            last_error = ""
            came_back = _came_back(snap, handled)
            if not came_back:
                held_until = None
            elif held_until is None and settle > 0:
                held_until = time.monotonic() + settle
                ctx.event(
                    "pr_feedback",
                    f"pull request #{number}: {' + '.join(came_back)} came back; the fix round "
                    f"starts in {settle:g}s with the reviews, comments and checks arriving by then",
                )
            if held_until is not None and time.monotonic() < held_until:
                ctx.sleep(max(0.0, held_until - time.monotonic()))
                continue
            result = _decide(ctx, api, snap, handled)
            if result is not None:
                result.outputs.setdefault("handled", sorted(handled))
                result.outputs["not_modified"] = api.not_modified
                if not result.ok:
                    _wait_for_quiet_agent(ctx, deadline)
                    crashpoints.reached("pr-feedback-found")
                return result
            now_waiting = _waiting_for(snap, step.checks != "optional")
            if now_waiting != waiting_for:
                ctx.event("pr_feedback", f"pull request #{number}: waiting for {now_waiting}")
                waiting_for = now_waiting
        if time.monotonic() > deadline:
            raise StepFailed(
                f"pull request #{number} still waiting for {waiting_for or 'GitHub'} after "
                f"{step.effective_timeout():.0f}s; `agenttui resume {ctx.run.id}` watches again"
            )
        ctx.sleep(step.poll or DEFAULT_POLL_S)


def handled_ids(ctx: StepContext) -> set[str]:
    """Reviews, comments and check runs earlier attempts of this step started rounds for."""
    return {
        str(item)
        for attempt in ctx.runs.attempts(ctx.run.id)
        if attempt.step_id == ctx.step.id
        for item in attempt.outputs.get("handled", [])
    }


def _decide(
    ctx: StepContext, api: PullRequestApi, snap: PullSnapshot, handled: set[str]
) -> StepResult | None:
    """The attempt's result from what the pull request shows, or None: keep watching."""
    if snap.merged:
        ctx.event("pr_feedback", f"pull request #{snap.number} was merged")
        return StepResult(ok=True, outputs={"merged": True, "head_sha": snap.head_sha})
    if snap.state != "open":
        raise StepFailed(f"pull request #{snap.number} was closed without being merged")
    # Everything that came back goes into one round: one push, one new CI run.
    parts: list[str] = []
    ids: set[str] = set()
    kinds: list[str] = []
    feedback = review_feedback(snap, handled)
    if feedback:
        parts.append(feedback[0])
        ids |= feedback[1]
        kinds.append("review")
        ctx.event("pr_feedback", f"changes asked on #{snap.number}")
    red = _red(snap, handled)
    if red:
        names = ", ".join(run.name for run in red)
        ctx.event("pr_feedback", f"check(s) failed on #{snap.number}: {names}")
        parts.append(checks_feedback(red, {run.id: api.log_tail(run) for run in red}))
        ids |= {run.key for run in red}
        kinds.append("checks")
    if snap.conflict:
        base = ctx.values.get("base") or "main"
        host = pushing_host(ctx)  # where the fix round will work: its origin/BASE fresh
        where = host.repo if host is not None else ctx.worktree
        git.git(where, "fetch", "-q", "origin", base, check=False, host=host)
        ctx.event("pr_feedback", f"#{snap.number} conflicts with {base}")
        parts.append(conflict_feedback(ctx.step.conflicts or "merge", base))
        kinds.append("conflict")
    if parts:
        ctx.event("pr_feedback", f"a fix round starts ({' + '.join(kinds)})")
        return StepResult(
            ok=False,
            outputs={
                "handled": sorted(handled | ids),
                "round": "+".join(kinds),
                "feedback": "\n".join(parts),
                "head_sha": snap.head_sha,
            },
            failure="\n".join(parts),
        )
    green = snap.checks_state(required=ctx.step.checks != "optional") == "green"
    if not (snap.approved and green) or snap.blocked:
        return None
    if snap.behind:
        _bring_up_to_date(ctx, api, snap)
        return None  # the new head's checks come next
    ctx.event("pr_feedback", f"pull request #{snap.number} approved, checks green")
    return StepResult(ok=True, outputs={"approved": True, "head_sha": snap.head_sha})


def _came_back(snap: PullSnapshot, handled: set[str]) -> list[str]:
    """What on the open pull request would start a fix round (its kinds), cheaply: nothing
    fetched or logged, so a held round can look again."""
    if snap.merged or snap.state != "open":
        return []
    kinds = ["review"] if review_feedback(snap, handled) else []
    kinds += ["checks"] if _red(snap, handled) else []
    return kinds + (["conflict"] if snap.conflict else [])


def _red(snap: PullSnapshot, handled: set[str]) -> list[CheckRun]:
    return [run for run in snap.checks if run.failed and run.key not in handled]


def review_feedback(snap: PullSnapshot, handled: set[str]) -> tuple[str, set[str]] | None:
    """Reviews asking for changes and review comments not handled yet, as the fix prompt's
    text (each person's words inert and verbatim), with their ids; None when there are none."""
    reviews = [
        r
        for r in snap.reviews
        if r.key not in handled
        and (r.state == "CHANGES_REQUESTED" or (r.body and r.state == "COMMENTED"))
    ]
    comments = [c for c in snap.comments if c.key not in handled]
    if not any(r.state == "CHANGES_REQUESTED" for r in reviews) and not comments:
        return None
    parts = [f"Review feedback on pull request #{snap.number}:"]
    for review in reviews:
        said = "requested changes" if review.state == "CHANGES_REQUESTED" else "commented"
        parts.append(f"\n{review.user} {said}:\n{inert(review.body) or '(no text)'}")
    for comment in comments:
        where = f"{comment.path}:{comment.line}" if comment.line else comment.path or "(file?)"
        parts.append(f"\n{where} — {comment.user}:\n{inert(comment.body)}")
    return "\n".join(parts) + "\n", {r.key for r in reviews} | {c.key for c in comments}


def checks_feedback(red: list[CheckRun], logs: dict[int, str]) -> str:
    parts = ["Checks failed on the pull request's head commit:"]
    for run in red:
        parts.append(
            f"\n{run.name}: {run.conclusion}. The end of its log:\n\n{inert(logs.get(run.id, ''))}"
        )
    return "\n".join(parts) + "\n"


def conflict_feedback(way: str, base: str) -> str:
    how = (
        f"rebase the branch onto origin/{base} (`git rebase origin/{base}`)"
        if way == "rebase"
        else f"merge origin/{base} into the branch (`git merge origin/{base}`)"
    )
    return (
        f"The pull request conflicts with its base branch {base}. origin/{base} is fetched: "
        f"{how}, resolve every conflict, and commit the result. Do not push.\n"
    )


def _waiting_for(snap: PullSnapshot, required: bool) -> str:
    missing = []
    if not snap.approved:
        missing.append("an approving review")
    state = snap.checks_state(required=required)
    if state != "green":
        missing.append("checks to finish" if state == "pending" else "checks")
    if snap.mergeable is None:
        missing.append("GitHub to tell whether it merges cleanly")
    if snap.blocked and not missing:
        missing.append(
            "what the base branch's protection requires (GitHub says blocked: more approving "
            "reviews, a code owner's review, or a required check)"
        )
    return ", ".join(missing) or "GitHub"


def _bring_up_to_date(ctx: StepContext, api: PullRequestApi, snap: PullSnapshot) -> None:
    """The base branch's protection wants the branch to hold the base's head: merge it in
    (rebase with ``conflicts = "rebase"``, replacing only the head GitHub showed) and push.
    No agent round: GitHub said it merges cleanly. A failure stops the step with git's words."""
    base, branch = ctx.values.get("base") or "main", ctx.values["branch"]
    rebase = ctx.step.conflicts == "rebase"
    with pushing_side(ctx) as (worktree, host):
        git.git(worktree, "fetch", "-q", "origin", base, host=host)
        how = ["rebase", "-q"] if rebase else ["merge", "-q", "--no-edit"]
        who = git.identity_args(worktree, host)
        done = git.git(worktree, *who, *how, f"origin/{base}", check=False, host=host)
        if done.returncode != 0:
            git.git(worktree, how[0], "--abort", check=False, host=host)
            reason = (done.stderr or done.stdout).strip()
            raise StepFailed(f"bringing {branch} up to date with {base} failed: {reason}")
        git.push(worktree, branch, lease=snap.head_sha if rebase else None, host=host)
        head = git.git(worktree, "rev-parse", "HEAD", host=host).stdout.strip()
    ctx.event(
        "pr_feedback",
        f"pull request #{api.number} was behind {base}, and the base branch's protection wants "
        f"it up to date: {'rebased onto' if rebase else 'merged'} origin/{base}"
        f"{'' if rebase else ' in'}, pushed {head[:10]}",
    )


def _push_fixes(ctx: StepContext, api: PullRequestApi) -> None:
    """Commit what the last fix round left and push it, so the pull request shows it."""
    branch = ctx.values["branch"]
    message = f"Address feedback on the pull request (round {ctx.round})"
    with pushing_side(ctx) as (worktree, host):  # a run that worked on a host: from there
        sha = git.commit_all(worktree, message, host)
        if sha:
            ctx.event("git", f"committed the fix round's changes as {sha[:10]}", commit=sha)
        local = git.git(worktree, "rev-parse", "HEAD", host=host).stdout.strip()
        listed = git.git(worktree, "ls-remote", "origin", f"refs/heads/{branch}", host=host)
        remote = listed.stdout.split()
        if remote and remote[0] == local:
            return
        if not remote:  # merged and deleted (or closed) meanwhile: never bring the branch back
            ctx.event("pr_feedback", f"branch {branch} is gone from origin; nothing pushed")
            return
        # A rebase rewrote the branch: replace only the head the pull request had when the
        # conflict round started (nobody else's push is ever overwritten).
        lease = _rebased_from(ctx) if ctx.step.conflicts == "rebase" else None
        git.push(worktree, branch, lease=lease, host=host)
    where = f" from host {host.name!r}" if host is not None else ""
    ctx.event("git", f"pushed {branch} ({local[:10]}){where}: pull request #{api.number} updated")
    crashpoints.reached("pr-feedback-pushed")


def _rebased_from(ctx: StepContext) -> str | None:
    for attempt in reversed(ctx.runs.attempts(ctx.run.id)):
        round_kinds = str(attempt.outputs.get("round") or "").split("+")
        if attempt.step_id == ctx.step.id and "conflict" in round_kinds:
            return str(attempt.outputs.get("head_sha") or "") or None
    return None


def _wait_for_quiet_agent(ctx: StepContext, deadline: float) -> None:
    """Never start a fix round while a person types in the remedy's agent (its input box
    holds text agenttui did not send) or it is busy: wait, telling the run why."""
    if not ctx.step.on_fail:
        return
    remedy = ctx.workflow.steps[ctx.workflow.step_index(ctx.step.on_fail)]
    if remedy.kind != "agent":
        return
    from workflows.agents.delivery import input_holds
    from workflows.agents.settings import load_profile
    from workflows.runs.steps.sessions import find_pane, pane_name, profile_name_for
    from workflows.tmux.driver import TmuxDriver

    driver = TmuxDriver(ctx.target)
    told, why = False, ""
    try:
        pane = find_pane(driver, pane_name(ctx.run.id, remedy.session))
        if pane is None:
            return
        profile = load_profile(profile_name_for(dataclasses.replace(ctx, step=remedy)))
        while True:
            holds, busy = input_holds(driver, pane, "", profile=profile)
            if holds in ("empty", "exited") and not busy:
                break
            if not told:
                why = "is busy" if busy else "holds text agenttui did not send (a person typing)"
                message = f"{pane.name} ({pane.pane_id}) {why}: the fix round waits"
                # Not an "attention" event: nothing to approve or answer on Linear.
                ctx.event("waiting", message, pane=pane.pane_id)
                ctx.runs.update_context(ctx.run.id, attention=message)
                told = True
            if time.monotonic() > deadline:
                raise StepFailed(f"the fix round could not start: {pane.name} {why}")
            ctx.sleep()
    finally:
        if told:
            ctx.runs.update_context(ctx.run.id, attention=None)
            ctx.event("pr_feedback", "the agent's input box is free: the fix round starts")
        driver.close()
