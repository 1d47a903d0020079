"""IssueDetail: the highlighted issue beside the list — what it says and what was done on it.

Title, state, priority, assignee, labels, project; parent, children and relations; the
description and the comments as Markdown; the runs already made for it with their pull
requests. Issue text is untrusted: Textual reads no markup in it, and control characters
are made visible (workflows/base/untrusted.py), so an issue cannot restyle the screen or send the
terminal an escape sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown, Static

from workflows.base.untrusted import inert
from workflows.issues.model import Issue
from workflows.runs.records import RunSummary

PRIORITIES = {0: "no priority", 1: "urgent", 2: "high", 3: "medium", 4: "low"}
RELATION_WORDS = {
    ("blocks", "outgoing"): "blocks",
    ("blocks", "incoming"): "blocked by",
    ("duplicate", "outgoing"): "duplicate of",
    ("duplicate", "incoming"): "duplicated by",
    ("related", "outgoing"): "related to",
    ("related", "incoming"): "related to",
    ("similar", "outgoing"): "similar to",
    ("similar", "incoming"): "similar to",
}
RUN_STYLES = {"running": "bold cyan", "succeeded": "green", "failed": "bold red"}


@dataclass(frozen=True)
class IssueView:
    """An issue with the runs made for it (RunRecord summaries, oldest first)."""

    issue: Issue
    runs: list[RunSummary] = field(default_factory=list)
    error: str = ""  # why the full detail could not be fetched (the listed fields show)
    session: list[dict[str, Any]] = field(default_factory=list)
    """Its agent-session stream (workflows.runs.agent_sessions.stream.issue_stream)."""


def header_text(issue: Issue) -> Text:
    text = Text(f"{inert(issue.identifier)} {inert(issue.title)}", style="bold")
    facts = [issue.state or "no state"]
    if issue.priority is not None:
        facts.append(PRIORITIES.get(issue.priority, f"priority {issue.priority}"))
    facts.append(f"assignee {issue.assignee}" if issue.assignee else "unassigned")
    if issue.project:
        facts.append(f"project {issue.project}")
    if issue.team:
        facts.append(f"team {issue.team}")
    text.append("\n" + inert(" · ".join(facts)), style="dim")
    if issue.labels:
        text.append("\n")
        for label in issue.labels:
            text.append(f" {inert(label)} ", style="reverse")
            text.append(" ")
    if issue.url:
        text.append("\n" + inert(issue.url), style="underline dim")
    return text


def links_text(issue: Issue) -> Text:
    lines: list[str] = []
    if issue.parent:
        lines.append(f"parent {issue.parent}")
    if issue.children:
        lines.append(f"children {', '.join(issue.children)}")
    for relation in issue.relations:
        word = RELATION_WORDS.get((relation.type, relation.direction), relation.type)
        lines.append(f"{word} {relation.issue}")
    return Text(inert("\n".join(lines)))


def runs_text(runs: list[RunSummary]) -> Text:
    if not runs:
        return Text("no runs yet", style="dim")
    text = Text()
    for run in runs:
        status = str(run.status)
        text.append(f"{run.id} ", style="bold")
        text.append(f"{run.workflow} ")
        text.append(status, style=RUN_STYLES.get(status, "dim"))
        if run.pr_url:
            text.append(f"  PR {run.pr_url}", style="underline")
        text.append("\n")
    text.rstrip()
    return text


SESSION_MARKS = {
    "thought": ("…", "dim"),
    "action": ("▸", "cyan"),
    "elicitation": ("?", "bold yellow"),
    "response": ("✓", "green"),
    "error": ("✗", "bold red"),
    "prompt": ("›", "bold"),
    "stop": ("■", "bold red"),
}


def session_text(entries: list[dict[str, Any]]) -> Text:
    """The agent session as Linear shows it: one line per activity or person's message."""
    text = Text()
    for entry in entries:
        mark, style = SESSION_MARKS.get(str(entry["type"]), ("·", "dim"))
        first = inert(str(entry["text"])).strip().splitlines() or [""]
        text.append(f"{mark} {entry['type']:<11} ", style=style)
        text.append(first[0][:200])
        if entry.get("status") not in ("posted", None):
            text.append(f"  [{inert(str(entry['status']))}]", style="dim")
        text.append("\n")
    text.rstrip()
    return text


def comments_markdown(issue: Issue) -> str:
    if not issue.comments:
        return "*no comments*"
    parts = []
    for comment in issue.comments:
        who = inert(comment.author or "someone")
        when = inert(comment.created_at or "")
        parts.append(f"**{who}** {when}\n\n{inert(comment.body)}")
    return "\n\n---\n\n".join(parts)


class IssueDetail(VerticalScroll):
    DEFAULT_CSS = """
    IssueDetail {
        height: 1fr;
        padding: 0 1;
    }
    IssueDetail > .section {
        margin-top: 1;
        text-style: bold;
        color: $text-muted;
    }
    IssueDetail > Markdown {
        margin: 0;
        padding: 0;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._markdown: dict[str, str] = {}

    def _set_markdown(self, widget_id: str, text: str) -> None:
        """Update a Markdown only when its text changed: an update re-mounts its blocks,
        which would blank it for a frame every time the issue is re-read."""
        if self._markdown.get(widget_id) != text:
            self._markdown[widget_id] = text
            self.query_one(f"#{widget_id}", Markdown).update(text)

    def compose(self) -> ComposeResult:
        yield Static("", id="issue-head")
        yield Static("", id="issue-error")
        yield Static("", id="issue-links")
        yield Markdown("", id="issue-description")
        yield Static("Runs and pull requests", classes="section")
        yield Static("", id="issue-runs")
        yield Static("Agent session", classes="section", id="session-title")
        yield Static("", id="issue-session")
        yield Static("Comments", classes="section", id="comments-title")
        yield Markdown("", id="issue-comments")

    def show(self, view: IssueView | None) -> None:
        if view is None:
            self.query_one("#issue-head", Static).update(Text("no issue highlighted", style="dim"))
            for widget_id in ("#issue-links", "#issue-error", "#issue-runs", "#issue-session"):
                self.query_one(widget_id, Static).update("")
            self._set_markdown("issue-description", "")
            self._set_markdown("issue-comments", "")
            return
        issue = view.issue
        self.query_one("#issue-head", Static).update(header_text(issue))
        error = self.query_one("#issue-error", Static)
        error.update(Text(inert(view.error), style="yellow"))
        error.display = bool(view.error)
        links = links_text(issue)
        self.query_one("#issue-links", Static).update(links)
        self.query_one("#issue-links").display = bool(links.plain)
        description = inert(issue.description) or "*no description*"
        self._set_markdown("issue-description", description)
        self.query_one("#issue-runs", Static).update(runs_text(view.runs))
        self.query_one("#issue-session", Static).update(session_text(view.session))
        for widget_id in ("#session-title", "#issue-session"):
            self.query_one(widget_id).display = bool(view.session)
        count = len(issue.comments)
        self.query_one("#comments-title", Static).update(f"Comments ({count})")
        self._set_markdown("issue-comments", comments_markdown(issue))
