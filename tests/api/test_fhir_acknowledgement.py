"""A municipality may answer with a MedCom Acknowledgement instead of the REST ack."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from overgang.domain.issues import Issue
from overgang.fhir.acknowledgement import AcknowledgedMessage, Responder, build_acknowledgement
from overgang.fhir.read_ack import read_acknowledgement
from tests.conftest import Api
from tests.messages import AALBORG_GLN, AALBORG_SOR, FIXTURES, example, header, resources

AALBORG = Responder(
    sor=AALBORG_SOR, gln=AALBORG_GLN, name="Aalborg Kommune", endpoint="https://aalborg.example"
)


def municipality_ack(
    message: dict[str, Any], code: str, reason: str | None = None
) -> dict[str, Any]:
    """What Aalborg's case system sends back for a message it received."""
    message_header = header(message)
    sender_id = message_header["sender"]["reference"].split("/")[-1]
    sender = next(o for o in resources(message, "Organization") if o["id"] == sender_id)
    own = next(
        p
        for p in resources(message, "Provenance")
        if p["target"][0]["reference"].endswith(message_header["id"])
    )
    issues = [Issue(severity="error", code="invalid", diagnostics=reason)] if reason else []
    return build_acknowledgement(
        acknowledged=AcknowledgedMessage(
            header_id=message_header["id"],
            sender_organization=sender,
            source_endpoint=message_header["source"]["endpoint"],
            new_provenance=own,
        ),
        responder=AALBORG,
        response_code=code,  # type: ignore[arg-type]
        issues=issues,
        now=datetime.now(UTC),
    )


def test_an_ok_acknowledgement_accepts_the_inbox_message(api: Api) -> None:
    stin = example("01-admission-STIN.json")
    api.send(stin)

    response = api.send(municipality_ack(stin, "ok"), token=api.tokens.aalborg)

    assert response.status_code == 200
    assert (
        response.json()["resourceType"] == "OperationOutcome"
    )  # an acknowledgement is never acknowledged
    assert api.inbox().json()["items"][0]["status"] == "acknowledged"


def test_a_fatal_error_rejects_it_with_the_reason_shown_to_the_ward(api: Api) -> None:
    stin = example("01-admission-STIN.json")
    api.send(stin)

    api.send(municipality_ack(stin, "fatal-error", "citizen has moved"), token=api.tokens.aalborg)

    item = api.inbox().json()["items"][0]
    assert (item["status"], item["reject_reason"]) == ("rejected", "citizen has moved")
    episode = api.episode(item["episode"]).json()
    assert episode["messages_to_municipality"][0]["reject_reason"] == "citizen has moved"


def test_a_transient_error_leaves_the_message_waiting(api: Api) -> None:
    stin = example("01-admission-STIN.json")
    api.send(stin)

    response = api.send(
        municipality_ack(stin, "transient-error", "case system busy"), token=api.tokens.aalborg
    )

    assert response.status_code == 200
    assert api.inbox().json()["items"][0]["status"] == "pending"


def test_an_acknowledgement_of_another_municipalitys_message_is_not_found(api: Api) -> None:
    stin = example("01-admission-STIN.json")
    api.send(stin)

    response = api.send(municipality_ack(stin, "ok"), token=api.tokens.copenhagen)

    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"
    assert api.inbox().json()["items"][0]["status"] == "pending"


def test_an_acknowledgement_of_an_unknown_message_is_not_found(api: Api) -> None:
    stin = example("01-admission-STIN.json")

    response = api.send(municipality_ack(stin, "ok"), token=api.tokens.aalborg)

    assert response.status_code == 404


@pytest.mark.parametrize(
    "path", sorted((FIXTURES / "medcom-ack").glob("*.json")), ids=lambda p: p.name[7:15]
)
def test_medcoms_own_acknowledgements_are_read(path: Any) -> None:
    document = json.loads(path.read_text())

    acknowledgement = read_acknowledgement(document)

    assert acknowledgement.code == header(document)["response"]["code"]
    assert acknowledgement.acknowledged_header_id == header(document)["response"]["identifier"]
    if acknowledgement.code != "ok":
        assert acknowledgement.reason
