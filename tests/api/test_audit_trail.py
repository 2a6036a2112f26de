"""Every access to personal data leaves an audit row, allowed or not, with who asked, from
where, and how it ended; the operator reads the trail in the names the API uses."""

from __future__ import annotations

import re
import uuid

import pytest
from typer.testing import CliRunner

from overgang.cli import app as cli
from tests.api.test_events import event, post
from tests.api.test_fhir_acknowledgement import municipality_ack
from tests.api.test_privacy import send_stay
from tests.conftest import Api
from tests.messages import EXAMPLE_EPISODE, HOSPITAL_SOR, MEDCOM_SENDER_SOR, TEST_CPR, example

UUID_SHAPED = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TEST_CLIENT = "testclient"  # the TCP peer Starlette's test client reports


@pytest.fixture
def trail(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """`overgang audit list` as the operator runs it: each line as {column: value}."""
    monkeypatch.setenv("OVERGANG_DATABASE_URL", database_url)

    def read() -> tuple[list[dict[str, str]], str]:
        result = CliRunner().invoke(cli, ["audit", "list", "--since", "1h"])
        assert result.exit_code == 0, result.output
        header, *lines = result.output.strip().splitlines()
        columns = header.split("\t")
        return [dict(zip(columns, line.split("\t"), strict=True)) for line in lines], result.output

    return read


def test_a_readiness_answer_is_audited_with_the_episode_it_changed(api: Api, trail) -> None:  # type: ignore[no-untyped-def]
    send_stay(api)
    response = api.client.post(
        f"/api/v1/episodes/{EXAMPLE_EPISODE}/readiness",
        json={"ready": True, "ready_from": "2026-06-12"},
        headers=api.auth(api.tokens.aalborg),
    )
    assert response.status_code == 200, response.text

    rows, _ = trail()

    [row] = [row for row in rows if row["action"] == "episode.readiness"]
    assert row["outcome"] == "allowed"
    assert (row["client"], row["organisation"]) == ("aalborg", "0851")
    assert row["client_address"] == TEST_CLIENT
    assert row["episodes"] == api.episode(EXAMPLE_EPISODE).json()["episode"]
    assert row["request_id"] == response.headers["x-request-id"]


def test_an_acknowledgement_is_audited(api: Api, trail) -> None:  # type: ignore[no-untyped-def]
    send_stay(api)
    message_id = api.inbox().json()["items"][0]["id"]
    assert api.ack(message_id, {"status": "accepted"}).status_code == 200

    rows, _ = trail()

    [row] = [row for row in rows if row["action"] == "inbox.ack"]
    assert (row["outcome"], row["resource"]) == ("allowed", f"inbox-message:{message_id}")
    assert row["episodes"] != "-"


def test_another_municipalitys_reads_leave_not_found_rows_that_name_no_episode(
    api: Api,
    trail,  # type: ignore[no-untyped-def]
) -> None:
    send_stay(api)
    message_id = api.inbox().json()["items"][0]["id"]
    copenhagen = api.tokens.copenhagen

    foreign = api.inbox_message(message_id, token=copenhagen)
    absent = api.inbox_message(str(uuid.uuid4()), token=copenhagen)
    foreign_episode = api.episode(EXAMPLE_EPISODE, token=copenhagen)
    foreign_ack = api.ack(message_id, {"status": "accepted"}, token=copenhagen)

    # The answers cannot tell another's message from one that is not there.
    assert foreign.status_code == absent.status_code == foreign_episode.status_code == 404
    assert foreign_ack.status_code == 404
    assert foreign.headers["content-type"] == "application/problem+json"
    without_id = {key: value for key, value in foreign.json().items() if key != "request_id"}
    assert without_id == {k: v for k, v in absent.json().items() if k != "request_id"}
    rows, _ = trail()
    refused = [row for row in rows if row["client"] == "copenhagen"]
    assert [(row["action"], row["outcome"]) for row in refused] == [
        ("inbox.get", "not-found"),
        ("inbox.get", "not-found"),
        ("episode.get", "not-found"),
        ("inbox.ack", "not-found"),
    ]
    assert refused[0]["resource"] == f"inbox-message:{message_id}"
    assert refused[0]["request_id"] == foreign.headers["x-request-id"]
    assert refused[2]["resource"] == f"episode:{EXAMPLE_EPISODE}"
    for row in refused:
        assert (row["organisation"], row["client_address"]) == ("0101", TEST_CLIENT)
        assert row["episodes"] == "-"


def test_a_hospital_of_another_owner_reading_an_episode_leaves_a_not_found_row(
    api: Api,
    trail,  # type: ignore[no-untyped-def]
) -> None:
    send_stay(api)

    assert api.episode(EXAMPLE_EPISODE, token=api.tokens.medcom_hospital).status_code == 404
    preflight = api.client.get(
        f"/api/v1/episodes/{EXAMPLE_EPISODE}/readiness",
        headers=api.auth(api.tokens.medcom_hospital),
    )
    assert preflight.status_code == 404

    rows, _ = trail()
    refused = [row for row in rows if row["client"] == "medcom_hospital"]
    assert [(row["action"], row["outcome"]) for row in refused] == [
        ("episode.get", "not-found"),
        ("episode.preflight", "not-found"),
    ]
    assert {row["organisation"] for row in refused} == {MEDCOM_SENDER_SOR}
    assert {row["episodes"] for row in refused} == {"-"}


def test_a_hospital_calling_a_municipality_route_leaves_a_denied_row(api: Api, trail) -> None:  # type: ignore[no-untyped-def]
    send_stay(api)
    inbox = api.inbox(token=api.tokens.hospital)
    answer = api.client.post(
        f"/api/v1/episodes/{EXAMPLE_EPISODE}/readiness",
        json={"ready": True},
        headers=api.auth(api.tokens.hospital),
    )

    assert inbox.status_code == answer.status_code == 403
    rows, _ = trail()
    denied = [row for row in rows if row["outcome"] == "denied"]
    assert [row["action"] for row in denied] == ["inbox.list", "episode.readiness"]
    for row in denied:
        assert (row["client"], row["organisation"]) == ("hospital", HOSPITAL_SOR)
        assert row["client_address"] == TEST_CLIENT
        assert row["episodes"] == "-"
    assert api.episode(EXAMPLE_EPISODE).json()["readiness"] is None  # the denied write undone


def test_the_operators_list_uses_the_apis_names_and_never_a_cpr_number(api: Api, trail) -> None:  # type: ignore[no-untyped-def]
    send_stay(api)
    api.episode(EXAMPLE_EPISODE)
    ten_digits_by_chance = "3e7fdf85-9362-4d50-aa01-3b3292601371"
    api.inbox_message(ten_digits_by_chance, token=api.tokens.copenhagen)
    api.episode(TEST_CPR, token=api.tokens.copenhagen)  # probing with a CPR number

    rows, output = trail()

    assert TEST_CPR not in output
    assert TEST_CPR[:6] + "-" + TEST_CPR[6:] not in output
    assert rows[-1]["resource"] == "episode:(cpr-shaped, not kept)"
    assert rows[-2]["resource"] == f"inbox-message:{ten_digits_by_chance}"
    read = rows[-3]
    assert read["episodes"] == api.episode(EXAMPLE_EPISODE).json()["episode"]
    for row in rows:
        assert not UUID_SHAPED.fullmatch(row["client"]), row
        assert not UUID_SHAPED.fullmatch(row["organisation"]), row


def test_deliveries_name_episodes_so_reading_or_replaying_them_is_audited(api: Api, trail) -> None:  # type: ignore[no-untyped-def]
    aalborg = api.auth(api.tokens.aalborg)
    webhook = {"url": "http://127.0.0.1:9/overgang"}  # never called: no sender runs here
    assert api.client.post("/api/v1/webhooks", json=webhook, headers=aalborg).status_code == 201
    send_stay(api)
    deliveries = api.client.get("/api/v1/deliveries", headers=aalborg).json()
    replayed_elsewhere = api.client.post(
        f"/api/v1/deliveries/{deliveries[0]['id']}/replay",
        headers=api.auth(api.tokens.copenhagen),
    )
    by_hospital = api.client.get("/api/v1/deliveries", headers=api.auth(api.tokens.hospital))

    assert (replayed_elsewhere.status_code, by_hospital.status_code) == (404, 403)
    rows, _ = trail()
    audited = [row for row in rows if row["action"].startswith("delivery.")]
    assert [(row["action"], row["client"], row["outcome"]) for row in audited] == [
        ("delivery.list", "aalborg", "allowed"),
        ("delivery.replay", "copenhagen", "not-found"),
        ("delivery.list", "hospital", "denied"),
    ]
    assert audited[0]["episodes"] == api.episode(EXAMPLE_EPISODE).json()["episode"]
    assert audited[1]["resource"] == f"delivery:{deliveries[0]['id']}"
    assert audited[1]["episodes"] == audited[2]["episodes"] == "-"


def test_every_message_taken_or_refused_is_audited(api: Api, trail) -> None:  # type: ignore[no-untyped-def]
    stin = example("01-admission-STIN.json")
    taken = api.send(stin)
    not_as_itself = api.send(stin, token=api.tokens.medcom_hospital)  # another hospital's header
    by_event = post(api, event("adm-9", "admission"))
    acknowledged = api.send(municipality_ack(stin, "ok"), token=api.tokens.aalborg)
    assert (taken.status_code, not_as_itself.status_code) == (200, 403)
    assert (by_event.status_code, acknowledged.status_code) == (200, 200)

    rows, output = trail()

    intake = [row for row in rows if row["action"].startswith(("intake.", "inbox.ack-fhir"))]
    assert [(row["action"], row["outcome"], row["organisation"]) for row in intake] == [
        ("intake.fhir", "allowed", HOSPITAL_SOR),
        ("intake.fhir", "denied", MEDCOM_SENDER_SOR),
        ("intake.events", "allowed", HOSPITAL_SOR),
        ("inbox.ack-fhir", "allowed", "0851"),
    ]
    assert intake[0]["episodes"] == EXAMPLE_EPISODE
    assert intake[1]["episodes"] == "-"
    assert intake[0]["request_id"] == taken.headers["x-request-id"]
    assert TEST_CPR not in output


def test_a_refused_message_is_audited_without_echoing_a_bad_header_id(api: Api, trail) -> None:  # type: ignore[no-untyped-def]
    malformed = example("01-admission-STIN.json")
    malformed["entry"][0]["resource"]["id"] = "x" * 200  # not a FHIR id: refused
    not_json = api.send(b"{not json")
    refused = api.send(malformed)
    assert (not_json.status_code, refused.status_code) == (400, 400)

    rows, _ = trail()

    intake = [row for row in rows if row["action"] == "intake.fhir"]
    assert [(row["outcome"], row["resource"]) for row in intake] == [
        ("refused", "message:-"),
        ("refused", "message:-"),
    ]
