"""CLI verbs of the issues group: issues, issue, groups, comment (see tui/cli.py).

agenttui issues [--source linear|local] [--team ENG] [--mine] [--state-type started]
                [--label bug] [--project NAME] [--since -P1D] [--search TEXT] [--json]
agenttui issue ENG-12 [--json]
agenttui groups [filters] [--all] [--json]
agenttui comment ENG-12 "text"          (TEXT "-" reads the comment from stdin)
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tui.output import say
from workflows.base.errors import EXIT_ERROR


def _source_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        choices=["linear", "local"],
        help="issue source (default: linear when a key is configured, else local)",
    )


def _filter_options(parser: argparse.ArgumentParser) -> None:
    _source_option(parser)
    parser.add_argument("--team", help="team key, e.g. ENG")
    parser.add_argument("--mine", action="store_true", help="only issues assigned to me")
    parser.add_argument(
        "--state-type",
        action="append",
        default=[],
        metavar="TYPE",
        choices=["backlog", "unstarted", "started", "completed", "canceled", "triage"],
        help="backlog|unstarted|started|completed|canceled|triage (repeatable)",
    )
    parser.add_argument("--label", action="append", default=[], help="any of these labels")
    parser.add_argument("--project", help="project name")
    parser.add_argument("--since", help="updated since: ISO time or duration like -PT1H, -P2D")
    parser.add_argument("--search", help="text in title or description")
    parser.add_argument("--limit", type=int, help="at most this many issues")
    parser.add_argument(
        "--delegated",
        action="store_true",
        help="only issues delegated to (or mentioning) agenttui's Linear app",
    )


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """Add this group's verbs; each sets `handler` with set_defaults."""
    issues = subparsers.add_parser("issues", parents=[common], help="list issues")
    _filter_options(issues)
    issues.set_defaults(handler=list_issues, formatter=format_issues)

    groups = subparsers.add_parser(
        "groups", parents=[common], help="suggest groups of related issues, with reasons"
    )
    _filter_options(groups)
    groups.add_argument("--all", action="store_true", help="also list lone issues")
    groups.set_defaults(handler=suggest, formatter=format_groups)

    issue = subparsers.add_parser("issue", parents=[common], help="one issue in full")
    _source_option(issue)
    issue.add_argument("id", metavar="ID", help="identifier (ENG-12) or id")
    issue.set_defaults(handler=show_issue, formatter=format_issue)

    comment = subparsers.add_parser("comment", parents=[common], help="comment on an issue")
    _source_option(comment)
    comment.add_argument("id", metavar="ID")
    comment.add_argument("text", metavar="TEXT", help='comment body; "-" reads stdin')
    comment.set_defaults(handler=add_comment)

    state = subparsers.add_parser(
        "issue-state", parents=[common], help="move an issue to a state, by name"
    )
    _source_option(state)
    state.add_argument("id", metavar="ID")
    state.add_argument("state", metavar="STATE", help='state name, e.g. "In Review"')
    state.set_defaults(handler=set_state)

    link = subparsers.add_parser(
        "issue-link", parents=[common], help="attach a URL (a pull request) to an issue"
    )
    _source_option(link)
    link.add_argument("id", metavar="ID")
    link.add_argument("url", metavar="URL")
    link.add_argument("--title", help="attachment title (default: the URL)")
    link.set_defaults(handler=link_url)


def _filters(args: argparse.Namespace) -> Any:
    from workflows.issues.model import IssueFilters
    from workflows.issues.search import parse_time

    if args.since:
        parse_time(args.since)  # a clear usage error before any request
    return IssueFilters(
        team=args.team,
        assignee_me=args.mine,
        state_types=args.state_type,
        labels=args.label,
        project=args.project,
        updated_since=args.since,
        text=args.search,
        limit=args.limit,
        delegated=args.delegated,
    )


def _fetch(args: argparse.Namespace) -> list[Any]:
    from workflows.issues import open_source
    from workflows.issues.cache import IssueCache

    source = open_source(args.source)
    issues = IssueCache().refresh(source, _filters(args))
    args.skipped = _report_skipped(source)
    return issues


