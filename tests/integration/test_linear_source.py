"""LinearSource against the local GraphQL server that validates every query on the real schema."""

from __future__ import annotations

import pytest

from tests.support.linear_server import LinearServer
from tests.support.linear_workspace import bulk_workspace
from workflows.issues import open_source
from workflows.issues.linear import LinearSource
from workflows.issues.linear_http import ApiKey
from workflows.issues.model import IssueFilters


def identifiers(source: LinearSource, **filters: object) -> list[str]:
    return sorted(issue.identifier for issue in source.list_issues(IssueFilters(**filters)))  # type: ignore[arg-type]


def test_pagination_walks_every_page() -> None:
    with LinearServer(bulk_workspace(23)) as server:
        source = LinearSource(ApiKey(server.api_key), url=server.url, page_size=5)
        issues = source.list_issues()
        assert len(issues) == 23
        assert len({issue.identifier for issue in issues}) == 23
        pages = server.operations("issues")
        assert len(pages) == 5
        assert pages[0].variables["after"] is None
        cursors = [page.variables["after"] for page in pages[1:]]
        assert all(cursors) and len(set(cursors)) == 4
        assert server.invalid == []


def test_limit_stops_paging_early() -> None:
    with LinearServer(bulk_workspace(30)) as server:
        source = LinearSource(ApiKey(server.api_key), url=server.url, page_size=10)
        assert len(source.list_issues(IssueFilters(limit=15))) == 15
        assert [op.variables["first"] for op in server.operations("issues")] == [10, 5]


def test_every_filter_reaches_linear_and_selects(
    linear_source: LinearSource, linear_server: LinearServer
) -> None:
    assert identifiers(linear_source, team="OPS") == ["OPS-1", "OPS-2"]
    assert identifiers(linear_source, assignee_me=True) == ["ENG-1", "ENG-5", "ENG-9", "OPS-1"]
    assert identifiers(linear_source, state_types=["started"]) == ["ENG-1", "ENG-9"]
    assert identifiers(linear_source, labels=["search", "infra"]) == [
        "ENG-6",
        "ENG-7",
        "OPS-1",
        "OPS-2",
    ]
    assert identifiers(linear_source, project="Merchant tools") == ["ENG-10", "ENG-9"]
    assert identifiers(linear_source, updated_since="2026-11-10T00:00:00Z") == ["ENG-10"]
    assert identifiers(linear_source, text="GIFT CARD") == ["ENG-1", "ENG-2"]
    assert identifiers(linear_source, text="crème") == ["ENG-6"]  # found in the description
    combined = identifiers(
        linear_source, team="ENG", labels=["payments"], state_types=["unstarted"]
    )
    assert combined == ["ENG-2", "ENG-4"]  # ENG-5 is frontend, ENG-1 started
    sent = [op.variables["filter"] for op in linear_server.operations("issues")]
    assert sent[0] == {"team": {"key": {"eq": "OPS"}}}
    assert sent[1] == {"assignee": {"isMe": {"eq": True}}}
    assert sent[3] == {"labels": {"name": {"in": ["search", "infra"]}}}


def test_updated_since_accepts_a_relative_duration(
    linear_server: LinearServer, linear_source: LinearSource
) -> None:
    assert identifiers(linear_source, updated_since="-PT1H") == []
    linear_source.comment("ENG-3", "touches updatedAt")
    assert identifiers(linear_source, updated_since="-PT1H") == ["ENG-3"]


def test_detail_has_description_children_relations_and_comments(
    linear_source: LinearSource,
) -> None:
    epic = linear_source.get_issue("ENG-3")
    assert epic.detailed and epic.description == "Support Apple Pay on the payment step."
    assert sorted(epic.children) == ["ENG-4", "ENG-5"]
    child = linear_source.get_issue("ENG-4")
    assert child.parent == "ENG-3"
    blocker = linear_source.get_issue("OPS-1")
    blocked = linear_source.get_issue("OPS-2")
    assert [(r.type, r.issue, r.direction) for r in blocker.relations] == [
        ("blocks", "OPS-2", "outgoing")
    ]
    assert [(r.type, r.issue, r.direction) for r in blocked.relations] == [
        ("blocks", "OPS-1", "incoming")
    ]
    assert blocked.branch_name and blocked.url and blocked.team == "OPS"


def test_write_back_sends_the_right_mutations(
    linear_server: LinearServer, linear_source: LinearSource
) -> None:
    issue_uuid = linear_server.workspace.find_issue("ENG-2")["id"]
    linear_source.comment("ENG-2", "Plan:\n- fix `rounding`\n$(not a shell)")
    linear_source.set_state("ENG-2", "in review")
    linear_source.link_url("ENG-2", "https://github.com/acme/shop/pull/7", "PR #7")
    linear_source.link_url("ENG-2", "https://github.com/acme/shop/pull/7", "PR #7")

    [comment] = linear_server.mutations("commentCreate")
    assert comment.variables["input"]["issueId"] == issue_uuid
    assert comment.variables["input"]["body"] == "Plan:\n- fix `rounding`\n$(not a shell)"
    [update] = linear_server.mutations("issueUpdate")
    assert update.variables == {
        "id": issue_uuid,
        "stateId": linear_server.workspace.state("ENG", "In Review")["id"],
    }
    links = linear_server.mutations("attachmentLinkURL")
    assert [link.variables["url"] for link in links] == ["https://github.com/acme/shop/pull/7"] * 2
    assert linear_server.workspace.comments_on("ENG-2") == [comment.variables["input"]["body"]]
    assert linear_server.workspace.issue_state("ENG-2") == "In Review"
    assert len(linear_server.workspace.attachments_on("ENG-2")) == 1


def test_unknown_state_names_the_choices(linear_source: LinearSource) -> None:
    with pytest.raises(Exception, match=r"no state 'Shipped'.*In Progress"):
        linear_source.set_state("ENG-1", "Shipped")


def test_open_source_picks_linear_when_a_key_is_set(linear_server: LinearServer) -> None:
    source = open_source()
    assert source.name == "linear"
    assert len(source.list_issues(IssueFilters(team="ENG"))) == 10


def test_slim_listing_keeps_hard_links_for_grouping(linear_source: LinearSource) -> None:
    from workflows.issues.grouping import GroupingConfig, suggest_groups

    issues = linear_source.list_issues()
    assert not any(issue.detailed or issue.description for issue in issues)  # stays slim
    strict = GroupingConfig(merge_threshold=99.0)  # hard links only
    groups = {frozenset(g.issues) for g in suggest_groups(issues, strict, singletons=False)}
    assert groups == {
        frozenset({"ENG-3", "ENG-4", "ENG-5"}),
        frozenset({"ENG-6", "ENG-7"}),
        frozenset({"OPS-1", "OPS-2"}),
        frozenset({"ENG-1", "ENG-2"}),
        frozenset({"ENG-9", "ENG-10"}),
    }
