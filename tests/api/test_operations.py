"""Probes and formats an operator and an integrator rely on."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from overgang.api.app import create_app
from overgang.config import Settings
from overgang.fhir.xml import fhir_xml_to_json
from tests.conftest import Api
from tests.messages import FIXTURES, MEDCOM, load


def test_health_and_readiness_need_no_token_and_tell_no_personal_data(api: Api) -> None:
    health = api.client.get("/healthz")
    ready = api.client.get("/readyz")

    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (
        200,
        {"status": "ok", "database": "ok", "sender": "not run"},
    )


def test_an_unmigrated_database_is_not_ready(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")

    assert ready.status_code == 503
    assert ready.json()["database"] == "not migrated"


def test_an_unknown_path_is_a_problem_on_api_and_an_outcome_on_fhir(api: Api) -> None:
    token = api.auth(api.tokens.aalborg)
    on_api = api.client.get("/api/v1/nothing-here", headers=token)
    on_fhir = api.client.get("/fhir/Patient", headers=token)
    # Without a token a stranger learns nothing, not even which paths exist.
    unauthenticated = api.client.get("/api/v1/nothing-here")

    assert on_api.status_code == on_fhir.status_code == 404
    assert unauthenticated.status_code == 401
    assert on_api.headers["content-type"] == "application/problem+json"
    assert on_fhir.json()["resourceType"] == "OperationOutcome"


def test_every_response_carries_a_request_id(api: Api) -> None:
    chosen = api.client.get("/healthz", headers={"X-Request-ID": "trace123"})
    generated = api.client.get("/healthz")

    assert chosen.headers["x-request-id"] == "trace123"
    assert len(generated.headers["x-request-id"]) == 32


def test_a_medcom_notification_in_xml_is_taken_like_its_json(api: Api) -> None:
    xml = (FIXTURES / "medcom-stin.xml").read_bytes()
    original = load(MEDCOM / "Bundle-a5e5b880-c087-4055-b9ec-99108695f81d.json")

    response = api.send(xml, token=api.tokens.medcom_hospital, content_type="application/fhir+xml")

    assert response.status_code == 200, response.text
    # Sent as XML, answered in XML (FHIR content negotiation).
    assert response.headers["content-type"].startswith("application/fhir+xml")
    acknowledgement = fhir_xml_to_json(response.content)
    assert acknowledgement["entry"][0]["resource"]["response"]["code"] == "ok"
    item = api.inbox().json()["items"][0]
    assert item["notification_code"] == "STIN"
    # The municipality gets the message in FHIR JSON, with the same content.
    assert json.loads(api.inbox_message(item["id"], fhir=True).content) == original


def test_an_unreachable_database_answers_503_with_retry_after(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'missing' / 'overgang.db'}", run_worker=False
    )
    with TestClient(create_app(settings)) as client:
        on_api = client.get("/api/v1/inbox", headers={"Authorization": "Bearer ovg_x"})
        on_fhir = client.post(
            "/fhir/$process-message",
            content=b"{}",
            headers={"Authorization": "Bearer ovg_x", "Content-Type": "application/fhir+json"},
        )

    assert on_api.status_code == on_fhir.status_code == 503
    assert on_api.headers["retry-after"] == "5"
    assert on_api.headers["content-type"] == "application/problem+json"
    assert on_fhir.json()["issue"][0]["code"] == "transient"
