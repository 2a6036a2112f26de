"""Building outbound message Bundles: reading a built Bundle gives the message it was built from."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from overgang.domain.content import (
    SKS_SYSTEM,
    Appointment,
    Contact,
    Diagnosis,
    DischargeContent,
    Medication,
    Note,
    Plan,
    PlanActivity,
    RelatedPersonSummary,
)
from overgang.domain.messages import InboundMessage, MessageKind, OrganisationRef
from overgang.fhir.build import build_message_bundle
from overgang.fhir.read import read_message
from tests.messages import EXAMPLES, HOSPITAL_SOR, MEDCOM, medcom_examples, resources

CET = timezone(timedelta(hours=1))
ROUND_TRIP_FIXTURES = [
    *(p for p in sorted(EXAMPLES.glob("*.json")) if p.name != "03-readiness.json"),
    *medcom_examples(),
]
OTHER_SOR = "326541000016003"


def read(document: dict[str, Any]) -> InboundMessage:
    now = datetime.now(UTC)
    return read_message(document, now=now, max_future_skew=timedelta(minutes=5)).message


def read_fixture(path: Path) -> InboundMessage:
    return read(json.loads(path.read_text(encoding="utf-8")))


def without_warnings(message: InboundMessage) -> InboundMessage:
    return replace(message, warnings=())


def plan_message(content: DischargeContent, **changes: Any) -> InboundMessage:
    base = read_fixture(EXAMPLES / "02-discharge-plan.json")
    encounter = replace(base.encounter, period_end=content.discharge_at)
    return replace(base, content=content, encounter=encounter, **changes)


def references(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield path, node["reference"]
        for key, value in node.items():
            yield from references(value, f"{path}.{key}")
    elif isinstance(node, list):
        for item in node:
            yield from references(item, path)


FULL_CONTENT = DischargeContent(
    discharge_at=datetime(2026, 3, 18, 10, 0, tzinfo=CET),
    destination="residential-care",
    municipal_support=("sel-part-v", "substance-treatment"),
    coercion_used=True,
    weekend_discharge_agreed=False,
    pathway="child-youth",
    plans=(
        Plan(
            plan_type="koordinerende-indsatsplan",
            status="active",
            title="KIP",
            next_review=date(2026, 6, 1),
            activities=(
                PlanActivity(
                    description="Bostøtte",
                    status="scheduled",
                    scheduled="2026-03-18/..",
                    responsible="municipality",
                ),
                PlanActivity(
                    description="Misbrugsbehandling",
                    scheduled="2026-03-20T09:00:00+01:00/2026-04-20T09:00:00+02:00",
                    responsible=f"organisation:{OTHER_SOR}",
                ),
                PlanActivity(scheduled="hver mandag", responsible="practitioner"),
                PlanActivity(description="Ingen ansvarlig"),
            ),
        ),
        Plan(next_review=datetime(2026, 5, 1, 12, 0, tzinfo=UTC)),
    ),
    medications=(
        Medication(atc_code="N05AH03", display="Olanzapin", dosage_text="10 mg", status="active"),
        Medication(atc_code="N06AB06"),
        Medication(display="Naturmedicin"),
        Medication(),
    ),
    no_medication=True,
    diagnoses=(
        Diagnosis(system=SKS_SYSTEM, code="DF200", display="Paranoid skizofreni"),
        Diagnosis(system="http://hl7.org/fhir/sid/icd-10", code="F10"),
        Diagnosis(display="kun tekst"),
    ),
    appointments=(
        Appointment(
            appointment_type="network-meeting",
            start=datetime(2026, 3, 25, 13, 0, tzinfo=CET),
            status="booked",
            participant_organisation_sors=(HOSPITAL_SOR, OTHER_SOR),
            participant_kinds=("patient", "organisation", "related-person"),
        ),
        Appointment(participant_kinds=("practitioner",)),
    ),
    contacts=(
        Contact(role="hospital-contact", name="Anne Holm", phone="+45 97 64 30 00"),
        Contact(role="municipal-contact", name="Ib Lund"),
        Contact(role="coordinator"),
    ),
    relatives_consent="deny",
    relatives=(
        RelatedPersonSummary(relationship="søster", name="Eva", phone="+45 20 30 40 50"),
        RelatedPersonSummary(),
    ),
    notes=(Note(category="risk", text="Selvmordsrisiko vurderet lav."), Note(text="Andet.")),
)


# --- the round trip ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ROUND_TRIP_FIXTURES, ids=lambda p: p.name)
def test_reading_the_built_bundle_gives_the_message_back(path: Path) -> None:
    message = read_fixture(path)

    rebuilt = read(build_message_bundle(message))

    assert without_warnings(rebuilt) == without_warnings(message)


def test_every_content_fact_survives_the_round_trip() -> None:
    message = plan_message(FULL_CONTENT)

    rebuilt = read(build_message_bundle(message))

    assert rebuilt.content == FULL_CONTENT
    assert without_warnings(rebuilt) == without_warnings(message)


def test_a_handover_round_trips_with_unknown_statuses_and_no_end_on_the_encounter() -> None:
    content = DischargeContent(
        discharge_at=datetime(2026, 3, 18, 10, 0, tzinfo=CET),
        plans=(Plan(plan_type="udskrivningsaftale", activities=(PlanActivity(),)),),
        appointments=(Appointment(appointment_type="follow-up"),),
    )
    base = plan_message(content, kind=MessageKind.DISCHARGE_HANDOVER)
    message = replace(base, encounter=replace(base.encounter, period_end=None))

    rebuilt = read(build_message_bundle(message))

    assert rebuilt.kind is MessageKind.DISCHARGE_HANDOVER
    assert rebuilt.content == content
    assert rebuilt.encounter.period_end == content.discharge_at


def test_parties_named_only_by_their_kind_round_trip() -> None:
    kinds = ("care-team", "location", "healthcare-service", "device", "other", "practitioner")
    content = DischargeContent(
        plans=(
            Plan(
                activities=(
                    *(PlanActivity(responsible=kind) for kind in (*kinds, "organisation")),
                    PlanActivity(scheduled="../.."),  # not an interval: kept as text
                    PlanActivity(scheduled="2026-03/.."),  # a partial date: kept as text
                )
            ),
        ),
        appointments=(Appointment(participant_kinds=(*kinds, "organisation", "related-person")),),
        diagnoses=(Diagnosis(code="X"),),
    )

    rebuilt = read(build_message_bundle(plan_message(content)))

    assert rebuilt.content == content


# --- the shape MedCom expects --------------------------------------------------------------------


@pytest.mark.parametrize("path", ROUND_TRIP_FIXTURES, ids=lambda p: p.name)
def test_the_built_bundle_is_valid_r4_with_the_header_first(path: Path) -> None:
    bundle = build_message_bundle(read_fixture(path))

    Bundle.model_validate(bundle)
    assert bundle["entry"][0]["resource"]["resourceType"] == "MessageHeader"
    assert bundle["entry"][0]["resource"]["id"] == read_fixture(path).header_id


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(read_fixture(p), id=p.name)
        for p in (EXAMPLES / "02-discharge-plan.json", MEDCOM / medcom_examples()[0].name)
    ]
    + [pytest.param(plan_message(FULL_CONTENT), id="full-content")],
)
def test_every_reference_resolves_to_an_entry(message: InboundMessage) -> None:
    bundle = build_message_bundle(message)
    Bundle.model_validate(bundle)
    targets = {e["fullUrl"] for e in bundle["entry"]} | {
        f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]
    }

    unresolved = [
        (path, reference)
        for entry in bundle["entry"]
        for path, reference in references(entry["resource"])
        # The entity names the earlier message, which is not in this Bundle.
        if not (entry["resource"]["resourceType"] == "Provenance" and path == ".entity.what")
        and reference not in targets
    ]

    assert unresolved == []


def test_full_urls_are_absolute_and_references_relative() -> None:
    bundle = build_message_bundle(
        read_fixture(EXAMPLES / "01-admission-STIN.json"), base_url="https://fhir.example.dk/"
    )

    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == (
            f"https://fhir.example.dk/{resource['resourceType']}/{resource['id']}"
        )
    header = bundle["entry"][0]["resource"]
    assert header["sender"]["reference"].startswith("Organization/")


def test_building_twice_gives_identical_output() -> None:
    message = plan_message(FULL_CONTENT)

    first, second = build_message_bundle(message), build_message_bundle(message)

    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    ids = [e["resource"]["id"] for e in first["entry"]]
    assert len(ids) == len(set(ids))


def test_a_notification_has_medcom_profiles_envelope_and_endpoints() -> None:
    message = read_fixture(EXAMPLES / "01-admission-STIN.json")

    bundle = build_message_bundle(message)

    assert bundle["id"] == message.bundle_id
    assert bundle["timestamp"] == "2026-03-02T21:42:00+01:00"
    assert bundle["meta"]["profile"] == [
        "http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/"
        "medcom-hospitalNotification-message"
    ]
    header = bundle["entry"][0]["resource"]
    assert header["eventCoding"]["code"] == "hospital-notification-message"
    [destination] = header["destination"]
    assert destination["endpoint"] == "https://sor2.sum.dsdn.dk/#id=953741000016009"
    assert destination["extension"][0]["valueCoding"]["code"] == "primary"
    assert header["source"]["endpoint"] == "https://sor2.sum.dsdn.dk/#id=1144561000016002"
    [patient] = resources(bundle, "Patient")
    assert "name" not in patient
    assert "deceasedBoolean" not in patient
    [provenance] = resources(bundle, "Provenance")
    assert provenance["activity"]["coding"][0] == {
        "system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes",
        "code": "admit-inpatient",
    }
    assert "entity" not in provenance


def test_a_plan_uses_overgangs_event_and_activity_codes_and_claims_no_medcom_profile() -> None:
    bundle = build_message_bundle(read_fixture(EXAMPLES / "02-discharge-plan.json"))

    assert "meta" not in bundle
    overgang_event = {
        "system": "https://fhir.overgang.dk/CodeSystem/event",
        "code": "discharge-plan",
    }
    assert bundle["entry"][0]["resource"]["eventCoding"] == overgang_event
    [provenance] = resources(bundle, "Provenance")
    assert provenance["activity"]["coding"] == [overgang_event]


def test_a_deceased_citizen_is_marked_on_the_patient() -> None:
    message = replace(read_fixture(EXAMPLES / "04-discharge-SLHJ.json"), deceased=True)

    [patient] = resources(build_message_bundle(message), "Patient")

    assert patient["deceasedBoolean"] is True


def test_no_medication_is_stated_as_an_empty_loinc_list() -> None:
    bundle = build_message_bundle(plan_message(DischargeContent(no_medication=True)))

    [medication_list] = resources(bundle, "List")
    assert medication_list["code"]["coding"] == [{"system": "http://loinc.org", "code": "10160-0"}]
    assert medication_list["emptyReason"]["coding"][0]["code"] == "nilknown"
    assert "entry" not in medication_list
    assert resources(bundle, "MedicationStatement") == []


def test_a_correction_points_its_provenance_at_the_header_it_revises() -> None:
    # MedCom's RE_STIN example.
    message = read_fixture(MEDCOM / "Bundle-bfab3e80-9584-11ec-b909-0242ac120002.json")

    [provenance] = resources(build_message_bundle(message), "Provenance")

    assert provenance["target"] == [{"reference": f"MessageHeader/{message.header_id}"}]
    assert provenance["entity"] == [
        {
            "role": "revision",
            "what": {"reference": "MessageHeader/b9b4818e-02de-4cc4-b418-d20cbc7b5404"},
        }
    ]
    assert provenance["activity"]["coding"][0]["code"] == "revise-admit-inpatient"


def test_participant_organisations_get_entries_once_and_known_ones_are_reused() -> None:
    bundle = build_message_bundle(plan_message(FULL_CONTENT))

    sors = [
        i["value"]
        for o in resources(bundle, "Organization")
        for i in o["identifier"]
        if i["system"] == "urn:oid:1.2.208.176.1.1"
    ]
    assert sorted(sors) == sorted([HOSPITAL_SOR, "953741000016009", OTHER_SOR])


def test_registry_names_replace_the_organisation_names() -> None:
    message = read_fixture(EXAMPLES / "01-admission-STIN.json")

    bundle = build_message_bundle(message, sender_name="Afsnit S4", receiver_name="Aalborg")

    rebuilt = read(bundle)
    assert (rebuilt.sender.name, rebuilt.receiver.name) == ("Afsnit S4", "Aalborg")


def test_a_message_from_the_json_route_without_names_or_glns_reads_back() -> None:
    base = read_fixture(EXAMPLES / "01-admission-STIN.json")
    message = replace(
        base,
        sender=OrganisationRef(sor=HOSPITAL_SOR),
        receiver=OrganisationRef(sor="953741000016009"),
        warnings=(),
    )

    bundle = build_message_bundle(message)

    assert all("name" not in o for o in resources(bundle, "Organization"))
    assert read(bundle) == message


# --- what cannot be built ------------------------------------------------------------------------


def test_a_discharge_time_that_contradicts_the_encounter_end_is_refused() -> None:
    message = plan_message(FULL_CONTENT)
    later = replace(message.encounter, period_end=datetime(2026, 3, 19, 10, 0, tzinfo=CET))

    with pytest.raises(ValueError, match="discharge time"):
        build_message_bundle(replace(message, encounter=later))


def test_a_receiver_without_a_sor_code_is_refused() -> None:
    message = read_fixture(EXAMPLES / "01-admission-STIN.json")

    with pytest.raises(ValueError, match="SOR"):
        build_message_bundle(replace(message, receiver=replace(message.receiver, sor=None)))


def test_a_naive_timestamp_is_refused() -> None:
    message = read_fixture(EXAMPLES / "01-admission-STIN.json")

    with pytest.raises(ValueError, match="timezone"):
        build_message_bundle(replace(message, timestamp=datetime(2026, 3, 2, 21, 42)))
