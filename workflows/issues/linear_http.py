"""Talking to Linear's GraphQL endpoint: auth, retries, rate limits, error messages.

Synchronous httpx on purpose: TUI workers, the runner and the watcher call it from threads.
The API key lives in :class:`ApiKey`, whose repr/str hide it, and is only ever put in the
Authorization header, so it cannot leak into a log line, an exception or a screen.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import httpx

from workflows.base.config import table
from workflows.base.errors import AgentTuiError
from workflows.base.http_deadline import TooSlow, request_within
from workflows.base.untrusted import without_surrogates

DEFAULT_URL = "https://api.linear.app/graphql"
RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


class ApiKey:
    """A secret that never prints itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value.strip()

    def reveal(self) -> str:
        return self._value

    def authorization(self) -> str:
        # Personal keys go bare; OAuth tokens are passed already prefixed with "Bearer ".
        return self._value

    def __repr__(self) -> str:
        return "ApiKey(<hidden>)"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


class LinearError(AgentTuiError):
    """Linear answered with an error (or not at all); the message says which and why."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class LinearAuthError(LinearError):
    """The API key was missing, wrong, revoked or lacks access."""


class LinearRateLimited(LinearError):
    """Linear is rate limiting us; ``reset_at`` says when it lifts (epoch seconds)."""

    def __init__(self, message: str, *, reset_at: float, status: int | None = None):
        super().__init__(message, status=status, code="RATELIMITED")
        self.reset_at = reset_at


class LinearUnavailable(LinearError):
    """5xx answers or timeouts that outlasted the bounded retries."""


def clock_text(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).strftime("%H:%M:%S")


def _first_error(payload: Any) -> tuple[str, str | None]:
    """Linear's message and extensions code of the first entry of ``errors[]``."""
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if not errors or not isinstance(errors, list) or not isinstance(errors[0], dict):
        return "", None
    first = errors[0]
    extensions = first.get("extensions") or {}
    message = str(first.get("message") or "")
    presentable = str(extensions.get("userPresentableMessage") or "")
    if presentable and presentable.rstrip(".") not in message:
        message = f"{message} — {presentable}" if message else presentable
    code = extensions.get("code") or extensions.get("type")
    return str(message), (str(code) if code else None)


