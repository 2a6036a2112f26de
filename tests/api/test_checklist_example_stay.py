"""The shared example stay meets the whole agreement; the ward and Aalborg both see it."""

from __future__ import annotations

import json

from tests.conftest import Api
from tests.messages import EXAMPLE_EPISODE, EXAMPLES, example


def readiness(api: Api) -> None:
    body = json.loads((EXAMPLES / "03-readiness.json").read_text())
    response = api.client.post(
        f"/api/v1/episodes/{EXAMPLE_EPISODE}/readiness",
        json=body,
        headers=api.auth(api.tokens.aalborg),
    )
    assert response.status_code == 200, response.text


def checklist_issues(ack: dict) -> list[dict]:  # type: ignore[type-arg]
    return [
        issue
        for entry in ack["entry"]
        if entry["resource"]["resourceType"] == "OperationOutcome"
        for issue in entry["resource"]["issue"]
        if issue["code"] == "business-rule"
    ]


def test_the_example_stay_is_judged_complete_at_handover(api: Api) -> None:
    api.send(example("01-admission-STIN.json"))
    plan_ack = api.send(example("02-discharge-plan.json")).json()
    readiness(api)
    api.send(example("04-discharge-SLHJ.json"))
    handover = api.send(example("05-discharge-handover.json"))

    assert handover.status_code == 200
    assert checklist_issues(handover.json()) == []
    # The plan's udskrivningsaftale was still a draft and Aalborg had not answered yet.
    assert {i["details"]["coding"][0]["code"] for i in checklist_issues(plan_ack)} == {
        "udskrivningsaftale",
        "municipality-ready",
    }
    items = api.inbox().json()["items"]
    handover_item = next(item for item in items if item["kind"] == "handover")
    assert handover_item["checklist"]["complete"] is True
    assert handover_item["checklist"]["id"] == "psychiatry-adult"
    assert {i["status"] for i in handover_item["checklist"]["items"]} <= {"met", "not-applicable"}
    episode = api.episode(EXAMPLE_EPISODE).json()
    assert episode["checklist"]["trigger"] == "discharge-handover"
    assert episode["checklist"]["judged"] == "actual"
    assert episode["readiness"]["ready_from"] == "2026-03-18"


def test_the_ward_asks_what_is_still_missing_before_discharge(api: Api) -> None:
    api.send(example("01-admission-STIN.json"))
    api.send(example("02-discharge-plan.json"))

    before = api.client.get(
        f"/api/v1/episodes/{EXAMPLE_EPISODE}/readiness", headers=api.auth(api.tokens.hospital)
    )
    readiness(api)
    after = api.client.get(
        f"/api/v1/episodes/{EXAMPLE_EPISODE}/readiness", headers=api.auth(api.tokens.hospital)
    )

    assert before.status_code == 200
    missing = {i["id"]: i for i in before.json()["checklist"]["items"] if i["status"] == "missing"}
    assert set(missing) == {"udskrivningsaftale", "municipality-ready"}
    assert missing["municipality-ready"]["explanation"]
    assert missing["municipality-ready"]["title"]
    assert before.json()["judged"] == "planned"
    assert before.json()["discharge_at"] == "2026-03-18T09:00:00Z"
    still_missing = {
        i["id"] for i in after.json()["checklist"]["items"] if i["status"] == "missing"
    }
    assert still_missing == {"udskrivningsaftale"}


def test_only_the_addressed_municipality_answers_readiness(api: Api) -> None:
    api.send(example("01-admission-STIN.json"))
    api.send(example("02-discharge-plan.json"))
    url = f"/api/v1/episodes/{EXAMPLE_EPISODE}/readiness"

    other = api.client.post(url, json={"ready": True}, headers=api.auth(api.tokens.copenhagen))
    hospital = api.client.post(url, json={"ready": True}, headers=api.auth(api.tokens.hospital))
    no_reason = api.client.post(url, json={"ready": False}, headers=api.auth(api.tokens.aalborg))
    not_ready = api.client.post(
        url,
        json={"ready": False, "reason": "Bostøtte kan først starte i april"},
        headers=api.auth(api.tokens.aalborg),
    )

    assert other.status_code == 404
    assert hospital.status_code == 403
    assert no_reason.status_code == 422
    assert not_ready.status_code == 200
    assert not_ready.json()["complete"] is False
    episode = api.episode(EXAMPLE_EPISODE).json()
    assert episode["readiness"]["ready"] is False
    assert episode["checklist"]["trigger"] == "readiness"


def test_the_fhir_form_of_plan_and_handover_carries_the_checklist(api: Api) -> None:
    from fhir.resources.R4B.bundle import Bundle

    api.send(example("01-admission-STIN.json"))
    plan = example("02-discharge-plan.json")
    api.send(plan)
    items = api.inbox().json()["items"]
    plan_item = next(item for item in items if item["kind"] == "discharge-plan")

    bundle = api.inbox_message(plan_item["id"], fhir=True).json()

    Bundle.model_validate(bundle)
    assert bundle["entry"][:-1] == plan["entry"]  # the hospital's content, unchanged
    outcome = bundle["entry"][-1]["resource"]
    assert outcome["resourceType"] == "OperationOutcome"
    result = {e["url"]: e for e in outcome["extension"][0]["extension"]}
    assert result["checklist"]["valueString"] == "psychiatry-adult"
    assert result["complete"]["valueBoolean"] is False
    flagged = {issue["details"]["coding"][0]["code"] for issue in outcome["issue"]}
    assert flagged == {i["id"] for i in plan_item["checklist"]["items"] if i["status"] == "missing"}
