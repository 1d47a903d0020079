"""Every operation agenttui sends to Linear is valid against Linear's real schema, and the
fixture server really rejects invalid ones (so tests using it cannot pass on bad queries)."""

from __future__ import annotations

import httpx
import pytest
from graphql import parse, validate

from tests.support.linear_server import LinearServer
from tests.support.linear_workspace import linear_schema
from workflows.issues import queries
from workflows.issues.linear_agent import queries as agent_queries

MODULES = (queries, agent_queries)
OPERATIONS = {
    f"{module.__name__}.{name}": text
    for module in MODULES
    for name, text in module.ALL_OPERATIONS.items()
}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_operation_is_valid_against_linear_schema(name: str) -> None:
    errors = validate(linear_schema(), parse(OPERATIONS[name]))
    assert errors == [], f"{name}: {[e.message for e in errors]}"


@pytest.mark.parametrize("module", MODULES, ids=lambda module: module.__name__)
def test_every_query_constant_is_listed(module: object) -> None:
    constants = {
        value
        for key, value in vars(module).items()
        if key.isupper()
        and isinstance(value, str)
        and value.lstrip().startswith(("query", "mutation"))
    }
    assert constants == set(module.ALL_OPERATIONS.values())  # type: ignore[attr-defined]


def test_server_rejects_a_query_invalid_against_the_schema() -> None:
    with LinearServer() as server:
        server.allow_invalid = True
        answer = httpx.post(
            server.url,
            headers={"Authorization": server.api_key},
            json={"query": "query { issues { nodes { id titel } } }"},
        )
        assert answer.status_code == 400
        error = answer.json()["errors"][0]
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "titel" in error["message"]
        bad_variables = httpx.post(
            server.url,
            headers={"Authorization": server.api_key},
            json={"query": queries.LIST_ISSUES, "variables": {"first": "ten"}},
        )
        assert bad_variables.status_code == 400
        assert len(server.invalid) == 2
        server.assert_all_valid()  # allowed here
        server.allow_invalid = False
        with pytest.raises(AssertionError, match="titel"):
            server.assert_all_valid()  # what the linear_server fixture runs at teardown


def test_server_reports_filters_it_does_not_implement() -> None:
    with LinearServer() as server:
        answer = httpx.post(
            server.url,
            headers={"Authorization": server.api_key},
            json={
                "query": queries.LIST_ISSUES,
                "variables": {"first": 5, "filter": {"cycle": {"number": {"eq": 3}}}},
            },
        )
        assert "does not implement" in answer.json()["errors"][0]["message"]
