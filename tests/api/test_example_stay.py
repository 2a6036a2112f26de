"""The shared example stay, end to end through HTTP: the hospital sends, Aalborg reads and acks."""

from __future__ import annotations

import json

from tests.conftest import Api
from tests.messages import EXAMPLE_EPISODE, EXAMPLE_STAY, TEST_CPR, example, header


def send_example_stay(api: Api) -> None:
    for name in EXAMPLE_STAY:
        response = api.send(example(name))
        assert response.status_code == 200, (name, response.text)


def test_each_message_is_acknowledged_ok_with_medcom_shape(api: Api) -> None:
    stin = example("01-admission-STIN.json")

    response = api.send(stin)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    ack = response.json()
    ack_header = ack["entry"][0]["resource"]
    assert ack["type"] == "message"
    assert ack_header["eventCoding"]["code"] == "acknowledgement-message"
    assert ack_header["response"] == {"identifier": header(stin)["id"], "code": "ok"}
    provenances = [
        e["resource"] for e in ack["entry"] if e["resource"]["resourceType"] == "Provenance"
    ]
    assert len(provenances) == 2
    stin_provenance = next(
        e["resource"] for e in stin["entry"] if e["resource"]["resourceType"] == "Provenance"
    )
    assert stin_provenance in provenances


def test_the_stay_arrives_in_aalborgs_inbox_in_order(api: Api) -> None:
    send_example_stay(api)

    page = api.inbox().json()

    assert [
        (item["sequence"], item["kind"], item["notification_code"]) for item in page["items"]
    ] == [
        (1, "hospital-notification", "STIN"),
        (2, "discharge-plan", None),
        (3, "hospital-notification", "SLHJ"),
        (4, "handover", None),
    ]
    assert {item["episode"] for item in page["items"]} == {EXAMPLE_EPISODE}
    assert {item["cpr"] for item in page["items"]} == {TEST_CPR}
    assert {item["status"] for item in page["items"]} == {"pending"}
    assert page["next_cursor"] is None


def test_inbox_pages_with_a_cursor(api: Api) -> None:
    send_example_stay(api)

    first = api.inbox(limit=3).json()
    rest = api.inbox(limit=3, after=first["next_cursor"]).json()

    assert [item["sequence"] for item in first["items"]] == [1, 2, 3]
    assert [item["sequence"] for item in rest["items"]] == [4]
    assert rest["next_cursor"] is None


def test_a_routed_notification_keeps_medcoms_shape_byte_for_byte(api: Api) -> None:
    stin = example("01-admission-STIN.json")
    sent = json.dumps(stin).encode()
    api.send(sent)
    item = api.inbox().json()["items"][0]

    as_fhir = api.inbox_message(item["id"], fhir=True)
    as_json = api.inbox_message(item["id"]).json()

    assert as_fhir.headers["content-type"].startswith("application/fhir+json")
    assert as_fhir.content == sent
    assert as_json["message"] == stin
    assert as_json["kind"] == "hospital-notification"


def test_acknowledging_is_idempotent_and_final(api: Api) -> None:
    send_example_stay(api)
    message_id = api.inbox().json()["items"][0]["id"]

    first = api.ack(message_id, {"status": "accepted"})
    again = api.ack(message_id, {"status": "accepted"})
    change_of_mind = api.ack(message_id, {"status": "rejected", "reason": "wrong citizen"})

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert first.json()["status"] == "acknowledged"
    assert change_of_mind.status_code == 422
    assert change_of_mind.headers["content-type"] == "application/problem+json"
    assert api.inbox().json()["items"][0]["status"] == "acknowledged"


def test_a_rejection_needs_a_reason_and_is_shown_to_the_ward(api: Api) -> None:
    send_example_stay(api)
    message_id = api.inbox().json()["items"][1]["id"]

    without_reason = api.ack(message_id, {"status": "rejected"})
    with_reason = api.ack(message_id, {"status": "rejected", "reason": "not our citizen"})
    episode = api.episode(EXAMPLE_EPISODE).json()

    assert without_reason.status_code == 422
    assert with_reason.json()["status"] == "rejected"
    plan = next(m for m in episode["messages_to_municipality"] if m["kind"] == "discharge-plan")
    assert plan["status"] == "rejected"
    assert plan["reject_reason"] == "not our citizen"


def test_the_episode_follows_the_stay(api: Api) -> None:
    api.send(example("01-admission-STIN.json"))
    admitted = api.episode(EXAMPLE_EPISODE).json()
    send_example_stay_rest(api)
    discharged = api.episode(EXAMPLE_EPISODE).json()

    assert admitted["state"] == "admitted"
    assert admitted["admitted_at"] == "2026-03-02T20:40:00Z"
    assert discharged["state"] == "discharged"
    assert discharged["planned_discharge_at"] == "2026-03-18T09:00:00Z"
    assert discharged["discharged_at"] == "2026-03-18T09:00:00Z"
    assert [event["code"] for event in discharged["timeline"]] == [
        "STIN",
        "discharge-plan",
        "SLHJ",
        "discharge-handover",
    ]
    assert discharged["municipality_code"] == "0851"
    assert discharged["content"]["destination"] == "own-home-with-support"


def send_example_stay_rest(api: Api) -> None:
    for name in EXAMPLE_STAY[1:]:
        assert api.send(example(name)).status_code == 200
