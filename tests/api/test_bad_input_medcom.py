"""Bad input inside a readable message: each MedCom or Overgang rule it breaks is refused with an
Acknowledgement fatal-error naming the element, and nothing is stored; oddities MedCom's own
traffic has are only warnings. The helpers, the body-level refusals and who may send to whom
are in test_bad_input.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from overgang.domain.identifiers import cpr_passes_modulus11, gln_is_valid, sor_check_digit_ok
from tests.api.test_bad_input import (
    HEADER,
    acknowledged,
    acknowledgement_outcome,
    assert_nothing_stored,
    identifier_values,
    issue_naming,
    receiver_of,
    refused_with_acknowledgement,
    refused_with_outcome,
    stin,
)
from tests.conftest import Api
from tests.messages import AALBORG_GLN, TEST_CPR, header, resources

PATIENT, ENCOUNTER, SENDER, RECEIVER = (f"Bundle.entry[{i}].resource" for i in (1, 2, 3, 4))
MEDCOM_EVENTS = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes"


def encounter_of(bundle: dict[str, Any]) -> dict[str, Any]:
    return resources(bundle, "Encounter")[0]


def sent_at(bundle: dict[str, Any], ahead: timedelta) -> dict[str, Any]:
    bundle["timestamp"] = (datetime.now(UTC) + ahead).isoformat(timespec="seconds")
    return bundle


def medcom_code(issue: dict[str, Any]) -> str | None:
    codings = issue.get("details", {}).get("coding", [])
    return codings[0]["code"] if codings else None


# --- The entries -----------------------------------------------------------------------------


@pytest.mark.parametrize("resource_type", ["Frobnicate", "patient", "HumanName", "Resource", None])
def test_an_entry_of_unknown_resource_type_is_refused_naming_the_entry(
    api: Api, resource_type: str | None
) -> None:
    bundle = stin()
    resources(bundle, "Patient")[0]["resourceType"] = resource_type

    response = api.send(bundle)

    refused_with_acknowledgement(response, bundle, status=400, expression=f"{PATIENT}.resourceType")
    assert_nothing_stored(api)


def test_every_entry_of_unknown_resource_type_is_named_at_once(api: Api) -> None:
    bundle = stin()
    bundle["entry"][1]["resource"]["resourceType"] = "Frobnicate"
    bundle["entry"][2]["resource"]["resourceType"] = "Encounterr"

    response = api.send(bundle)

    for expression in (f"{PATIENT}.resourceType", f"{ENCOUNTER}.resourceType"):
        refused_with_acknowledgement(response, bundle, status=400, expression=expression)
    assert_nothing_stored(api)


def test_fhir_datatype_errors_are_refused_naming_each_element_without_echoing_it(api: Api) -> None:
    bundle = stin()
    patient = resources(bundle, "Patient")[0]
    patient["birthDate"] = TEST_CPR
    patient["id"] = f"{TEST_CPR}!"

    response = api.send(bundle)

    for expression in (f"{PATIENT}.birthDate", f"{PATIENT}.id"):
        refused_with_acknowledgement(response, bundle, status=400, expression=expression)
    assert "Bruno" not in response.text and "Elmer" not in response.text
    assert_nothing_stored(api)


def test_a_focus_that_does_not_resolve_is_refused(api: Api) -> None:
    bundle = stin()
    header(bundle)["focus"] = [{"reference": "Encounter/00000000-0000-4000-8000-000000000000"}]

    response = api.send(bundle)

    issue = refused_with_acknowledgement(response, bundle, status=422, expression=f"{HEADER}.focus")
    assert "Encounter" in issue["diagnostics"]
    assert_nothing_stored(api)


def test_a_reference_to_a_missing_patient_is_refused(api: Api) -> None:
    bundle = stin()
    encounter_of(bundle)["subject"] = {"reference": "Patient/00000000-0000-4000-8000-000000000000"}

    response = api.send(bundle)

    issue = refused_with_acknowledgement(
        response, bundle, status=422, expression=f"{ENCOUNTER}.subject.reference"
    )
    assert "resolve" in issue["diagnostics"]
    assert_nothing_stored(api)


def test_a_message_without_its_own_provenance_is_refused(api: Api) -> None:
    bundle = stin()
    provenance = resources(bundle, "Provenance")[0]
    provenance["target"] = [{"reference": "MessageHeader/00000000-0000-4000-8000-000000000000"}]

    response = api.send(bundle)

    issue = refused_with_acknowledgement(
        response, bundle, status=422, expression="Bundle.entry.resource.ofType(Provenance)"
    )
    assert "Provenance" in issue["diagnostics"]
    assert_nothing_stored(api)


@pytest.mark.parametrize(
    ("system", "code"),
    [
        (MEDCOM_EVENTS, "care-communication-message"),
        (MEDCOM_EVENTS, "hospital-notification"),
        ("https://example.org/events", "hospital-notification-message"),
    ],
    ids=["other-medcom-message", "misspelt", "other-system"],
)
def test_an_event_overgang_does_not_take_is_refused(api: Api, system: str, code: str) -> None:
    bundle = stin()
    header(bundle)["eventCoding"] = {"system": system, "code": code}

    response = api.send(bundle)

    issue = refused_with_acknowledgement(
        response, bundle, status=422, expression=f"{HEADER}.eventCoding"
    )
    assert medcom_code(issue) == "MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE"
    assert_nothing_stored(api)


# --- The Encounter ---------------------------------------------------------------------------


def test_an_encounter_status_outside_the_code_list_is_refused(api: Api) -> None:
    bundle = stin()
    encounter_of(bundle)["status"] = "bogus"

    response = api.send(bundle)

    issue = refused_with_acknowledgement(
        response, bundle, status=422, expression=f"{ENCOUNTER}.status"
    )
    assert medcom_code(issue) == "MSG_VALUESET_VALUE_UNKNOWN"
    assert_nothing_stored(api)


@pytest.mark.parametrize("encounter_class", ["AMB", "HH", "imp"])
def test_an_encounter_that_is_neither_inpatient_nor_acute_ambulatory_is_refused(
    api: Api, encounter_class: str
) -> None:
    bundle = stin()
    encounter_of(bundle)["class"]["code"] = encounter_class

    response = api.send(bundle)

    issue = refused_with_acknowledgement(
        response, bundle, status=422, expression=f"{ENCOUNTER}.class.code"
    )
    assert "IMP or EMER" in issue["diagnostics"]
    assert_nothing_stored(api)


@pytest.mark.parametrize(
    "episode_of_care",
    [None, [{"identifier": {"system": "https://sor2.sum.dsdn.dk/#id=1144561000016002"}}]],
    ids=["absent", "without-value"],
)
def test_an_encounter_without_an_episode_of_care_identifier_is_refused(
    api: Api, episode_of_care: list[Any] | None
) -> None:
    bundle = stin()
    encounter = encounter_of(bundle)
    del encounter["episodeOfCare"]
    if episode_of_care is not None:
        encounter["episodeOfCare"] = episode_of_care

    response = api.send(bundle)

    refused_with_acknowledgement(
        response, bundle, status=422, expression=f"{ENCOUNTER}.episodeOfCare"
    )
    assert_nothing_stored(api)


def test_an_encounter_without_a_start_is_refused(api: Api) -> None:
    bundle = stin()
    del encounter_of(bundle)["period"]["start"]

    response = api.send(bundle)

    issue = refused_with_acknowledgement(
        response, bundle, status=422, expression=f"{ENCOUNTER}.period.start"
    )
    assert issue["diagnostics"] == "Encounter.period.start is required"
    assert_nothing_stored(api)


@pytest.mark.parametrize(
    ("start", "status"),
    [("2026-03-02T21:40:00", 400), ("2026-03-02", 422)],
    ids=["time-without-timezone", "date-only"],
)
def test_an_encounter_start_without_a_timezone_is_refused(
    api: Api, start: str, status: int
) -> None:
    bundle = stin()
    encounter_of(bundle)["period"]["start"] = start

    response = api.send(bundle)

    refused_with_acknowledgement(
        response, bundle, status=status, expression=f"{ENCOUNTER}.period.start"
    )
    assert_nothing_stored(api)


# --- The timestamp ---------------------------------------------------------------------------


def test_a_bundle_without_a_timestamp_is_refused(api: Api) -> None:
    bundle = stin()
    del bundle["timestamp"]

    response = api.send(bundle)

    refused_with_acknowledgement(response, bundle, status=422, expression="Bundle.timestamp")
    assert_nothing_stored(api)


def test_a_timestamp_more_than_five_minutes_ahead_is_refused(api: Api) -> None:
    bundle = sent_at(stin(), timedelta(minutes=5, seconds=30))

    response = api.send(bundle)

    issue = refused_with_acknowledgement(
        response, bundle, status=422, expression="Bundle.timestamp"
    )
    assert "future" in issue["diagnostics"]
    assert_nothing_stored(api)


def test_a_timestamp_just_under_five_minutes_ahead_is_accepted(api: Api) -> None:
    bundle = sent_at(stin(), timedelta(minutes=4, seconds=50))

    response = api.send(bundle)

    acknowledged(response, bundle, status=200, code="ok")
    assert len(api.inbox().json()["items"]) == 1


# --- Identifiers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cpr", "reason"),
    [
        ("3102479989", "birth date does not exist"),
        ("250947998", "10 digits"),
        ("25094799891", "10 digits"),
        ("25O9479989", "10 digits"),
    ],
    ids=["31-february", "nine-digits", "eleven-digits", "letter-o"],
)
def test_an_impossible_cpr_number_is_refused_without_repeating_it(
    api: Api, cpr: str, reason: str
) -> None:
    bundle = stin()
    resources(bundle, "Patient")[0]["identifier"][0]["value"] = cpr

    response = api.send(bundle)

    issue = refused_with_acknowledgement(
        response, bundle, status=422, expression=f"{PATIENT}.identifier[0].value"
    )
    assert reason in issue["diagnostics"]
    assert cpr not in response.text
    assert_nothing_stored(api)


def test_a_cpr_number_without_modulus_11_is_accepted(api: Api) -> None:
    bundle = stin()
    assert not cpr_passes_modulus11(TEST_CPR)  # MedCom's test CPR, issued the modern way

    response = api.send(bundle)

    acknowledged(response, bundle, status=200, code="ok")
    assert TEST_CPR not in response.text
    assert [item["cpr"] for item in api.inbox().json()["items"]] == [TEST_CPR]


def test_a_sender_gln_with_a_wrong_check_digit_is_refused_naming_it(api: Api) -> None:
    bundle = stin()
    gln = bundle["entry"][3]["resource"]["identifier"][1]
    gln["value"] = gln["value"][:-1] + str((int(gln["value"][-1]) + 1) % 10)
    assert not gln_is_valid(gln["value"])

    response = api.send(bundle)

    issue = refused_with_acknowledgement(
        response, bundle, status=422, expression=f"{SENDER}.identifier[1].value"
    )
    assert "GLN" in issue["diagnostics"]
    assert_nothing_stored(api)


def test_a_sor_id_failing_its_check_digit_is_only_a_warning(api: Api) -> None:
    bundle = stin()
    receiver = receiver_of(bundle)
    identifier_values(receiver, "953741000016008", AALBORG_GLN)  # routed by its GLN
    assert not sor_check_digit_ok("953741000016008")

    response = api.send(bundle)

    acknowledgement = acknowledged(response, bundle, status=200, code="ok")
    issue = issue_naming(
        acknowledgement_outcome(acknowledgement), f"{RECEIVER}.identifier[0].value"
    )
    assert issue["severity"] == "warning"
    assert "check digit" in issue["diagnostics"]
    assert len(api.inbox().json()["items"]) == 1


def test_ids_that_are_not_uuids_are_only_a_warning(api: Api) -> None:
    bundle = stin()
    old_header_id, new_header_id = header(bundle)["id"], "stin-1"
    bundle["id"] = "bundle-stin-1"
    header(bundle)["id"] = new_header_id
    bundle["entry"][0]["fullUrl"] = bundle["entry"][0]["fullUrl"].replace(
        old_header_id, new_header_id
    )
    resources(bundle, "Provenance")[0]["target"] = [{"reference": f"MessageHeader/{new_header_id}"}]

    response = api.send(bundle)

    outcome = acknowledgement_outcome(acknowledged(response, bundle, status=200, code="ok"))
    for expression in ("Bundle.id", f"{HEADER}.id"):
        assert issue_naming(outcome, expression)["severity"] == "warning"
    assert len(api.inbox().json()["items"]) == 1


# --- Several problems, and who is named ------------------------------------------------------


def test_every_problem_in_a_message_is_reported_at_once(api: Api) -> None:
    bundle = stin()
    encounter = encounter_of(bundle)
    encounter["status"] = "bogus"
    encounter["class"]["code"] = "AMB"
    del bundle["timestamp"]

    response = api.send(bundle)

    outcome = acknowledgement_outcome(
        acknowledged(response, bundle, status=422, code="fatal-error")
    )
    for expression in (f"{ENCOUNTER}.status", f"{ENCOUNTER}.class.code", "Bundle.timestamp"):
        issue_naming(outcome, expression)
    assert_nothing_stored(api)


def test_a_sender_that_is_not_an_organization_gets_a_plain_outcome(api: Api) -> None:
    bundle = stin()
    patient = resources(bundle, "Patient")[0]
    header(bundle)["sender"] = {"reference": f"Patient/{patient['id']}"}

    response = api.send(bundle)

    refused_with_outcome(response, status=422, expression=f"{HEADER}.sender", sent=bundle)
    assert "Elmer" not in response.text
    assert_nothing_stored(api)