def _report_skipped(source: Any) -> list[str]:
    """Issue files the local source could not read: each named on stderr with its reason."""
    skipped: list[str] = list(getattr(source, "problems", []))
    for problem in skipped:
        say(f"agenttui: skipped {problem}", err=True)
    return skipped


def _listing(args: argparse.Namespace, result: list[dict[str, Any]]) -> Any:
    """The listing, or — when files were skipped — the listing printed and exit 1."""
    if not args.skipped:
        return result
    from tui.cli import emit

    emit(args, result)
    return EXIT_ERROR


def list_issues(args: argparse.Namespace) -> Any:
    return _listing(args, [issue.to_dict() for issue in _fetch(args)])


def format_issues(result: list[dict[str, Any]]) -> str:
    lines = []
    for issue in result:
        labels = f"  [{', '.join(issue['labels'])}]" if issue["labels"] else ""
        lines.append(f"{issue['identifier']:<10} {issue['state']:<12} {issue['title']}{labels}")
    return "\n".join(lines) if lines else "no issues"


def suggest(args: argparse.Namespace) -> Any:
    from workflows.issues.grouping import suggest_groups

    issues = _fetch(args)
    titles = {issue.identifier: issue.title for issue in issues}
    groups = suggest_groups(issues, singletons=args.all)
    return _listing(
        args,
        [
            {**group.to_dict(), "titles": [titles[identifier] for identifier in group.issues]}
            for group in groups
        ],
    )


def format_groups(result: list[dict[str, Any]]) -> str:
    blocks = []
    for number, group in enumerate(result, 1):
        lines = [f"group {number} ({len(group['issues'])} issues)"]
        lines += [f"  {i:<10} {t}" for i, t in zip(group["issues"], group["titles"], strict=True)]
        lines += [f"    why: {reason}" for reason in group["reasons"]]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) if blocks else "no groups"


def show_issue(args: argparse.Namespace) -> dict[str, Any]:
    from workflows.issues import open_source
    from workflows.issues.cache import IssueCache, cache_key

    source = open_source(args.source)
    issue = source.get_issue(args.id)
    _report_skipped(source)
    IssueCache().store_detail(cache_key(source), issue)
    return issue.to_dict()


def format_issue(issue: dict[str, Any]) -> str:
    lines = [f"{issue['identifier']}: {issue['title']}", f"state: {issue['state']}"]
    for key in ("project", "team", "assignee", "priority", "parent", "url", "branch_name"):
        if issue.get(key) not in (None, ""):
            lines.append(f"{key}: {issue[key]}")
    if issue["labels"]:
        lines.append("labels: " + ", ".join(issue["labels"]))
    if issue["children"]:
        lines.append("children: " + ", ".join(issue["children"]))
    for relation in issue["relations"]:
        arrow = "->" if relation["direction"] == "outgoing" else "<-"
        lines.append(f"{relation['type']} {arrow} {relation['issue']}")
    if issue["description"]:
        lines += ["", issue["description"]]
    for comment in issue["comments"]:
        lines += [
            "",
            f"— {comment['author'] or '?'} {comment['created_at'] or ''}",
            comment["body"],
        ]
    return "\n".join(lines)


def add_comment(args: argparse.Namespace) -> dict[str, Any]:
    from workflows.base.errors import UsageError
    from workflows.issues import open_source

    body = sys.stdin.read() if args.text == "-" else args.text
    if not body.strip():
        raise UsageError("the comment is empty")
    source = open_source(args.source)
    source.comment(args.id, body)
    return {"issue": args.id, "commented": True, "source": source.name}


def set_state(args: argparse.Namespace) -> dict[str, Any]:
    from workflows.issues import open_source

    source = open_source(args.source)
    source.set_state(args.id, args.state)
    return {"issue": args.id, "state": args.state, "source": source.name}


def link_url(args: argparse.Namespace) -> dict[str, Any]:
    from workflows.issues import open_source

    source = open_source(args.source)
    source.link_url(args.id, args.url, args.title)
    return {"issue": args.id, "linked": args.url, "source": source.name}
