"""The plain JSON route ends in the same episode and inbox as the FHIR route."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import Api
from tests.messages import (
    AALBORG_SOR,
    EXAMPLE_EPISODE,
    EXAMPLE_STAY,
    HOSPITAL_SOR,
    TEST_CPR,
    example,
)

LOCAL = f"https://sor2.sum.dsdn.dk/#id={HOSPITAL_SOR}"


def event(event_id: str, event_type: str, **overrides: Any) -> dict[str, Any]:
    """The example stay's facts as a JSON event."""
    body: dict[str, Any] = {
        "event_id": event_id,
        "type": event_type,
        "timestamp": "2026-03-02T21:42:00+01:00",
        "receiver": {"sor": AALBORG_SOR},
        "cpr": "250947-9989",
        "episode_identifiers": [{"system": LOCAL, "value": EXAMPLE_EPISODE}],
        "encounter": {"class": "IMP", "start": "2026-03-02T21:40:00+01:00"},
    }
    body.update(overrides)
    return body


def post(api: Api, body: dict[str, Any], token: str | None = None) -> Any:
    return api.client.post(
        "/api/v1/events", json=body, headers=api.auth(token or api.tokens.hospital)
    )


def test_an_admission_event_reaches_the_inbox_as_a_medcom_stin(api: Api) -> None:
    response = post(api, event("adm-1", "admission"))

    assert response.status_code == 200, response.text
    assert response.json()["notification_code"] == "STIN"
    item = api.inbox().json()["items"][0]
    assert (item["kind"], item["notification_code"], item["cpr"]) == (
        "hospital-notification",
        "STIN",
        TEST_CPR,
    )
    bundle = api.inbox_message(item["id"], fhir=True).json()
    assert bundle["resourceType"] == "Bundle"
    assert bundle["entry"][0]["resource"]["eventCoding"]["code"] == "hospital-notification-message"


def test_json_events_and_fhir_messages_give_the_same_episode(api: Api) -> None:
    for name in EXAMPLE_STAY:
        api.send(example(name))
    via_fhir = api.episode(EXAMPLE_EPISODE).json()

    other = "0f0e0d0c-0000-4000-8000-000000000001"
    ids = [{"system": LOCAL, "value": other}]
    plan_content = {key: value for key, value in via_fhir["content"].items() if key != "version"}
    steps = [
        event("e1", "admission", episode_identifiers=ids),
        event(
            "e2",
            "discharge-plan",
            episode_identifiers=ids,
            timestamp="2026-03-09T10:00:00+01:00",
            encounter={
                "class": "IMP",
                "start": "2026-03-02T21:40:00+01:00",
                "end": "2026-03-18T10:00:00+01:00",
            },
            content=plan_content,
        ),
        event(
            "e3",
            "discharge",
            follows="e1",
            episode_identifiers=ids,
            timestamp="2026-03-18T10:05:00+01:00",
            encounter={
                "class": "IMP",
                "start": "2026-03-02T21:40:00+01:00",
                "end": "2026-03-18T10:00:00+01:00",
            },
        ),
        event(
            "e4",
            "discharge-handover",
            episode_identifiers=ids,
            timestamp="2026-03-18T10:05:00+01:00",
            encounter={
                "class": "IMP",
                "start": "2026-03-02T21:40:00+01:00",
                "end": "2026-03-18T10:00:00+01:00",
            },
            content=plan_content,
        ),
    ]
    for step in steps:
        assert post(api, step).status_code == 200, step["event_id"]
    via_json = api.episode(other).json()

    for field in (
        "state",
        "admitted_at",
        "planned_discharge_at",
        "discharged_at",
        "content",
        "municipality_code",
    ):
        assert via_json[field] == via_fhir[field], field
    assert [e["code"] for e in via_json["timeline"]] == [e["code"] for e in via_fhir["timeline"]]
    kinds = [(m["kind"], m["notification_code"]) for m in via_json["messages_to_municipality"]]
    assert kinds == [
        (m["kind"], m["notification_code"]) for m in via_fhir["messages_to_municipality"]
    ]


def test_a_resent_event_changes_nothing(api: Api) -> None:
    first = post(api, event("adm-1", "admission"))
    again = post(api, event("adm-1", "admission"))

    assert first.json()["duplicate"] is False
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert len(api.inbox().json()["items"]) == 1


def test_corrections_and_cancellations_follow_the_event_they_name(api: Api) -> None:
    post(api, event("adm-1", "admission"))
    corrected = post(
        api,
        event(
            "adm-2",
            "admission",
            corrects="adm-1",
            encounter={"class": "IMP", "start": "2026-03-02T20:00:00+01:00"},
        ),
    )
    cancelled = post(api, event("adm-3", "admission", cancels="adm-2"))

    assert corrected.json()["notification_code"] == "RE_STIN"
    assert cancelled.json()["notification_code"] == "AN_STIN"
    assert api.episode(EXAMPLE_EPISODE).json()["state"] == "cancelled"


def test_a_malformed_event_is_a_problem_naming_the_field_without_echoing_it(api: Api) -> None:
    response = post(
        api, event("adm-1", "admission", cpr="3102479989", encounter={"class": "XYZ", "start": "x"})
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    locations = {error["location"] for error in problem["errors"]}
    assert "body.cpr" in locations
    assert "body.encounter.class" in locations
    assert "3102479989" not in response.text
    assert api.inbox().json()["items"] == []


def test_a_municipality_cannot_send_events(api: Api) -> None:
    response = post(api, event("adm-1", "admission"), token=api.tokens.aalborg)

    assert response.status_code == 403
    assert response.json()["status"] == 403


def test_an_event_for_an_unregistered_receiver_is_refused(api: Api) -> None:
    response = post(api, event("adm-1", "admission", receiver={"sor": "123456789012345"}))

    assert response.status_code == 422
    assert "receiver" in response.json()["detail"]
    assert json.loads(api.inbox().text)["items"] == []