def encodable(value: Any) -> Any:
    """JSON allows ``\\ud800`` alone, UTF-8 does not: such a character (seen from Linear)
    would fail every later write (paste, store, log, git); it becomes U+FFFD here."""
    if isinstance(value, str):
        return without_surrogates(value)
    if isinstance(value, dict):
        return {encodable(key): encodable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [encodable(item) for item in value]
    return value


class LinearClient:
    """POST GraphQL operations to Linear and return ``data``, or raise a LinearError."""

    def __init__(
        self,
        key: ApiKey,
        *,
        url: str = DEFAULT_URL,
        timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
        max_retries: int = 2,
        backoff: float = 0.5,
        max_rate_wait: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        on_status: Callable[[str], None] | None = None,
        key_hint: str = "LINEAR_API_KEY or [linear] api_key",
    ) -> None:
        if not key:
            raise LinearAuthError(f"no Linear API key: set {key_hint}")
        self._key = key
        self.key_hint = key_hint
        self.url = url
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_rate_wait = max_rate_wait
        self._sleep = sleep
        self._on_status = on_status
        self._transport = transport
        self._http = httpx.Client(timeout=timeout, transport=transport)
        self.last_rate_limit: dict[str, str] = {}
        self.rate_limited_until: float | None = None  # set while waiting for a reset
        self.deadline: float | None = None
        """A ``time.monotonic()`` past which no request starts or goes on (a watcher round's
        limit); None: each request is bounded by ``timeout`` alone."""

    def __repr__(self) -> str:
        return f"LinearClient(url={self.url!r}, key=<hidden>)"

    def close(self) -> None:
        self._http.close()

    def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        before_retry: Callable[[], dict[str, Any] | None] | None = None,
    ) -> dict[str, Any]:
        """``data`` of the operation. 5xx and timeouts are retried; for a mutation whose
        answer may have been lost, ``before_retry`` looks first: the data it returns (the
        mutation did take effect) is the answer, and nothing is sent again."""
        attempt = 0
        rate_waits = 0
        while True:
            try:
                if attempt and before_retry is not None and (done := before_retry()) is not None:
                    return done
                return self._post_once(query, variables)
            except LinearRateLimited as limited:
                wait = limited.reset_at - time.time()
                if rate_waits >= 3 or wait > min(self.max_rate_wait, self._left()):
                    raise
                rate_waits += 1
                self.rate_limited_until = limited.reset_at
                self._status(f"{limited}; waiting")
                try:
                    self._sleep(max(wait, 0.05))
                finally:
                    self.rate_limited_until = None
            except LinearUnavailable:
                pause = self.backoff * 2**attempt
                if attempt >= self.max_retries or pause >= self._left():
                    raise
                self._sleep(pause)
                attempt += 1

    def _left(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()

    def _status(self, text: str) -> None:
        if self._on_status is not None:
            self._on_status(text)

    def _post_once(self, query: str, variables: Mapping[str, Any] | None) -> dict[str, Any]:
        body = {"query": query, "variables": dict(variables or {})}
        headers = {"Authorization": self._key.authorization(), "Content-Type": "application/json"}
        limit = min(self.timeout, self._left())
        if limit <= 0:
            raise LinearUnavailable(f"no time left to ask Linear ({self.url}): round limit")
        try:
            response = request_within(
                self._http, limit, "POST", self.url, json=body, headers=headers
            )
        except httpx.TimeoutException as error:
            if isinstance(error, TooSlow):  # that client was closed to end the exchange
                self._http = httpx.Client(timeout=self.timeout, transport=self._transport)
            raise LinearUnavailable(
                f"Linear did not answer within {limit:g}s ({self.url})"
            ) from None
        except httpx.TransportError as error:
            # Only the exception's class name: its text could one day carry request details.
            raise LinearUnavailable(
                f"cannot reach Linear at {self.url} ({type(error).__name__})"
            ) from None
        self.last_rate_limit = {
            name: value for name, value in response.headers.items() if "ratelimit" in name.lower()
        }
        return self._interpret(response)

    def _interpret(self, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        try:
            payload: Any = encodable(response.json())
        except ValueError:
            payload = None
        message, code = _first_error(payload)
        detail = f"HTTP {status}" + (f": {message}" if message else "")
        if code == "RATELIMITED" or status == 429:
            reset_at = self._reset_at(response.headers)
            raise LinearRateLimited(
                f"Linear rate limited until {clock_text(reset_at)} ({detail})",
                reset_at=reset_at,
                status=status,
            )
        if status in (401, 403) or code in ("AUTHENTICATION_ERROR", "FORBIDDEN"):
            raise LinearAuthError(
                f"Linear rejected the API key ({detail}); check {self.key_hint}",
                status=status,
                code=code,
            )
        if status in RETRYABLE_STATUS:
            raise LinearUnavailable(f"Linear is unavailable ({detail})", status=status, code=code)
        if status != 200 or not isinstance(payload, dict):
            raise LinearError(
                f"Linear API error ({detail or 'not JSON'})", status=status, code=code
            )
        if payload.get("errors"):
            suffix = f" [{code}]" if code else ""
            raise LinearError(f"Linear API error: {message}{suffix}", status=status, code=code)
        data = payload.get("data")
        if not isinstance(data, dict):
            raise LinearError("Linear API error: answer without data", status=status)
        return data

    def _reset_at(self, headers: httpx.Headers) -> float:
        """When the limit lifts: Linear's reset headers are epoch milliseconds (seconds are
        accepted too); fall back to Retry-After seconds, then to a minute."""
        now = time.time()
        resets = []
        for name in ("x-ratelimit-requests-reset", "x-ratelimit-complexity-reset"):
            value = headers.get(name)
            if value and value.strip().isdigit():
                number = int(value)
                resets.append(number / 1000.0 if number > 10**11 else float(number))
        if resets:
            return max(*resets, now)
        retry_after = headers.get("retry-after", "")
        if retry_after.strip().isdigit():
            return now + int(retry_after)
        return now + 60.0


F = TypeVar("F", bound=Callable[..., Any])


def answer_checked(method: F) -> F:
    """An answer missing a field agenttui reads (``{"data": {}}``) is a LinearError that
    says which, never a KeyError traceback."""

    @functools.wraps(method)
    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            what = f"no field {error}" if isinstance(error, KeyError) else str(error)
            raise LinearError(f"Linear's answer is not what agenttui expects: {what}") from None

    return checked  # type: ignore[return-value]


def configured_url() -> str:
    return os.environ.get("LINEAR_API_URL") or table("linear").get_str("url") or DEFAULT_URL
