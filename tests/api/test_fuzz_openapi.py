"""Fuzz every operation of the committed openapi.yaml against the app in-process: whatever a
caller sends, as a hospital or as a municipality, the answer is never 5xx and keeps to the
status codes, content types and schemas the contract documents.

Each operation gets schemathesis' explicit cases and a fixed number of generated ones, positive
and negative, derandomized and not shrunk, so a run is bounded and repeatable; a failure prints
the request as a curl command. Random generation misses rare inputs (the NUL below was found by
hand), so a reproduction of every finding stays here as its own test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from overgang.api.app import create_app
from overgang.config import Settings
from tests.conftest import Partners

OPENAPI_YAML = Path(__file__).parents[2] / "openapi.yaml"
SCHEMA = schemathesis.openapi.from_path(OPENAPI_YAML)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Generated cases per operation and run, on top of the boundary cases.
EXAMPLES = 50
# Wrong-role calls must be refused with a 4xx too: every case goes as both.
ROLES = ("hospital", "aalborg")

# Routes that take a JSON body: one that is not even UTF-8 is a documented 400.
JSON_BODY_ROUTES = [
    ("POST", "/api/v1/events"),
    ("POST", "/api/v1/inbox/{message_id}/ack"),
    ("POST", "/api/v1/episodes/{episode}/readiness"),
    ("POST", "/api/v1/webhooks"),
    ("POST", "/api/v1/webhooks/{endpoint_id}/rotate-secret"),
]


@pytest.fixture
def client(settings: Settings) -> Any:
    # A 500 must come back as a response for the checks to judge, not as a raised exception.
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def _send(client: TestClient, case: Case, token: str) -> Any:
    """Send a generated case through the project's TestClient (httpx takes raw bytes as content)."""
    request = case.as_transport_kwargs(
        base_url=str(client.base_url), headers={"Authorization": f"Bearer {token}"}
    )
    if isinstance(request.get("data"), bytes | str):
        request["content"] = request.pop("data")
    # Per-request cookies are deprecated in httpx; the API reads none, but send what was generated.
    client.cookies = request.pop("cookies", None) or {}
    return client.request(**request)


@SCHEMA.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_keeps_the_contract(case: Case, client: TestClient, tokens: Partners) -> None:
    for role in ROLES:
        response = _send(client, case, getattr(tokens, role))
        case.validate_response(response, checks=CHECKS)


@pytest.mark.parametrize(("method", "path"), JSON_BODY_ROUTES)
def test_a_body_that_is_not_utf8_gets_a_documented_status(
    method: str, path: str, client: TestClient, tokens: Partners
) -> None:
    operation = SCHEMA[path][method]
    case = operation.Case(
        path_parameters={name: "x" for name in ("message_id", "episode", "endpoint_id")},
        body=b"\xff{",
        media_type="application/json",
    )
    documented = set(operation.definition.raw["responses"])
    for role in ROLES:
        response = _send(client, case, getattr(tokens, role))
        assert str(response.status_code) in documented, (role, response.status_code)


def test_a_nul_in_an_episode_identifier_is_not_found(client: TestClient, tokens: Partners) -> None:
    # PostgreSQL refuses NUL in text: the identifier is checked before any query (and audit row).
    for path in ("/api/v1/episodes/a%00b", "/api/v1/episodes/a%00b/readiness"):
        response = client.get(path, headers={"Authorization": f"Bearer {tokens.hospital}"})
        assert response.status_code == 404, path
