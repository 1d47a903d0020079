"""The slot step: push the branch, wait for the shared environment, deploy, ask QA, wait for
the verdict.

The run queues for ``[slots.NAME]`` (first come, first served; see ``runs.slots.book``),
deploys its pushed commit once it holds the slot, posts the QA link and the commit on every
issue and moves them to the QA state, then polls the issues for QA's verdict while it renews
its lease. Pass: the slot is released and the run goes on. Fail: QA's words are the step's
``{failure}``, so its ``on_fail`` step (the implementing agent) gets them as a new round; the
slot is kept for that round (or given up, ``on_qa_fail = "requeue"``) and this step runs
again: push, deploy, ask. No verdict in ``verdict_timeout``: the slot is released and the run
waits for a person (a verdict on the issue still moves it on).

Resuming is safe at every point: the hold survives a short death (the lease), a commit
already deployed in this hold is not deployed again, each post is recorded per attempt, and
the wait keeps its start, so a verdict given meanwhile is still read.
"""

from __future__ import annotations

import time
from typing import Any

from workflows.base import crashpoints
from workflows.base.childenv import shell_env
from workflows.base.errors import AgentTuiError
from workflows.forge import git
from workflows.issues.model import IssueSource
from workflows.runs.slots import heartbeat
from workflows.runs.slots.book import NO_PRIORITY, SlotBook
from workflows.runs.slots.config import SlotConfig, load_slot
from workflows.runs.slots.verdict import Baseline, Verdict, run_verdict
from workflows.runs.steps.base import StepContext, StepFailed, StepResult
from workflows.runs.steps.linear import post_to_issues
from workflows.runs.steps.on_host import on_pushing_host, pushing_host, pushing_side
from workflows.runs.steps.shell import TAIL_CHARS, URL, local_process, run_logged

QUEUE_POLL_S = 0.5


def qa_heading(slot: str) -> str:
    """How the QA link comment starts (a QA stand-in looks for it)."""
    return f"Deployed to {slot} for QA"


def run_slot(ctx: StepContext) -> StepResult:
    from workflows.issues import open_source

    try:
        slot = load_slot(ctx.step.slot or "")
    except AgentTuiError as error:
        raise StepFailed(str(error)) from error
    book = SlotBook()
    source = open_source(ctx.run.params.get("source"))
    commit = on_pushing_host(ctx, lambda: _push(ctx))  # its host out of reach: waited for
    while True:
        _hold(ctx, book, slot, source)
        _baselines(ctx, source, slot)  # before the deploy: a verdict given at once counts
        url = _deploy(ctx, book, slot, commit)
        if url is None:
            book.release(slot.name, ctx.run.id, f"deploy of {commit[:10]} failed")
            heartbeat.stop(slot.name, ctx.run.id)
            return StepResult(ok=False, failure=_attempt(ctx)["deploy_failure"])
        _announce(ctx, slot, url, commit)
        verdict = _await_verdict(ctx, book, slot, source, commit)
        if verdict is not None:
            break
        # The hold was lost (expired while away, released or handed over by a person).
        ctx.event("slot", f"no longer holds {slot.name}: queueing again to deploy {commit[:10]}")
        _attempt(ctx, held=None)
    ctx.runs.update_context(ctx.run.id, attention=None, qa_waiting=None)
    outputs: dict[str, Any] = {"slot": slot.name, "url": url, "commit": commit}
    if verdict.passed:
        _give_up(ctx, book, slot, f"QA passed ({verdict.how} on {verdict.issue})")
        ctx.event("qa", f"QA passed on {slot.name} ({verdict.how} on {verdict.issue})")
        return StepResult(ok=True, outputs={**outputs, "verdict": "pass"})
    ctx.event(
        "qa",
        f"QA failed on {slot.name} ({verdict.how} on {verdict.issue}): "
        f"{verdict.text.strip().splitlines()[0][:200] if verdict.text.strip() else ''}",
    )
    last_round = not ctx.step.on_fail or ctx.round >= ctx.step.max_rounds
    if last_round:  # no fix round follows: the run fails or goes on without staging
        _give_up(ctx, book, slot, "QA failed; no fix round left")
    elif slot.on_qa_fail == "requeue":
        _give_up(ctx, book, slot, "QA failed; queueing again after the fix")
    else:
        ctx.event("slot", f"keeps {slot.name} through the fix round")
    failure = (
        f"QA failed the deploy of {commit[:10]} on {slot.name} ({url}); "
        f"{verdict.how} on {verdict.issue}:\n\n{verdict.text}"
    )
    return StepResult(ok=False, outputs={**outputs, "verdict": "fail"}, failure=failure)


