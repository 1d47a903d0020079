"""What agents may do: policy, deny-list, guard, learning, audit, hook verb.

Approval policy: what an agent may do without asking a person.

Order of judgement for every tool request (Claude Code's PermissionRequest hook, or keys for
other agents): the hard deny-list (:mod:`.denylist`) → deny rules → ask rules → allow rules
(:mod:`.policy`, rules written as in Claude Code: :mod:`.rules`) → otherwise ask a person.
What the deny-list cannot judge (a delete of ``"$BUILD_DIR"``) goes to a person whatever the
allow rules say (``decided_by`` ``deny-list-ask:<category>``, the reason names the problem);
only a deny rule still refuses it.
A person's "always" teaches a generalised rule (:mod:`.learning`); every decision is
written to the audit log (:mod:`.audit`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflows.approvals import audit
from workflows.approvals.denylist import check_tool
from workflows.approvals.learning import LearningRefused, Proposal, propose, save
from workflows.approvals.paths import PathContext
from workflows.approvals.policy import evaluate, load_rules
from workflows.approvals.worktree import main_checkout as project_root
from workflows.base.store import Store

__all__ = [
    "Decision",
    "LearningRefused",
    "Proposal",
    "decide",
    "learn",
    "record_person",
]


@dataclass(frozen=True)
class Decision:
    behavior: str  # "allow", "deny" or "ask" (a person decides)
    decided_by: str  # "rule:<rules>", "deny-list:<category>", "deny-list-ask:<category>",
    # or "default"
    reason: str

    @property
    def final(self) -> bool:
        return self.behavior != "ask"


def decide(
    tool_name: str,
    tool_input: dict[str, Any],
    cwd: str | Path,
    agent: str,
    *,
    worktree: str | Path | None = None,
    project: Path | None = None,
    store: Store | None = None,
) -> Decision:
    """Judge one request and write it to the audit log.

    ``worktree`` bounds deletes and relative path rules (default: ``cwd``); ``project`` is
    the repository whose ``.agenttui/policy.toml`` applies (default: found from ``cwd``).
    """
    ctx = PathContext.for_cwd(cwd, worktree)
    hit = check_tool(tool_name, tool_input, ctx)
    if hit is not None and hit.behavior == "deny":
        decision = Decision("deny", f"deny-list:{hit.category}", hit.detail)
    else:
        verdict = evaluate(load_rules(cwd, project), tool_name, tool_input, ctx)
        if verdict.rules and (hit is None or verdict.behavior == "deny"):
            rules = ", ".join(str(rule) for rule in verdict.rules)
            sources = ", ".join(sorted({rule.source for rule in verdict.rules}))
            decision = Decision(verdict.behavior, f"rule:{rules}", f"{sources} policy")
        elif hit is not None:  # no allow rule may pass what the deny-list cannot judge
            decision = Decision("ask", f"deny-list-ask:{hit.category}", hit.detail)
        else:
            decision = Decision("ask", "default", "no rule decides this request")
    audit.record(
        store or Store(),
        agent=agent,
        tool=tool_name,
        tool_input=tool_input,
        decision=decision.behavior,
        decided_by=decision.decided_by,
        reason=decision.reason,
        cwd=str(cwd),
    )
    return decision


def record_person(
    tool_name: str,
    tool_input: dict[str, Any],
    cwd: str | Path,
    agent: str,
    behavior: str,
    *,
    store: Store | None = None,
) -> None:
    """Audit a person's answer (``allow`` or ``deny``) to a request left to them.

    A person may allow a deny-listed request once (the hook and the guard never show them
    one); the entry then names the deny-list case, and "always" still learns nothing. A
    request the deny-list left to a person is named the same way.
    """
    hit = check_tool(tool_name, tool_input, PathContext.for_cwd(cwd))
    reason = ""
    if hit is not None and behavior == "allow":
        answered = "overridden by" if hit.behavior == "deny" else "checked and allowed by"
        reason = f"deny-list {hit} {answered} a person, once"
    audit.record(
        store or Store(),
        agent=agent,
        tool=tool_name,
        tool_input=tool_input,
        decision=behavior,
        decided_by="person",
        reason=reason,
        cwd=str(cwd),
    )


def learn(
    tool_name: str,
    tool_input: dict[str, Any],
    cwd: str | Path,
    *,
    worktree: str | Path | None = None,
    behavior: str = "allow",
    scope: str = "project",
    project: Path | None = None,
) -> Proposal:
    """The rule "always" would add (``scope`` "project": for ``project``, default the one
    around ``cwd``; or "global"); show it, then :func:`save` it. Raises
    :class:`LearningRefused` for deny-listed requests."""
    ctx = PathContext.for_cwd(cwd, worktree)
    if scope != "project":
        project = None
    elif project is None:
        project = project_root(cwd)
    return propose(tool_name, tool_input, ctx, behavior=behavior, project=project)


def save_learned(proposal: Proposal, *, agent: str = "") -> Path:
    return save(proposal, agent=agent)
