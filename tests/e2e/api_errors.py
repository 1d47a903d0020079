"""Model API refusals the scripted servers can send, shaped as each vendor's API sends them.

Claude Code's shapes follow the gateway guide shipped inside its own binary ("Errors" and
"Usage-limit headers"); Codex's the OpenAI ``usage_limit_reached`` / ``invalid_api_key``
bodies; Gemini's the Google RPC error bodies its CLI classifies (``RetryInfo``, ``ErrorInfo``).
``x-should-retry: false`` (Claude) and no retries configured (Codex) make each one show at
once instead of after minutes of backoff.
"""

from __future__ import annotations

import time

from tests.e2e.model_server import Reply

LIMIT_RESET_S = 3 * 3600
"""A usage limit resets this long after it was hit (Codex and Gemini print the time)."""


def claude_spend_limit() -> Reply:
    """A gateway's per-user cap: Claude prints ``error.message`` after "API Error: …"."""
    reset = int(time.time()) + LIMIT_RESET_S
    message = "spend limit reached · resets Aug 8 · request an increase at https://limits.example"
    headers = {
        "x-should-retry": "false",
        "retry-after": str(LIMIT_RESET_S),
        "anthropic-ratelimit-unified-status": "rejected",
        "anthropic-ratelimit-unified-reset": str(reset),
        "anthropic-ratelimit-unified-overage-reset": str(reset),
        "anthropic-ratelimit-unified-overage-utilization": "1",
        "anthropic-ratelimit-unified-overage-surpassed-threshold": "1",
        "anthropic-ratelimit-unified-overage-period": "daily",
        "anthropic-ratelimit-unified-overage-disabled-reason": "org_spend_cap_reached",
    }
    body = {"type": "error", "error": {"type": "billing_error", "message": message}}
    return Reply.failure(429, body, headers)


def claude_bad_key() -> Reply:
    body = {
        "type": "error",
        "error": {"type": "authentication_error", "message": "invalid x-api-key"},
    }
    return Reply.failure(401, body, {"x-should-retry": "false"})


def codex_usage_limit(reset_s: int = LIMIT_RESET_S) -> Reply:
    reset = int(time.time()) + reset_s
    error = {
        "type": "usage_limit_reached",
        "message": "The usage limit has been reached",
        "plan_type": "plus",
        "resets_at": reset,
        "resets_in_seconds": reset_s,
    }
    return Reply.failure(429, {"error": error})


def codex_bad_key() -> Reply:
    error = {
        "type": "invalid_request_error",
        "code": "invalid_api_key",
        "message": "Incorrect API key provided: sk-agent***",
    }
    return Reply.failure(401, {"error": error})


def gemini_quota(*, with_reset: bool) -> Reply:
    """A terminal quota: a daily quota (no reset time shown), or a retry delay too long to
    wait out (Gemini CLI then says "Access resets at <time>")."""
    details: list[dict[str, object]] = [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{LIMIT_RESET_S}s"}
    ]
    if not with_reset:
        details = [
            {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}],
            }
        ]
    error = {
        "code": 429,
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "status": "RESOURCE_EXHAUSTED",
        "details": details,
    }
    return Reply.failure(429, {"error": error})


def gemini_bad_key() -> Reply:
    error = {
        "code": 400,
        "message": "API key not valid. Please pass a valid API key.",
        "status": "INVALID_ARGUMENT",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
            }
        ],
    }
    return Reply.failure(400, {"error": error})
