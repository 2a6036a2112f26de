"""Following one episode through MedCom's Provenance chain: corrections, cancellations, death, late
messages, double admissions, transfers, and an identifier that belongs to someone else."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update

from overgang.service import partners
from overgang.storage.db import create_db_engine, session_factory
from overgang.storage.models import Organisation
from tests.api.test_medcom_examples import (
    AN_STIN,
    EPISODE,
    LOCAL_SYSTEM,
    LPR3_EPISODE,
    MORS,
    RE_STIN,
    SLHJ,
    STIN,
    STIN_TWO_IDS,
    STOR,
    chain_warnings,
    episode_of,
    medcom,
    own_provenance,
    send,
)
from tests.conftest import Api
from tests.messages import (
    HOSPITAL_SOR,
    MEDCOM_SENDER_SOR,
    example,
    header,
    resources,
    with_fresh_ids,
)

OTHER_CPR = "0707614285"


def with_episode_identifiers(bundle: dict[str, Any], *identifiers: tuple[str, str]) -> None:
    [encounter] = resources(bundle, "Encounter")
    encounter["episodeOfCare"] = [
        {"identifier": {"system": system, "value": value}} for system, value in identifiers
    ]


def with_cpr(bundle: dict[str, Any], cpr: str) -> None:
    resources(bundle, "Patient")[0]["identifier"][0]["value"] = cpr


def inbox(api: Api) -> list[tuple[str, str]]:
    return [(i["notification_code"], i["episode"]) for i in api.inbox().json()["items"]]


def test_a_leave_told_after_the_discharge_leaves_the_episode_discharged(api: Api) -> None:
    for name in (STIN, SLHJ, STOR):
        assert send(api, medcom(name)).status_code == 200, name

    episode = episode_of(api)

    assert episode["state"] == "discharged"
    assert episode["discharged_at"] == "2022-12-18T07:45:30Z"
    assert [event["code"] for event in episode["timeline"]] == ["STIN", "STOR", "SLHJ"]


def test_a_correction_replaces_the_admission_time(api: Api) -> None:
    send(api, medcom(STIN))
    admitted = episode_of(api)

    response = send(api, medcom(RE_STIN))
    corrected = episode_of(api)

    assert chain_warnings(response.json()) == []
    assert admitted["admitted_at"] == "2022-12-07T10:00:00Z"
    assert corrected["admitted_at"] == "2022-12-07T11:00:00Z"
    assert corrected["state"] == "admitted"
    assert [(e["code"], e["replaced_by_header_id"]) for e in corrected["timeline"]] == [
        ("STIN", header(medcom(RE_STIN))["id"]),
        ("RE_STIN", None),
    ]


def test_an_admission_notice_arriving_after_its_correction_only_enters_the_history(
    api: Api,
) -> None:
    send(api, medcom(RE_STIN))
    late = send(api, medcom(STIN))

    episode = episode_of(api)

    assert header(late.json())["response"]["code"] == "ok"
    assert episode["admitted_at"] == "2022-12-07T11:00:00Z"
    assert {e["code"]: e["replaced_by_header_id"] for e in episode["timeline"]} == {
        "STIN": header(medcom(RE_STIN))["id"],
        "RE_STIN": None,
    }
    assert [code for code, _ in inbox(api)] == ["RE_STIN", "STIN"]


def test_a_cancelled_admission_cancels_the_episode(api: Api) -> None:
    send(api, medcom(STIN))

    send(api, medcom(AN_STIN))
    episode = episode_of(api)

    assert episode["state"] == "cancelled"
    assert [(e["code"], e["replaced_by_header_id"]) for e in episode["timeline"]] == [
        ("STIN", header(medcom(AN_STIN))["id"]),
        ("AN_STIN", None),
    ]
    assert [code for code, _ in inbox(api)] == ["STIN", "AN_STIN"]


def test_a_cancellation_citing_the_corrected_admission_cancels_the_correction_too(
    api: Api,
) -> None:
    send(api, medcom(STIN))
    send(api, medcom(RE_STIN))

    response = send(api, medcom(AN_STIN))  # as MedCom publishes it: it cites the first STIN
    episode = episode_of(api)

    assert header(response.json())["response"]["code"] == "ok"
    assert chain_warnings(response.json()) == [
        "a correction or cancellation must follow the latest notice of the episode"
    ]
    assert episode["state"] == "cancelled"
    assert episode["admitted_at"] is None
    assert {e["code"]: e["replaced_by_header_id"] for e in episode["timeline"]} == {
        "STIN": header(medcom(RE_STIN))["id"],
        "RE_STIN": header(medcom(AN_STIN))["id"],
        "AN_STIN": None,
    }


def test_a_death_closes_the_episode(api: Api) -> None:
    send(api, medcom(STIN))

    send(api, medcom(MORS))
    episode = episode_of(api)

    assert episode["state"] == "deceased"
    assert episode["discharged_at"] == "2022-12-09T07:45:30Z"
    assert [code for code, _ in inbox(api)] == ["STIN", "MORS"]


def test_a_death_after_a_corrected_admission_is_told_as_a_death(api: Api) -> None:
    """MORS repeats the activity of the message it follows; after RE_STIN that is a revise- code."""
    mors = medcom(MORS)
    provenance = own_provenance(mors)
    provenance["activity"]["coding"][0]["code"] = "revise-admit-inpatient"
    provenance["entity"][0]["what"]["reference"] = f"MessageHeader/{header(medcom(RE_STIN))['id']}"
    send(api, medcom(STIN))
    send(api, medcom(RE_STIN))

    send(api, mors)

    assert [code for code, _ in inbox(api)] == ["STIN", "RE_STIN", "MORS"]
    assert episode_of(api)["state"] == "deceased"


def test_a_double_admission_gives_two_episodes(api: Api) -> None:
    somatic = "5c0e4e3a-3f0b-4d43-9d2e-0c1a3c5b7a11"
    second = with_fresh_ids(medcom(STIN))
    with_episode_identifiers(second, (LOCAL_SYSTEM, somatic))

    send(api, medcom(STIN))
    send(api, second)

    assert inbox(api) == [("STIN", EPISODE), ("STIN", somatic)]
    first, other = episode_of(api), episode_of(api, somatic)
    assert first["cpr"] == other["cpr"]
    assert (first["state"], other["state"]) == ("admitted", "admitted")
    assert len(first["timeline"]) == len(other["timeline"]) == 1


def test_an_episode_identifier_of_another_citizen_is_refused_and_nothing_stored(
    api: Api,
) -> None:
    stranger = with_fresh_ids(medcom(STIN))
    with_cpr(stranger, OTHER_CPR)
    send(api, medcom(STIN))

    refused = send(api, stranger)

    assert refused.status_code == 409
    assert header(refused.json())["response"]["code"] == "fatal-error"
    assert inbox(api) == [("STIN", EPISODE)]
    episode = episode_of(api)
    assert episode["cpr"] != OTHER_CPR
    assert len(episode["timeline"]) == 1


def test_an_identifier_of_another_citizens_episode_is_refused_beside_the_citizens_own(
    api: Api,
) -> None:
    """The local identifier matches the citizen's episode, the LPR3 one another citizen's."""
    own = "7d4c2b1a-0000-4000-8000-00000000000a"
    citizen = with_fresh_ids(medcom(STIN))
    with_cpr(citizen, OTHER_CPR)
    with_episode_identifiers(citizen, (LOCAL_SYSTEM, own))
    send(api, citizen)
    send(api, medcom(STIN_TWO_IDS))  # the test citizen's episode, LPR3 identifier included
    mixed = with_fresh_ids(medcom(STIN_TWO_IDS))
    with_cpr(mixed, OTHER_CPR)
    [encounter] = resources(mixed, "Encounter")
    encounter["episodeOfCare"][1]["identifier"]["value"] = own

    refused = send(api, mixed)

    assert refused.status_code == 409
    assert [code for code, _ in inbox(api)] == ["STIN", "STIN"]
    assert len(episode_of(api, own)["timeline"]) == 1
    assert len(episode_of(api, LPR3_EPISODE)["timeline"]) == 1


def test_a_transfer_keeps_the_episode_and_both_hospitals_read_it(
    api: Api, database_url: str
) -> None:
    # Hospitals of one owner (here their region) continue each other's episodes.
    put_in_region(database_url, "DK-84", MEDCOM_SENDER_SOR, HOSPITAL_SOR)
    third_hospital = register_hospital(database_url, sor="399841000016000")
    discharge = example("04-discharge-SLHJ.json")  # sent by the example stay's hospital
    with_episode_identifiers(discharge, (LOCAL_SYSTEM, f"urn:uuid:{EPISODE.upper()}"))
    send(api, medcom(STIN))

    response = api.send(discharge, token=api.tokens.hospital)

    assert response.status_code == 200, response.text
    assert inbox(api) == [("STIN", EPISODE), ("SLHJ", EPISODE)]
    by_first = api.episode(EPISODE, token=api.tokens.medcom_hospital)
    by_second = api.episode(EPISODE, token=api.tokens.hospital)
    assert by_first.status_code == by_second.status_code == 200
    assert by_first.json()["timeline"] == by_second.json()["timeline"]
    assert by_second.json()["state"] == "discharged"
    assert [e["code"] for e in by_second.json()["timeline"]] == ["STIN", "SLHJ"]
    assert api.episode(EPISODE, token=third_hospital).status_code == 404
    assert api.episode(EPISODE, token=api.tokens.copenhagen).status_code == 404


def put_in_region(database_url: str, region: str, *sors: str) -> None:
    """Register the hospitals as the region's: it owns the episodes they start from now on."""
    engine = create_db_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            update(Organisation).where(Organisation.sor.in_(sors)).values(region=region)
        )
    engine.dispose()


def register_hospital(database_url: str, *, sor: str) -> str:
    """A hospital with a token that has sent nothing about the episode."""
    now = datetime.now(UTC)
    engine = create_db_engine(database_url)
    sessions = session_factory(engine)
    partners.register_hospital(sessions=sessions, sor=sor, gln=None, name="Another ward", now=now)
    token = partners.create_client(sessions=sessions, org=sor, name="another", now=now).token
    engine.dispose()
    return token
