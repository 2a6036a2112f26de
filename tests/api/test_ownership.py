"""An episode stays with its owner (profile §7), and message identity is per sender.

The attack review's findings: a hospital of another owner naming the example stay's local
episode identifier took the episode over; an identifier value registered first hid another's
episode; a CPR mismatch answered 409 (an oracle); another sender's MessageHeader.id got the
first sender's answer. Here the example stay's hospital (its own owner) is A, MedCom's test
sender (its own owner too) is B.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from overgang.cli import app as cli
from overgang.storage.db import create_db_engine, session_factory, transaction
from overgang.storage.models import Episode, ReceivedMessage
from tests.api.test_duplicates import answer
from tests.api.test_episode_chain import put_in_region
from tests.api.test_events import event, post
from tests.api.test_fhir_acknowledgement import municipality_ack
from tests.conftest import Api
from tests.messages import (
    EXAMPLE_EPISODE,
    HOSPITAL_SOR,
    MEDCOM_SENDER_GLN,
    MEDCOM_SENDER_SOR,
    example,
    header,
    resources,
    with_fresh_ids,
)

A_LOCAL_SYSTEM = f"https://sor2.sum.dsdn.dk/#id={HOSPITAL_SOR}"
OTHER_CPR = "0101010000"  # a valid-looking CPR of another citizen (brief §5: mod 11 not required)


def sent_by_b(bundle: dict[str, Any]) -> dict[str, Any]:
    """The message as hospital B would send it: new ids, B as the MessageHeader's sender."""
    message = with_fresh_ids(bundle)
    sender_reference = header(message)["sender"]["reference"]
    for entry in message["entry"]:
        if entry["fullUrl"].endswith(sender_reference):
            entry["resource"]["identifier"] = [
                {"system": "urn:oid:1.2.208.176.1.1", "value": MEDCOM_SENDER_SOR},
                {"system": "https://www.gs1.org/gln", "value": MEDCOM_SENDER_GLN},
            ]
    return message


