"""Every GraphQL operation agenttui sends to Linear (validated against the schema in tests).

Listing uses a slim selection (no description, no comments, no children, only the first
outgoing relations so hard links still group) to stay far below Linear's 10,000-point
complexity limit per query; full details are fetched per chosen issue.
"""

from __future__ import annotations

SLIM_ISSUE_FIELDS = """
  id identifier title priority url branchName updatedAt
  state { name type }
  team { key }
  assignee { name }
  project { name }
  labels(first: 10) { nodes { name } }
  parent { identifier }
  relations(first: 10) { nodes { type relatedIssue { identifier } } }
"""

LIST_ISSUES = (
    """
query AgentTuiListIssues($filter: IssueFilter, $first: Int!, $after: String) {
  issues(filter: $filter, first: $first, after: $after, orderBy: updatedAt) {
    nodes {"""
    + SLIM_ISSUE_FIELDS
    + """}
    pageInfo { hasNextPage endCursor }
  }
}
"""
)

ISSUE_DETAIL = (
    """
query AgentTuiIssueDetail($id: String!) {
  issue(id: $id) {"""
    + SLIM_ISSUE_FIELDS
    + """
    description
    children(first: 50) { nodes { identifier } }
    inverseRelations(first: 50) { nodes { type issue { identifier } } }
    comments(first: 50) { nodes { body createdAt user { name } } }
  }
}
"""
)

ISSUE_TEAM = """
query AgentTuiIssueTeam($id: String!) {
  issue(id: $id) { id identifier team { id key } }
}
"""

WORKFLOW_STATES = """
query AgentTuiWorkflowStates($teamId: ID!) {
  workflowStates(filter: { team: { id: { eq: $teamId } } }, first: 100) {
    nodes { id name type }
  }
}
"""

COMMENT_BY_ID = """
query AgentTuiCommentById($id: String!) {
  comment(id: $id) { id }
}
"""

COMMENT_CREATE = """
mutation AgentTuiCommentCreate($input: CommentCreateInput!) {
  commentCreate(input: $input) { success comment { id } }
}
"""

ISSUE_SET_STATE = """
mutation AgentTuiIssueSetState($id: String!, $stateId: String!) {
  issueUpdate(id: $id, input: { stateId: $stateId }) { success issue { id state { name } } }
}
"""

ATTACHMENT_LINK_URL = """
mutation AgentTuiAttachmentLinkURL($issueId: String!, $url: String!, $title: String) {
  attachmentLinkURL(issueId: $issueId, url: $url, title: $title) {
    success attachment { id url }
  }
}
"""

VIEWER = """
query AgentTuiViewer { viewer { id name } }
"""

ALL_OPERATIONS = {
    "list_issues": LIST_ISSUES,
    "issue_detail": ISSUE_DETAIL,
    "issue_team": ISSUE_TEAM,
    "workflow_states": WORKFLOW_STATES,
    "comment_create": COMMENT_CREATE,
    "comment_by_id": COMMENT_BY_ID,
    "issue_set_state": ISSUE_SET_STATE,
    "attachment_link_url": ATTACHMENT_LINK_URL,
    "viewer": VIEWER,
}
