"""Reading discharge content from small crafted Bundles: edge cases the worked examples miss."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from overgang.domain.content import (
    SKS_SYSTEM,
    Appointment,
    Contact,
    DischargeContent,
    Medication,
    Note,
    Plan,
    PlanActivity,
    RelatedPersonSummary,
)
from overgang.fhir.bundle import BundleIndex
from overgang.fhir.content import ContentError, extract_discharge_content

CS = "https://fhir.overgang.dk/CodeSystem/"
SD = "https://fhir.overgang.dk/StructureDefinition/"
SOR = "urn:oid:1.2.208.176.1.1"
MUNICIPALITY_SOR = "953741000016009"


def extract(encounter: dict[str, Any], *resources: dict[str, Any]) -> DischargeContent:
    """Content of a small Bundle holding the Encounter and `resources`, with urn:uuid fullUrls."""
    entries = [
        {"fullUrl": f"urn:uuid:{r.pop('_uuid')}" if "_uuid" in r else None, "resource": r}
        for r in [{"resourceType": "Encounter", **encounter}, *resources]
    ]
    index = BundleIndex({"resourceType": "Bundle", "type": "message", "entry": entries})
    return extract_discharge_content(index, index.entries[0])


def coding(code_system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": CS + code_system, "code": code}]}


def plan(*activities: dict[str, Any], plan_type: str = "udskrivningsaftale", **more: Any) -> Any:
    return {
        "resourceType": "CarePlan",
        "status": "active",
        "category": [coding("plan-type", plan_type)],
        "activity": [{"detail": a} for a in activities],
        **more,
    }


def responsible(code: str) -> list[dict[str, Any]]:
    value = {"system": CS + "responsible", "code": code}
    return [{"url": SD + "responsible", "valueCoding": value}]


def test_no_medication_list_is_read_as_a_statement_of_no_medication() -> None:
    no_medication = {
        "resourceType": "List",
        "status": "current",
        "mode": "snapshot",
        "code": {"coding": [{"system": "http://loinc.org", "code": "10160-0"}]},
        "emptyReason": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/list-empty-reason",
                    "code": "nilknown",
                }
            ]
        },
    }
    assert extract({}, no_medication).no_medication is True
    assert extract({}, {**no_medication, "emptyReason": None}).no_medication is False
    other_list = {
        **no_medication,
        "code": {"coding": [{"system": "http://loinc.org", "code": "x"}]},
    }
    assert extract({}, other_list).no_medication is False


def test_a_performer_reference_names_the_responsible_party() -> None:
    municipality = {
        "resourceType": "Organization",
        "id": "kommune",
        "identifier": [{"system": SOR, "value": MUNICIPALITY_SOR}],
    }
    doctor = {"resourceType": "Practitioner", "id": "doc"}
    citizen = {"resourceType": "Patient", "id": "pat"}
    sister = {"resourceType": "RelatedPerson", "id": "sis"}
    care_plan = plan(
        {"status": "scheduled", "performer": [{"reference": "Organization/kommune"}]},
        {"status": "scheduled", "performer": [{"reference": "Practitioner/doc"}]},
        {"status": "scheduled", "performer": [{"reference": "Patient/pat"}]},
        {"status": "scheduled", "performer": [{"reference": "RelatedPerson/sis"}]},
        {"performer": [{"reference": "Organization/not-in-bundle"}]},
        {"performer": [{"identifier": {"system": SOR, "value": "123456789012345"}}]},
        {"performer": [{"reference": "Practitioner/doc"}], "extension": responsible("gp")},
    )

    content = extract({}, care_plan, municipality, doctor, citizen, sister)

    activities = content.plans[0].activities
    assert [a.responsible for a in activities] == [
        f"organisation:{MUNICIPALITY_SOR}",
        "practitioner",
        "citizen",
        "relative",
        "organisation",
        "organisation:123456789012345",
        "gp",
    ]
    assert activities[0].responsible_sor == MUNICIPALITY_SOR
    assert activities[4].responsible_sor is None


def test_missing_pieces_give_empty_content_not_errors() -> None:
    assert extract({}) == DischargeContent()
    sparse = extract(
        {"period": {"start": "2026-03-02T21:40:00+01:00"}, "hospitalization": {}},
        {"resourceType": "CarePlan", "activity": [{}]},
        {"resourceType": "MedicationStatement"},
        {"resourceType": "Condition"},
        {"resourceType": "Appointment", "participant": [{"type": []}]},
        {"resourceType": "CareTeam", "participant": [{"member": {"reference": "Practitioner/x"}}]},
        {
            "resourceType": "Consent",
            "category": [coding("consent-category", "relatives-involvement")],
        },
        {"resourceType": "RelatedPerson"},
        {"resourceType": "Communication", "payload": [{"contentAttachment": {}}]},
    )
    assert sparse == DischargeContent(
        plans=(Plan(activities=(PlanActivity(),)),),
        medications=(Medication(),),
        appointments=(Appointment(),),
        relatives=(RelatedPersonSummary(),),
    )


@pytest.mark.parametrize("bad", ["2026-02-30T10:00:00+01:00", "0101901234", "2026-03-25T13:00:00"])
def test_an_unreadable_date_is_named_but_never_repeated(bad: str) -> None:
    appointments = [
        {"resourceType": "Appointment", "start": "2026-03-25T13:00:00+01:00"},
        {"resourceType": "Appointment", "start": bad},
    ]
    with pytest.raises(ContentError) as caught:
        extract({}, *appointments)

    assert caught.value.expression == "Appointment[1].start"
    assert str(caught.value).startswith("Appointment[1].start ")
    assert bad not in str(caught.value)
    error = caught.value
    assert error.__cause__ is None
    assert error.__suppress_context__ or error.__context__ is None  # no parser message with it


def test_a_discharge_time_without_a_time_of_day_is_refused() -> None:
    with pytest.raises(ContentError, match=r"^Encounter\.period\.end "):
        extract({"period": {"end": "2026-03-18"}})


def test_urn_uuid_references_are_followed() -> None:
    nurse = {
        "_uuid": "0c3c3a52-3d36-4e5a-9d43-2f7e9c6f3b11",
        "resourceType": "Practitioner",
        "name": [{"given": ["Anne"], "family": "Holm"}],
        "telecom": [
            {"system": "email", "value": "a@x.dk"},
            {"system": "phone", "value": "12345678"},
        ],
    }
    kommune = {
        "_uuid": "7f1e1c55-55b4-4a53-8a40-1d2d0f0b9a22",
        "resourceType": "Organization",
        "identifier": [{"system": SOR, "value": MUNICIPALITY_SOR}],
    }
    team = {
        "resourceType": "CareTeam",
        "participant": [
            {
                "role": [coding("care-team-role", "hospital-contact")],
                "member": {"reference": "urn:uuid:0c3c3a52-3d36-4e5a-9d43-2f7e9c6f3b11"},
            }
        ],
    }
    meeting = {
        "resourceType": "Appointment",
        "status": "fulfilled",
        "serviceType": [coding("appointment-type", "network-meeting")],
        "participant": [{"actor": {"reference": "urn:uuid:7f1e1c55-55b4-4a53-8a40-1d2d0f0b9a22"}}],
    }

    content = extract({}, nurse, kommune, team, meeting)

    assert content.contacts == (
        Contact(role="hospital-contact", name="Anne Holm", phone="12345678"),
    )
    assert content.appointments[0].participant_organisation_sors == (MUNICIPALITY_SOR,)
    assert content.appointments[0].participant_kinds == ("organisation",)


def test_a_practitioner_role_gives_its_phone_and_its_practitioners_name() -> None:
    person = {"resourceType": "Practitioner", "id": "p", "name": [{"text": "Lars Bech"}]}
    role = {
        "resourceType": "PractitionerRole",
        "id": "r",
        "practitioner": {"reference": "Practitioner/p"},
        "telecom": [{"system": "phone", "value": "+45 97 64 30 01"}],
    }
    team = {
        "resourceType": "CareTeam",
        "participant": [
            {
                "role": [coding("care-team-role", "coordinator")],
                "member": {"reference": "PractitionerRole/r"},
            }
        ],
    }
    assert extract({}, person, role, team).contacts == (
        Contact(role="coordinator", name="Lars Bech", phone="+45 97 64 30 01"),
    )


def test_child_youth_pathway_and_other_encounter_extensions() -> None:
    encounter = {
        "extension": [
            {"url": SD + "pathway", "valueCode": "child-youth"},
            {"url": SD + "weekend-discharge-agreed", "valueBoolean": True},
            {"url": SD + "coercion-used", "valueBoolean": True},
            {
                "url": SD + "municipal-support",
                "valueCoding": {"system": CS + "municipal-support", "code": "jobcentre-case"},
            },
            {
                "url": SD + "municipal-support",
                "valueCoding": {"system": CS + "municipal-support", "code": "substance-treatment"},
            },
        ]
    }
    content = extract(encounter)

    assert content.pathway == "child-youth"
    assert content.weekend_discharge_agreed is True
    assert content.coercion_used is True
    assert content.municipal_support == ("jobcentre-case", "substance-treatment")
    with pytest.raises(ContentError, match=r"^Encounter\.extension\[0\]\.valueCode "):
        extract({"extension": [{"url": SD + "pathway", "valueCode": "elderly"}]})


def test_a_code_outside_overgangs_code_system_is_refused_and_foreign_codings_ignored() -> None:
    unknown = {"hospitalization": {"dischargeDisposition": coding("discharge-destination", "moon")}}
    with pytest.raises(ContentError) as caught:
        extract(unknown)
    assert "moon" not in str(caught.value)
    foreign = {"coding": [{"system": "http://snomed.info/sct", "code": "306689006"}]}
    assert extract({"hospitalization": {"dischargeDisposition": foreign}}).destination is None


def test_kip_next_review_is_read_from_the_plan_period_end() -> None:
    by_date = plan(plan_type="koordinerende-indsatsplan", period={"end": "2026-09-01"})
    by_time = plan(plan_type="koordinerende-indsatsplan", period={"end": "2026-09-01T12:00:00Z"})

    content = extract({}, by_date, by_time)

    assert [p.plan_type for p in content.plans] == ["koordinerende-indsatsplan"] * 2
    assert content.plans[0].next_review == date(2026, 9, 1)
    assert content.plans[1].next_review == datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
    with pytest.raises(ContentError, match=r"^CarePlan\[0\]\.period\.end "):
        extract({}, plan(period={"end": "2026-09"}))


def test_scheduled_period_relatives_notes_and_entered_in_error() -> None:
    care_plan = plan(
        {
            "description": "Opfølgning",
            "status": "not-started",
            "scheduledPeriod": {"start": "2026-03-19T09:00:00.123456789+01:00"},
            "extension": responsible("jobcentre"),
        }
    )
    sister = {
        "resourceType": "RelatedPerson",
        "relationship": [{"coding": [{"code": "SIS", "display": "søster"}]}],
        "name": [{"use": "old", "text": "Gammelt navn"}, {"text": "Eva Elmer"}],
        "telecom": [{"system": "phone", "value": "+45 20 00 00 00"}],
    }
    coercion_note = {
        "resourceType": "Communication",
        "category": [coding("note-category", "coercion")],
        "payload": [{"contentString": "Bæltefiksering 12/3."}, {"contentString": "Ophørt."}],
    }
    wrong = {"resourceType": "MedicationStatement", "status": "entered-in-error"}
    wrong_diagnosis = {
        "resourceType": "Condition",
        "code": {"coding": [{"system": SKS_SYSTEM, "code": "DF100"}]},
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": "entered-in-error",
                }
            ]
        },
    }

    content = extract({}, care_plan, sister, coercion_note, wrong, wrong_diagnosis)

    [activity] = content.plans[0].activities
    assert activity.scheduled == "2026-03-19T09:00:00.123456789+01:00/.."
    assert activity.responsible == "jobcentre"
    assert content.relatives == (
        RelatedPersonSummary(relationship="søster", name="Eva Elmer", phone="+45 20 00 00 00"),
    )
    assert content.notes == (Note(category="coercion", text="Bæltefiksering 12/3.\n\nOphørt."),)
    assert content.medications == ()
    assert content.diagnoses == ()


@pytest.mark.parametrize(
    ("encounter", "resource", "expression"),
    [
        (
            {"extension": [{"url": SD + "pathway", "valueCode": {"x": 1}}]},
            None,
            "Encounter.extension[0].valueCode",
        ),
        (
            {"extension": [{"url": SD + "coercion-used", "valueString": "ja"}]},
            None,
            "Encounter.extension[0].valueBoolean",
        ),
        (
            {},
            {
                "resourceType": "Consent",
                "category": [coding("consent-category", "relatives-involvement")],
                "provision": {"type": ["permit"]},
            },
            "Consent[0].provision.type",
        ),
    ],
)
def test_values_of_the_wrong_shape_are_content_errors(
    encounter: dict[str, Any], resource: dict[str, Any] | None, expression: str
) -> None:
    with pytest.raises(ContentError) as caught:
        extract(encounter, *([resource] if resource else []))
    assert caught.value.expression == expression
