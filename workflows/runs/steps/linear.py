"""Linear steps: comment, link a URL (the PR) and move the state, on every issue of the run.

Each action on each issue is recorded as an event once done, so a resumed run skips it. A
comment is also announced before it is posted: if the runner died between the two, the
resumed run looks for that exact comment on the issue before posting it again. (Links and
state changes are idempotent.) A failure names the issue, the action and the tracker's
message; a state the issue's team does not have is only a warning in the log.
"""

from __future__ import annotations

from workflows.base.errors import AgentTuiError, UsageError
from workflows.definitions.placeholders import render
from workflows.issues.model import IssueSource
from workflows.runs.issue_states import current_state
from workflows.runs.steps.base import StepContext, StepFailed, StepResult
from workflows.runs.steps.usage_note import usage_note


def run_linear(ctx: StepContext) -> StepResult:
    step = ctx.step
    done = post_to_issues(
        ctx,
        comment=(
            render(step.comment, ctx.values) + usage_note(ctx, "linear_comment")
            if step.comment
            else None
        ),
        link=render(step.link, ctx.values) if step.link else None,
        link_title=render(step.link_title, ctx.values) if step.link_title else None,
        state=render(step.state, ctx.values) if step.state else None,
    )
    return StepResult(ok=True, outputs={"actions": done})


def _recorded(ctx: StepContext, kind: str) -> set[tuple[str, str]]:
    return {
        (str(event["data"].get("issue")), str(event["data"].get("action")))
        for event in ctx.runs.events(ctx.run.id)
        if event["kind"] == kind and event["data"].get("seq") == ctx.seq
    }


def _already_commented(source: IssueSource, issue: str, body: str) -> bool:
    try:
        comments = source.get_issue(issue).comments
    except AgentTuiError:
        return False
    return any(comment.body.strip() == body.strip() for comment in comments)


def post_to_issues(
    ctx: StepContext,
    *,
    comment: str | None = None,
    link: str | None = None,
    link_title: str | None = None,
    state: str | None = None,
    comment_key: str = "comment",
) -> int:
    """Apply the actions to every issue of the run; returns how many were applied now.

    Each is recorded under its action name; ``comment_key`` names the comment instead, for
    callers that post more than one comment in an attempt."""
    from workflows.issues import open_source

    done, announced = _recorded(ctx, "linear"), _recorded(ctx, "linear-intent")
    source = open_source(ctx.run.params.get("source"))
    actions = [(comment_key, comment), ("link", link), ("state", state)]
    applied = 0
    for issue in ctx.run.issues:
        for key, value in actions:
            if not value or (issue, key) in done:
                continue
            action = "comment" if key == comment_key else key
            data: dict[str, object] = {"issue": issue, "action": key, "seq": ctx.seq}
            if action == "state":  # remembered, so a cancelled run can put it back
                data.update(state=value, previous=current_state(source, issue))
            summary = f"{action} on {issue}: {value.splitlines()[0][:120]}"
            if action == "comment":
                if (issue, key) in announced and _already_commented(source, issue, value):
                    ctx.event("linear", summary + " (found already posted)", **data)
                    continue
                ctx.event("linear-intent", f"posting a comment on {issue}", **data)
            try:
                if action == "comment":
                    source.comment(issue, value)
                elif action == "link":
                    source.link_url(issue, value, link_title or value)
                else:
                    source.set_state(issue, value)
            except UsageError as error:
                if action != "state":
                    raise StepFailed(f"{action} on {issue} failed: {error}") from error
                # A team without that state: the PR and the comment matter more than a move.
                ctx.event("warning", f"could not move {issue}: {error}", **data)
                continue
            except AgentTuiError as error:
                raise StepFailed(f"{action} on {issue} failed: {error}") from error
            ctx.event("linear", summary, **data)
            applied += 1
    return applied