def _attempt(ctx: StepContext, **changes: Any) -> dict[str, Any]:
    """This attempt's notes in the run context (kept across a runner's death)."""
    saved = ctx.runs.get(ctx.run.id).context.get("slot") or {}
    notes: dict[str, Any] = saved if saved.get("seq") == ctx.seq else {"seq": ctx.seq}
    if changes:
        notes = {**notes, **changes}
        ctx.runs.update_context(ctx.run.id, slot=notes)
    return notes


def _push(ctx: StepContext) -> str:
    """Commit what the agents left and push the branch (the PR follows it); the commit."""
    branch = ctx.values["branch"]
    with pushing_side(ctx) as (worktree, host):  # a run that worked on a host: from there
        sha = git.commit_all(worktree, f"{ctx.values.get('group') or branch}: fixes", host)
        if sha:
            ctx.event("git", f"committed the remaining changes as {sha[:10]}", commit=sha)
        try:
            git.push(worktree, branch, host=host)
        except git.GitError as error:
            raise StepFailed(str(error)) from error
        head = git.git(worktree, "rev-parse", "HEAD", host=host).stdout.strip()
    if _attempt(ctx).get("pushed") != head:
        ctx.event("git", f"pushed {branch} at {head[:10]}", commit=head)
        _attempt(ctx, pushed=head)
    return head


def _priority(ctx: StepContext, slot: SlotConfig, source: IssueSource) -> int:
    if not slot.priority:
        return NO_PRIORITY
    ranks = []
    for issue in ctx.run.issues:
        try:
            found = source.get_issue(issue).priority
        except AgentTuiError:
            continue
        ranks.append(found if found else NO_PRIORITY)
    return min(ranks, default=NO_PRIORITY)


def _hold(ctx: StepContext, book: SlotBook, slot: SlotConfig, source: IssueSource) -> None:
    """Queue until this run holds the slot; then keep it alive from this process."""
    priority = _priority(ctx, slot, source)
    told = False
    while not book.acquire(
        slot.name,
        ctx.run.id,
        lease=slot.lease,
        max_holders=slot.max_holders,
        priority=priority,
        use_priority=slot.priority,
    ):
        if not told:
            view = book.view(slot.name, lease=slot.lease, use_priority=slot.priority)
            ahead = (
                [w.run_id for w in view.queue].index(ctx.run.id)
                if any(w.run_id == ctx.run.id for w in view.queue)
                else len(view.queue)
            )
            holders = ", ".join(h.run_id for h in view.holders) or "nobody (expiring)"
            eta = view.eta(ahead, time.time(), slot.max_holders)
            said = f", ETA {eta:.0f} s" if eta is not None else ""
            ctx.event(
                "slot",
                f"queued for {slot.name}: held by {holders}, {ahead} ahead{said}",
                slot=slot.name,
            )
            ctx.runs.update_context(ctx.run.id, attention=None)
            told = True
        ctx.sleep(QUEUE_POLL_S)
    heartbeat.keep_alive(slot, ctx.run.id)
    if _attempt(ctx).get("held") != slot.name:
        ctx.event("slot", f"holds {slot.name}", slot=slot.name)
        _attempt(ctx, held=slot.name)
    crashpoints.reached("slot-held")


