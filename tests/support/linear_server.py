"""A local Linear GraphQL server for tests: real schema, fixture data, injectable failures.

Usage (the ``linear_server`` pytest fixture in tests/support/linear_fixtures.py does all of this and
also sets ``LINEAR_API_URL``/``LINEAR_API_KEY`` so ``open_source()`` talks to it)::

    with LinearServer() as server:                     # 127.0.0.1, free port, own thread
        source = LinearSource(ApiKey(server.api_key), url=server.url)
        source.comment("ENG-1", "hello")
        [op] = server.operations("commentCreate")     # what the server received
        assert op.variables["input"]["body"] == "hello"
        assert server.workspace.comments_on("ENG-1") == ["hello"]

Every request:
  * must carry ``Authorization: <server.api_key>`` (or ``Bearer <key>``), or the app's OAuth
    token ``Bearer <server.app_token>`` (actor=app: the request acts as the app user
    "agenttui"), else HTTP 401 with Linear's AUTHENTICATION_ERROR body;
  * may be answered by the next queued injection (see below) instead of being executed;
  * is parsed and validated with graphql-core against tests/fixtures/linear/schema.graphql
    (Linear's real schema); an invalid document or bad variables get HTTP 400 with
    ``GRAPHQL_VALIDATION_FAILED`` like Linear, and are kept in ``server.invalid`` (the pytest
    fixture fails the test at teardown if any arrived, unless ``server.allow_invalid = True``);
  * is executed against ``server.workspace`` (tests/support/linear_workspace.py: teams, states,
    users, labels, projects, issues, relations, comments, attachments). Resolver errors come
    back as ``errors[]`` inside HTTP 200, like Linear's "Entity not found".

Workspace helpers (tests/support/linear_workspace.py): ``add_issue(title, team=, state=, labels=,
project=, assignee="me"|name, parent=, description=, updated_at=, identifier=)``,
``relate("ENG-1", "blocks", "ENG-2")``, ``add_labels("ENG-1", "urgent")`` (bumps updatedAt),
``find_issue(id or identifier)``, ``state("ENG", "Done")``, and for assertions
``issue_state(key)``, ``comments_on(key)``, ``attachments_on(key)``. The agent platform
(tests/support/linear_agent_resolvers.py): ``delegate(key)`` and ``mention(key)`` open a pending
session of the app as Linear does, ``prompt(session_id, body, signal=None)`` is a person
writing in a session (``signal="stop"``: the stop button); ``sessions_on(key)``,
``activities_of(session_id)`` for assertions. ``bulk_workspace(n)``
makes n generated issues (pagination). The standard workspace: teams ENG (10 issues) and OPS
(2), viewer "Ada Lovelace", states Backlog/Todo/In Progress/In Review/Done/Canceled.

Recorded: ``server.received`` (every request, :class:`Received`: operation_name,
operation_type, root_fields, query, variables, status, valid, authorized),
``server.operations(root_field)``, ``server.mutations(name=None)``.

Injections (each consumed by one request; ``operation=`` restricts it to requests whose
root field or operation name matches; ``times=`` queues several):
  * ``fail(status=500, message=…)`` — HTTP error with a Linear-like errors[] body;
  * ``rate_limit(reset_in=1.0, status=429)`` — RATELIMITED with X-RateLimit-*-Reset headers
    (epoch ms) ``reset_in`` seconds ahead;
  * ``graphql_error(message, code=…)`` — HTTP 200 carrying ``errors[]`` and ``data: null``;
  * ``delay(seconds)`` — answer normally after a pause (a slow server, for timeouts);
  * ``trickle(seconds_per_byte)`` — answer normally, one byte of the body at a time;
  * ``unsuccessful(operation)`` — HTTP 200 with ``{"success": false}`` for that mutation;
  * ``lose_answer(after)`` — execute the request (a mutation takes effect), then answer only
    ``after`` seconds later, when the client has given up: the answer is lost;
  * ``inject(Injection(...))`` — anything else.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, execute, parse, validate

from tests.support.linear_workspace import Workspace, linear_schema, standard_workspace

FIXTURE_KEY = "lin_api_fixture0000000000000000000000000000"
FIXTURE_APP_TOKEN = "lin_oauth_fixtureapp000000000000000000000000"


@dataclass
class Injection:
    status: int = 500
    body: dict[str, Any] | None = None  # JSON answered; None → executes normally (delay only)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    operation: str | None = None  # only for requests with this root field / operation name
    trickle: float = 0.0  # seconds between the bytes of the answer's body
    answer_after: float = 0.0  # executed at once, answered only this much later


@dataclass
class Received:
    operation_name: str | None
    operation_type: str | None  # "query" | "mutation"
    root_fields: list[str]
    query: str
    variables: dict[str, Any]
    authorized: bool
    actor: str = "user"  # "app" for requests with the app's OAuth token
    status: int = 0
    valid: bool = True
    errors: list[str] = field(default_factory=list)


def linear_error_body(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    return {
        "errors": [
            {
                "message": message,
                "extensions": {
                    "type": code.lower().replace("_", " "),
                    "code": code,
                    "userError": code != "INTERNAL",
                    "userPresentableMessage": message,
                    **extensions,
                },
            }
        ],
        "data": None,
    }


class LinearServer:
    def __init__(
        self,
        workspace: Workspace | None = None,
        *,
        api_key: str = FIXTURE_KEY,
        app_token: str = FIXTURE_APP_TOKEN,
    ):
        self.workspace = workspace if workspace is not None else standard_workspace()
        self.api_key = api_key
        self.app_token = app_token
        self.schema = linear_schema()
        self.received: list[Received] = []
        self.allow_invalid = False
        self._injections: deque[Injection] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/graphql"

    def start(self) -> LinearServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # releases injected delays
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LinearServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- injections ------------------------------------------------------------------------
    def inject(self, injection: Injection, times: int = 1) -> None:
        with self._lock:
            self._injections.extend([injection] * times)

    def fail(
        self,
        status: int = 500,
        message: str = "Internal server error",
        *,
        times: int = 1,
        operation: str | None = None,
    ) -> None:
        code = {401: "AUTHENTICATION_ERROR", 403: "FORBIDDEN"}.get(status, "INTERNAL")
        self.inject(
            Injection(
                status, linear_error_body(message, code, statusCode=status), operation=operation
            ),
            times,
        )

    def rate_limit(
        self,
        reset_in: float = 1.0,
        *,
        status: int = 429,
        times: int = 1,
        operation: str | None = None,
    ) -> None:
        reset_ms = str(int((time.time() + reset_in) * 1000))
        headers = {
            "X-RateLimit-Requests-Limit": "1500",
            "X-RateLimit-Requests-Remaining": "0",
            "X-RateLimit-Requests-Reset": reset_ms,
        }
        body = linear_error_body("Rate limit exceeded", "RATELIMITED", statusCode=status)
        self.inject(Injection(status, body, headers, operation=operation), times)

    def graphql_error(
        self,
        message: str,
        code: str = "INVALID_INPUT",
        *,
        times: int = 1,
        operation: str | None = None,
    ) -> None:
        self.inject(Injection(200, linear_error_body(message, code), operation=operation), times)

    def unsuccessful(self, operation: str, *, times: int = 1) -> None:
        """HTTP 200 whose payload says ``success: false`` (Linear's answer to a mutation it
        did not carry out)."""
        body = {"data": {operation: {"success": False, "lastSyncId": 0.0}}}
        self.inject(Injection(200, body, operation=operation), times)

    def delay(self, seconds: float, *, times: int = 1, operation: str | None = None) -> None:
        self.inject(Injection(200, None, delay=seconds, operation=operation), times)

    def trickle(
        self, seconds_per_byte: float, *, times: int = 1, operation: str | None = None
    ) -> None:
        self.inject(Injection(200, None, trickle=seconds_per_byte, operation=operation), times)

    def lose_answer(self, after: float, *, times: int = 1, operation: str | None = None) -> None:
        self.inject(Injection(200, None, answer_after=after, operation=operation), times)

    # -- what was received -----------------------------------------------------------------
    def operations(self, root_field: str) -> list[Received]:
        return [r for r in self.received if root_field in r.root_fields and r.status == 200]

    def mutations(self, name: str | None = None) -> list[Received]:
        return [
            r
            for r in self.received
            if r.operation_type == "mutation"
            and r.status == 200
            and (name is None or name in r.root_fields)
        ]

    @property
    def invalid(self) -> list[Received]:
        return [r for r in self.received if not r.valid]

    def assert_all_valid(self) -> None:
        """Fail unless every query received was valid (skipped when ``allow_invalid``)."""
        if self.allow_invalid:
            return
        bad = [(r.operation_name, r.errors) for r in self.invalid]
        assert not bad, f"queries invalid against Linear's schema reached the server: {bad}"

    # -- request handling --------------------------------------------------------------------
    def _take_injection(self, record: Received) -> Injection | None:
        with self._lock:
            for injection in self._injections:
                if injection.operation in (None, record.operation_name) or (
                    injection.operation in record.root_fields
                ):
                    self._injections.remove(injection)
                    return injection
        return None

    def handle(
        self, payload: Any, authorization: str
    ) -> tuple[int, dict[str, Any], dict[str, str], float]:
        """(status, body, headers, seconds between the body's bytes)."""
        query = str(payload.get("query") or "") if isinstance(payload, dict) else ""
        variables = (payload.get("variables") or {}) if isinstance(payload, dict) else {}
        app = authorization == f"Bearer {self.app_token}"
        authorized = app or authorization.removeprefix("Bearer ").strip() == self.api_key
        record = Received(None, None, [], query, variables, authorized, "app" if app else "user")
        self.received.append(record)
        injection = Injection()
        status, body, headers = self._answer(record, payload, injection)
        record.status = status
        record.errors = [e.get("message", "") for e in body.get("errors") or []]
        if injection.answer_after:
            self._stop.wait(injection.answer_after)
        return status, body, headers, injection.trickle

    def _answer(
        self, record: Received, payload: Any, pacing: Injection
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        try:
            document = parse(record.query)
        except GraphQLError as error:
            record.valid = False
            return 400, linear_error_body(error.message, "GRAPHQL_PARSE_FAILED"), {}
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operations:
            record.operation_name = operations[0].name.value if operations[0].name else None
            record.operation_type = operations[0].operation.value
            record.root_fields = [
                s.name.value for s in operations[0].selection_set.selections if hasattr(s, "name")
            ]
        if not record.authorized:
            return (
                401,
                linear_error_body(
                    "Authentication required, not authenticated",
                    "AUTHENTICATION_ERROR",
                    statusCode=401,
                ),
                {},
            )
        injection = self._take_injection(record)
        if injection is not None:
            pacing.trickle, pacing.answer_after = injection.trickle, injection.answer_after
            if injection.delay:
                self._stop.wait(injection.delay)
            if injection.body is not None:
                return injection.status, injection.body, injection.headers
        errors = validate(self.schema, document)
        if errors:
            record.valid = False
            return 400, linear_error_body(errors[0].message, "GRAPHQL_VALIDATION_FAILED"), {}
        with self._lock:
            self.workspace.actor_id = self.workspace.app_user_id if record.actor == "app" else ""
            result = execute(
                self.schema,
                document,
                context_value=self.workspace,
                variable_values=record.variables,
                operation_name=payload.get("operationName"),
            )
        if result.errors and all(e.path is None for e in result.errors):  # bad variables
            record.valid = False
            body = linear_error_body(result.errors[0].message, "GRAPHQL_VALIDATION_FAILED")
            return 400, body, {}
        body = {"data": result.data}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        remaining = {
            "X-RateLimit-Requests-Limit": "1500",
            "X-RateLimit-Requests-Remaining": str(1500 - len(self.received)),
            "X-RateLimit-Requests-Reset": str(int((time.time() + 3600) * 1000)),
        }
        return 200, body, remaining

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    payload = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    payload = {}
                status, body, headers, trickle = server.handle(
                    payload, self.headers.get("Authorization", "")
                )
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if not trickle:
                        self.wfile.write(data)
                    for index in range(len(data) if trickle else 0):
                        self.wfile.write(data[index : index + 1])
                        self.wfile.flush()
                        if server._stop.wait(trickle):
                            return
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