def with_header_id_of(original: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    """`message` carrying the MessageHeader.id of `original` (its Provenance retargeted)."""
    header_id = header(original)["id"]
    header(message)["id"] = header_id
    for provenance in resources(message, "Provenance"):
        for target in provenance["target"]:
            target["reference"] = f"MessageHeader/{header_id}"
    return message


def with_cpr(bundle: dict[str, Any], cpr: str) -> dict[str, Any]:
    changed = copy.deepcopy(bundle)
    resources(changed, "Patient")[0]["identifier"][0]["value"] = cpr
    return changed


def with_identifier_value(bundle: dict[str, Any], value: str) -> dict[str, Any]:
    changed = copy.deepcopy(bundle)
    for link in resources(changed, "Encounter")[0]["episodeOfCare"]:
        link["identifier"]["value"] = value
    return changed


def count(database_url: str, what: Any) -> int:
    engine = create_db_engine(database_url)
    with transaction(session_factory(engine)) as session:
        found = session.scalar(select(func.count()).select_from(what))
    engine.dispose()
    return int(found or 0)


def test_another_owner_naming_a_local_identifier_starts_its_own_episode(
    api: Api, database_url: str
) -> None:
    assert api.send(example("01-admission-STIN.json")).status_code == 200
    assert api.send(example("02-discharge-plan.json")).status_code == 200

    takeover = api.send(
        sent_by_b(example("01-admission-STIN.json")), token=api.tokens.medcom_hospital
    )
    rewrite = api.send(
        sent_by_b(example("02-discharge-plan.json")), token=api.tokens.medcom_hospital
    )

    assert takeover.status_code == rewrite.status_code == 200
    a_view = api.episode(EXAMPLE_EPISODE).json()
    b_view = api.episode(EXAMPLE_EPISODE, token=api.tokens.medcom_hospital).json()
    municipality_view = api.episode(EXAMPLE_EPISODE, token=api.tokens.aalborg).json()
    assert [e["code"] for e in a_view["timeline"]] == ["STIN", "discharge-plan"]
    assert [e["code"] for e in b_view["timeline"]] == ["STIN", "discharge-plan"]
    assert {e["header_id"] for e in a_view["timeline"]}.isdisjoint(
        {e["header_id"] for e in b_view["timeline"]}
    )
    assert (a_view["hospital_sor"], b_view["hospital_sor"]) == (HOSPITAL_SOR, MEDCOM_SENDER_SOR)
    # A's municipality still finds A's episode by its identifier, not B's copy of it.
    assert municipality_view["hospital_sor"] == HOSPITAL_SOR
    assert municipality_view["timeline"] == a_view["timeline"]
    assert count(database_url, Episode) == 2


def test_another_owners_json_event_cannot_rewrite_the_plan(api: Api) -> None:
    assert api.send(example("01-admission-STIN.json")).status_code == 200
    before = api.episode(EXAMPLE_EPISODE).json()

    response = post(
        api,
        event(
            "b-1",
            "discharge",
            encounter={
                "class": "IMP",
                "start": "2026-03-02T21:40:00+01:00",
                "end": "2026-03-03T10:00:00+01:00",
            },
        ),
        token=api.tokens.medcom_hospital,
    )

    assert response.status_code == 200, response.text
    after = api.episode(EXAMPLE_EPISODE).json()
    assert after["state"] == before["state"] == "admitted"
    assert after["timeline"] == before["timeline"]


def test_a_cpr_mismatch_on_another_owners_episode_answers_as_for_no_episode(
    api: Api,
) -> None:
    assert api.send(example("01-admission-STIN.json")).status_code == 200
    b = api.tokens.medcom_hospital

    on_a_identifier = api.send(
        sent_by_b(with_cpr(example("01-admission-STIN.json"), OTHER_CPR)), token=b
    )
    on_no_identifier = api.send(
        sent_by_b(
            with_identifier_value(
                with_cpr(example("01-admission-STIN.json"), OTHER_CPR), str(uuid.uuid4())
            )
        ),
        token=b,
    )

    assert on_a_identifier.status_code == on_no_identifier.status_code == 200
    assert header(on_a_identifier.json())["response"]["code"] == "ok"
    assert header(on_no_identifier.json())["response"]["code"] == "ok"
    # Within one owner a CPR mismatch is still the sender's mistake, refused as before.
    own = api.send(with_fresh_ids(with_cpr(example("04-discharge-SLHJ.json"), OTHER_CPR)))
    assert own.status_code == 409


def test_an_identifier_registered_first_by_another_owner_hides_nothing(api: Api) -> None:
    b = api.tokens.medcom_hospital
    b_first = sent_by_b(example("01-admission-STIN.json"))
    for link in resources(b_first, "Encounter")[0]["episodeOfCare"]:
        link["identifier"]["system"] = f"https://sor2.sum.dsdn.dk/#id={MEDCOM_SENDER_SOR}"
    assert api.send(b_first, token=b).status_code == 200

    assert api.send(example("01-admission-STIN.json")).status_code == 200

    a_view = api.episode(EXAMPLE_EPISODE).json()
    assert a_view["hospital_sor"] == HOSPITAL_SOR
    assert api.episode(EXAMPLE_EPISODE, token=b).json()["hospital_sor"] == MEDCOM_SENDER_SOR
    assert (
        api.episode(EXAMPLE_EPISODE, token=api.tokens.aalborg).json()["episode"]
        == a_view["episode"]
    )


def test_another_owner_cannot_continue_an_episode_but_a_hospital_of_the_same_region_can(
    api: Api, database_url: str
) -> None:
    assert api.send(example("01-admission-STIN.json")).status_code == 200
    discharge = sent_by_b(example("04-discharge-SLHJ.json"))

    assert api.send(discharge, token=api.tokens.medcom_hospital).status_code == 200
    assert api.episode(EXAMPLE_EPISODE).json()["state"] == "admitted"

    put_in_region(database_url, "DK-84", HOSPITAL_SOR, MEDCOM_SENDER_SOR)
    regional = api.send(example("01-admission-STIN.json") | {"id": str(uuid.uuid4())})
    assert regional.status_code == 200  # a resend: A's old episode is still A's own


def test_another_senders_message_id_gets_its_own_answer_and_is_stored(
    api: Api, database_url: str
) -> None:
    a_plan = example("02-discharge-plan.json")
    assert api.send(example("01-admission-STIN.json")).status_code == 200
    a_answer = api.send(a_plan)
    b_plan = with_header_id_of(a_plan, sent_by_b(a_plan))
    b_plan["id"] = a_plan["id"]  # A's Bundle.id too

    b_answer = api.send(b_plan, token=api.tokens.medcom_hospital)

    assert b_answer.status_code == 200, b_answer.text
    assert header(b_answer.json())["response"]["code"] == "ok"
    assert count(database_url, ReceivedMessage) == 3
    b_view = api.episode(EXAMPLE_EPISODE, token=api.tokens.medcom_hospital)
    assert b_view.status_code == 200
    assert [e["code"] for e in b_view.json()["timeline"]] == ["discharge-plan"]
    # A's resend is still answered with A's own acknowledgement.
    again = api.send(a_plan)
    assert answer(again) == answer(a_answer)


def test_the_operator_registers_a_ward_as_its_regions(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OVERGANG_DATABASE_URL", database_url)
    runner = CliRunner()
    base = ["org", "add-hospital", "--name", "Psyk Aalborg"]

    added = runner.invoke(cli, [*base, "--sor", "1144561000016002", "--region", "dk-81"])
    unknown = runner.invoke(cli, [*base, "--sor", "265161000016000", "--region", "DK-86"])

    assert added.exit_code == 0, added.output
    assert "owner: region DK-81" in added.output
    assert unknown.exit_code != 0
    assert "DK-86" in unknown.output and "DK-81" in unknown.output


def test_an_acknowledgement_naming_two_senders_message_id_acks_neither(api: Api) -> None:
    a_stin = example("01-admission-STIN.json")
    b_stin = with_header_id_of(a_stin, sent_by_b(a_stin))
    assert api.send(a_stin).status_code == 200
    assert api.send(b_stin, token=api.tokens.medcom_hospital).status_code == 200

    response = api.send(municipality_ack(a_stin, "ok"), token=api.tokens.aalborg)

    assert response.status_code == 409
    assert "inbox id" in response.text
    assert {item["status"] for item in api.inbox().json()["items"]} == {"pending"}