def _deploy(ctx: StepContext, book: SlotBook, slot: SlotConfig, commit: str) -> str | None:
    """Deploy ``commit`` unless this hold already did; the QA link (None: deploy failed)."""
    view = book.view(slot.name, lease=slot.lease)
    mine = next((h for h in view.holders if h.run_id == ctx.run.id), None)
    notes = _attempt(ctx)
    if mine is not None and mine.deployed == commit and notes.get("url"):
        return str(notes["url"])
    values = {
        "branch": ctx.values["branch"],
        "commit": commit,
        "slot": slot.name,
        "run_id": ctx.run.id,
    }
    argv = slot.deploy_argv(values)
    env = shell_env(
        {f"AGENTTUI_{key.upper()}": value for key, value in values.items()},
        ctx.workflow.env_from,
    )
    log_path = ctx.worktree / ".agenttui" / f"deploy-{slot.name}.log"
    ctx.event("deploy", f"deploying {commit[:10]} to {slot.name}: {' '.join(argv)}")
    start = local_process(ctx, argv, env)
    code = run_logged(ctx, start, log_path, shown=" ".join(argv), timeout=slot.deploy_timeout)
    output = log_path.read_text(encoding="utf-8", errors="replace")[-TAIL_CHARS:]
    if code != 0:
        ctx.event("deploy", f"deploy to {slot.name} failed with exit code {code}")
        _attempt(
            ctx,
            deploy_failure=f"The deploy of {commit[:10]} to {slot.name} "
            f"(`{' '.join(argv)}`) exited with code {code}.\nIts output (last part):\n\n{output}",
        )
        return None
    printed = URL.findall(output)
    url = slot.url or (printed[-1] if printed else "")
    book.mark_deployed(slot.name, ctx.run.id, commit)
    _attempt(ctx, url=url)
    ctx.event("deploy", f"deployed {commit[:10]} to {slot.name}" + (f" at {url}" if url else ""))
    crashpoints.reached("slot-deployed")
    return url


def _announce(ctx: StepContext, slot: SlotConfig, url: str, commit: str) -> None:
    """The QA link and the commit on every issue, and the issues moved to the QA state."""
    where = url or f"the {slot.name} environment"
    comment = (
        f"{qa_heading(slot.name)}: {where}\n"
        f"Branch {ctx.values['branch']} at commit {commit}"
        + (f"\nPull request: {ctx.values['pr_url']}" if ctx.values.get("pr_url") else "")
        + f'\n\nQA: comment "{slot.pass_word}" or "{slot.fail_word}: what is wrong"'
    )
    # Moved first: once QA reads the link, a state they set is not overwritten by ours.
    post_to_issues(ctx, state=slot.qa_state)
    post_to_issues(ctx, comment=comment, comment_key=f"qa-{commit[:12]}")


def _baselines(ctx: StepContext, source: IssueSource, slot: SlotConfig) -> dict[str, Baseline]:
    """The issues just before this attempt's deploy (kept across a resume): what changes
    after it is QA's verdict, so a verdict given at once is not missed, nor an old one (a
    fail label or state left from the last round) read again. An issue this step moved to
    the QA state has that state as its baseline."""
    saved: dict[str, dict[str, Any]] = _attempt(ctx).get("baselines") or {}
    if not saved:
        now = time.time()
        for issue in ctx.run.issues:
            found = source.get_issue(issue)
            saved[issue] = {"since": now, "state": found.state, "labels": list(found.labels)}
        _attempt(ctx, baselines=saved)
    moved = {
        str(event["data"].get("issue"))
        for event in ctx.runs.events(ctx.run.id)
        if event["kind"] == "linear"
        and event["data"].get("seq") == ctx.seq
        and event["data"].get("action") == "state"
    }
    return {
        issue: Baseline(
            slot.qa_state if issue in moved and slot.qa_state else str(entry["state"]),
            tuple(entry["labels"]),
            float(entry["since"]),
        )
        for issue, entry in saved.items()
    }


