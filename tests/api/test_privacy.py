"""Health data about named citizens: each partner sees only its own, and every read is audited."""

from __future__ import annotations

import io
import json
import logging
import re

from typer.testing import CliRunner

from overgang.cli import app as cli
from overgang.logs import JsonFormatter
from tests.conftest import Api
from tests.messages import EXAMPLE_EPISODE, EXAMPLE_STAY, HOSPITAL_SOR, TEST_CPR, example

CPR_SHAPED = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")


def send_stay(api: Api) -> None:
    for name in EXAMPLE_STAY:
        assert api.send(example(name)).status_code == 200


def test_another_municipality_sees_nothing_of_aalborgs_citizens(api: Api) -> None:
    send_stay(api)
    message_id = api.inbox().json()["items"][0]["id"]
    copenhagen = api.tokens.copenhagen

    assert api.inbox(token=copenhagen).json()["items"] == []
    assert api.inbox_message(message_id, token=copenhagen).status_code == 404
    assert api.ack(message_id, {"status": "accepted"}, token=copenhagen).status_code == 404
    assert api.episode(EXAMPLE_EPISODE, token=copenhagen).status_code == 404
    assert api.inbox().json()["items"][0]["status"] == "pending"


def test_a_hospital_reads_only_episodes_it_sent(api: Api) -> None:
    send_stay(api)

    assert api.episode(EXAMPLE_EPISODE).status_code == 200
    assert api.episode(EXAMPLE_EPISODE, token=api.tokens.aalborg).status_code == 200
    other_hospital = api.episode(EXAMPLE_EPISODE, token=api.tokens.medcom_hospital)
    assert other_hospital.status_code == 404
    assert other_hospital.headers["content-type"] == "application/problem+json"


def test_a_hospital_has_no_inbox(api: Api) -> None:
    response = api.inbox(token=api.tokens.hospital)

    assert response.status_code == 403
    assert response.json()["title"] == "Not allowed"


def test_every_call_needs_a_known_bearer_token(api: Api) -> None:
    no_token = api.client.get("/api/v1/inbox")
    wrong_token = api.inbox(token="ovg_not-a-real-token")

    assert no_token.status_code == wrong_token.status_code == 401
    assert no_token.headers["content-type"] == "application/problem+json"
    assert wrong_token.headers["www-authenticate"] == "Bearer"


def test_every_read_of_personal_data_is_audited_and_listed_for_the_operator(
    api: Api, database_url: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    send_stay(api)
    message_id = api.inbox().json()["items"][0]["id"]
    api.inbox_message(message_id)
    api.episode(EXAMPLE_EPISODE)
    monkeypatch.setenv("OVERGANG_DATABASE_URL", database_url)

    result = CliRunner().invoke(cli, ["audit", "list", "--since", "1h"])

    assert result.exit_code == 0, result.output
    header, *lines = result.output.strip().splitlines()
    assert header.split("\t") == [
        "at",
        "action",
        "resource",
        "client",
        "organisation",
        "client_address",
        "outcome",
        "episodes",
        "request_id",
    ]
    rows = [line.split("\t") for line in lines]
    assert [row[1] for row in rows[:4]] == ["intake.fhir"] * 4  # the stay's messages, written
    rows = rows[4:]
    assert [row[1] for row in rows] == ["inbox.list", "inbox.get", "episode.get"]
    assert rows[1][2] == f"inbox-message:{message_id}"
    assert [(row[3], row[4]) for row in rows] == [
        ("aalborg", "0851"),
        ("aalborg", "0851"),
        ("hospital", HOSPITAL_SOR),
    ]
    assert {row[6] for row in rows} == {"allowed"}
    # Each names the episode it read, by the identifier the API shows.
    assert {row[7] for row in rows} == {api.episode(EXAMPLE_EPISODE).json()["episode"]}
    assert TEST_CPR not in result.output


def test_logs_carry_no_cpr_numbers_names_or_clinical_text(api: Api) -> None:
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(JsonFormatter())
    # httpx logs the test client's own requests (full URLs); the server side is what is checked.
    handler.addFilter(lambda record: not record.name.startswith("httpx"))
    root = logging.getLogger()
    root.addHandler(handler)
    previous_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        send_stay(api)
        api.send(b"{not json")  # a refusal is logged too
        message_id = api.inbox().json()["items"][0]["id"]
        api.inbox_message(message_id)
        api.ack(message_id, {"status": "rejected", "reason": "Borger ikke kendt i kommunen"})
        api.episode(EXAMPLE_EPISODE)
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)

    log = captured.getvalue()
    entries = [json.loads(line) for line in log.splitlines()]
    assert "/fhir/$process-message" in {entry.get("route") for entry in entries}
    assert TEST_CPR not in log
    # Random ids and timings may hold ten digits in a row; everything else may not.
    own_ids = ("request_id", "organisation_id", "time", "duration_ms")
    for entry in entries:
        text = json.dumps({key: value for key, value in entry.items() if key not in own_ids})
        assert CPR_SHAPED.search(text) is None, text
    for personal in ("Elmer", "Bruno", "Bostøtte", "Borger ikke kendt", EXAMPLE_EPISODE):
        assert personal not in log
