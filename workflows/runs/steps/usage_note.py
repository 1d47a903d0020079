"""The run's tokens and cost as a closing paragraph of its pull request body or Linear
comment, when ``[cost] pull_request`` / ``linear_comment`` in config.toml ask for it.

Written once per attempt and kept in the run's context: a resumed attempt posts the same
text, so the Linear step's "already posted?" check still recognises its comment.
"""

from __future__ import annotations

from workflows.base.config import table
from workflows.runs.steps.base import StepContext
from workflows.runs.usage import run_usage

PLACES = ("pull_request", "linear_comment")


def usage_note(ctx: StepContext, place: str) -> str:
    config = table("cost")
    config.check_known(PLACES)
    if not config.get_bool(place, False):
        return ""
    key = f"usage_note:{ctx.seq}:{place}"
    saved = ctx.runs.get(ctx.run.id).context.get(key)
    if isinstance(saved, str):
        return saved
    usage = run_usage(ctx.runs.store, ctx.run.id)
    tokens = usage.tokens
    note = ""
    if tokens.total:
        note = (
            f"\n\nagenttui: this run used {tokens.total:,} tokens so far (input "
            f"{tokens.input:,}, output {tokens.output:,}, cache read {tokens.cache_read:,}, "
            f"cache write {tokens.cache_write:,}), cost {usage.cost_text()}.\n"
        )
    ctx.runs.update_context(ctx.run.id, **{key: note})
    return note