def _await_verdict(
    ctx: StepContext, book: SlotBook, slot: SlotConfig, source: IssueSource, commit: str
) -> Verdict | None:
    """Poll the issues until QA's verdict (None: the hold was lost meanwhile)."""
    baselines = _baselines(ctx, source, slot)
    since = min(baseline.since for baseline in baselines.values())
    ctx.event("qa", f"waiting for QA's verdict on {slot.name}")
    # What the app shows and gives its QA keys for (runs.slots.overview.give_verdict).
    url = _attempt(ctx).get("url") or ""
    ctx.runs.update_context(ctx.run.id, qa_waiting={"slot": slot.name, "url": url})
    crashpoints.reached("slot-waiting")
    released = bool(_attempt(ctx).get("timed_out"))
    while True:
        if not released and not book.renew(slot.name, ctx.run.id, lease=slot.lease):
            heartbeat.stop(slot.name, ctx.run.id)
            ctx.runs.update_context(ctx.run.id, qa_waiting=None)
            return None
        try:
            issues = [source.get_issue(issue) for issue in ctx.run.issues]
        except AgentTuiError as error:  # Linear down for a moment: say so, keep waiting
            ctx.event("warning", f"could not read the issues for QA's verdict: {error}")
            issues = []
        verdict = run_verdict(issues, slot, baselines)
        if verdict is not None:
            return verdict
        if not released:
            _notice_other_push(ctx, commit)
            if time.time() - since > slot.verdict_timeout:
                _time_out(ctx, book, slot)
                released = True
        ctx.sleep(slot.poll)


def _time_out(ctx: StepContext, book: SlotBook, slot: SlotConfig) -> None:
    waited = f"{slot.verdict_timeout:.0f} s"
    _give_up(ctx, book, slot, f"no QA verdict in {waited}")
    _attempt(ctx, timed_out=True)
    waiting = f"QA's verdict: none in {waited} on {slot.name}; the slot was released"
    ctx.runs.update_context(ctx.run.id, attention=waiting)
    ctx.event("attention", f"{waiting}; a person is needed")
    post_to_issues(
        ctx,
        comment=f"No QA verdict within {waited}: {slot.name} was released for the next run. "
        f'Comment "{slot.pass_word}" or "{slot.fail_word}: …" here to move this run on.',
        comment_key="qa-timeout",
    )


def _notice_other_push(ctx: StepContext, commit: str) -> None:
    """Someone else pushed to the branch while it is on staging: say it, once per commit."""
    branch = ctx.values["branch"]
    host = pushing_host(ctx)  # the origin the branch is pushed to
    where = host.repo if host is not None else ctx.worktree
    found = git.git(where, "ls-remote", "origin", f"refs/heads/{branch}", check=False, host=host)
    remote = found.stdout.split()[0] if found.returncode == 0 and found.stdout.strip() else ""
    noticed = set(_attempt(ctx).get("noticed") or [])
    if not remote or remote == commit or remote in noticed:
        return
    _attempt(ctx, noticed=sorted(noticed | {remote}))
    text = (
        f"Branch {branch} was pushed by someone else while on staging: it is now at "
        f"{remote[:10]}, staging runs {commit[:10]}"
    )
    ctx.event("warning", text, commit=remote)
    post_to_issues(ctx, comment=text, comment_key=f"push-{remote[:12]}")


def _give_up(ctx: StepContext, book: SlotBook, slot: SlotConfig, reason: str) -> None:
    heartbeat.stop(slot.name, ctx.run.id)
    if book.release(slot.name, ctx.run.id, reason):
        ctx.event("slot", f"released {slot.name}: {reason}", slot=slot.name)
