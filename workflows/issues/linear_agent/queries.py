"""Every GraphQL operation of the agent platform agenttui sends (validated in tests).

Sent with the app's OAuth token (actor=app): sessions, activities, plans and external URLs
belong to the app, and ``viewer`` is the app user.
"""

from __future__ import annotations

APP_VIEWER = """
query AgentTuiAppViewer { viewer { id name } }
"""

SESSIONS = """
query AgentTuiAgentSessions($first: Int!) {
  agentSessions(first: $first, orderBy: createdAt) {
    nodes {
      id status createdAt
      appUser { id }
      issue { id identifier }
      comment { id }
    }
  }
}
"""

SESSION_CREATE_ON_ISSUE = """
mutation AgentTuiSessionCreateOnIssue($input: AgentSessionCreateOnIssue!) {
  agentSessionCreateOnIssue(input: $input) { success agentSession { id } }
}
"""

SESSION_UPDATE = """
mutation AgentTuiSessionUpdate($id: String!, $input: AgentSessionUpdateInput!) {
  agentSessionUpdate(id: $id, input: $input) { success agentSession { id } }
}
"""

ACTIVITY_CREATE = """
mutation AgentTuiActivityCreate($input: AgentActivityCreateInput!) {
  agentActivityCreate(input: $input) { success agentActivity { id } }
}
"""

ACTIVITY_BY_ID = """
query AgentTuiActivityById($id: String!) {
  agentActivity(id: $id) { id }
}
"""

SESSION_PROMPTS = """
query AgentTuiSessionPrompts($id: String!, $since: DateTimeOrDuration!) {
  agentSession(id: $id) {
    id status
    activities(
      first: 50
      filter: { type: { eq: "prompt" }, createdAt: { gte: $since } }
    ) {
      nodes {
        id createdAt signal
        content { ... on AgentActivityPromptContent { body } }
      }
    }
  }
}
"""

ALL_OPERATIONS = {
    "app_viewer": APP_VIEWER,
    "sessions": SESSIONS,
    "session_create_on_issue": SESSION_CREATE_ON_ISSUE,
    "session_update": SESSION_UPDATE,
    "activity_create": ACTIVITY_CREATE,
    "activity_by_id": ACTIVITY_BY_ID,
    "session_prompts": SESSION_PROMPTS,
}
