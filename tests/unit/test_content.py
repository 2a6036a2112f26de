"""Reading discharge-plan and discharge-handover content, and storing it as JSON."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

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
from overgang.fhir.bundle import BundleIndex
from overgang.fhir.content import extract_discharge_content
from tests.messages import EXAMPLES

CET = timezone(timedelta(hours=1))
MUNICIPALITY_SOR = "953741000016009"
HOSPITAL_SOR = "1144561000016002"


def example(name: str) -> DischargeContent:
    index = BundleIndex(json.loads((EXAMPLES / name).read_text(encoding="utf-8")))
    encounter = index.first_of_type("Encounter")
    assert encounter is not None
    return extract_discharge_content(index, encounter)


# --- the worked examples -----------------------------------------------------------------------


def test_discharge_plan_example_gives_every_fact_the_checklist_needs() -> None:
    content = example("02-discharge-plan.json")

    assert content.discharge_at == datetime(2026, 3, 18, 10, 0, tzinfo=CET)
    assert content.discharge_at.utcoffset() == timedelta(hours=1)
    assert content.destination == "own-home-with-support"
    assert content.municipal_support == ("sel-part-v",)
    assert content.coercion_used is False
    assert content.weekend_discharge_agreed is None
    assert content.pathway == "adult"
    [agreement] = content.plans
    assert (agreement.plan_type, agreement.status) == ("udskrivningsaftale", "draft")
    assert agreement.title == "Udskrivningsaftale"
    assert agreement.next_review is None
    assert [(a.responsible, a.status, a.scheduled) for a in agreement.activities] == [
        ("municipality", "scheduled", "fra udskrivelsesdagen"),
        ("region", "scheduled", "inden for 7 dage"),
        ("municipality", "scheduled", "dagligt"),
    ]
    assert agreement.activities[0].description == "Bostøtte tre gange ugentligt"
    assert content.medications == (
        Medication(
            atc_code="N05AH03", display="Olanzapin", dosage_text="10 mg til natten", status="active"
        ),
        Medication(
            atc_code="N06AB06", display="Sertralin", dosage_text="50 mg morgen", status="active"
        ),
    )
    assert content.no_medication is False
    assert content.diagnoses == (Diagnosis(system=SKS_SYSTEM, code="DF200"),)
    assert content.diagnoses[0].sks_code == "DF200"
    follow_up, meeting = content.appointments
    assert (follow_up.appointment_type, follow_up.status) == ("follow-up", "booked")
    assert follow_up.start == datetime(2026, 3, 25, 13, 0, tzinfo=CET)
    assert follow_up.participant_organisation_sors == (HOSPITAL_SOR,)
    assert follow_up.participant_kinds == ("patient", "organisation")
    assert (meeting.appointment_type, meeting.status) == ("discharge-meeting", "fulfilled")
    assert meeting.start == datetime(2026, 3, 16, 10, 0, tzinfo=CET)
    assert meeting.participant_organisation_sors == (MUNICIPALITY_SOR,)
    assert content.contacts == (
        Contact(
            role="hospital-contact", name="Kontaktsygeplejerske Anne Holm", phone="+45 97 64 30 00"
        ),
        Contact(
            role="coordinator", name="Udskrivningskoordinator Lars Bech", phone="+45 97 64 30 01"
        ),
    )
    assert content.relatives_consent == "permit"
    assert content.relatives == ()
    [note] = content.notes
    assert note.category == "general"
    assert note.text.startswith("Borgeren ønsker at bo hjemme.")


def test_handover_example_carries_the_active_agreement_and_actual_discharge_time() -> None:
    content = example("05-discharge-handover.json")

    assert content.discharge_at == datetime(2026, 3, 18, 9, 0, tzinfo=UTC)
    assert [(p.plan_type, p.status) for p in content.plans] == [("udskrivningsaftale", "active")]
    assert [a.responsible for a in content.plans[0].activities] == [
        "municipality",
        "region",
        "municipality",
    ]
    assert [m.atc_code for m in content.medications] == ["N05AH03", "N06AB06"]
    assert [(a.appointment_type, a.status) for a in content.appointments] == [
        ("follow-up", "booked"),
        ("discharge-meeting", "fulfilled"),
    ]
    assert [c.role for c in content.contacts] == ["hospital-contact", "coordinator"]
    assert content.relatives_consent == "permit"


@pytest.mark.parametrize("name", ["02-discharge-plan.json", "05-discharge-handover.json"])
def test_example_content_survives_storage_as_json(name: str) -> None:
    content = example(name)

    stored = json.loads(json.dumps(content.to_json()))

    assert stored["discharge_at"] == "2026-03-18T10:00:00+01:00"
    assert DischargeContent.from_json(stored) == content


# --- storage -----------------------------------------------------------------------------------


def test_full_content_round_trips_through_json() -> None:
    content = DischargeContent(
        discharge_at=datetime(2026, 7, 3, 11, 30, tzinfo=timezone(timedelta(hours=2))),
        destination="shelter",
        municipal_support=("support-needed",),
        coercion_used=True,
        weekend_discharge_agreed=False,
        pathway="child-youth",
        plans=(
            Plan(
                plan_type="koordinerende-indsatsplan",
                status="active",
                next_review=date(2026, 12, 1),
            ),
            Plan(
                plan_type="treatment-plan",
                next_review=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
                activities=(PlanActivity(description="x", responsible="organisation:123456"),),
            ),
        ),
        medications=(Medication(atc_code="N05AH03", display="Olanzapin"),),
        no_medication=True,
        diagnoses=(Diagnosis(display="tekst"),),
        appointments=(
            Appointment(
                appointment_type="follow-up",
                start=datetime(2026, 7, 10, 9, 0, tzinfo=UTC),
                participant_organisation_sors=("1",),
                participant_kinds=("patient",),
            ),
        ),
        contacts=(Contact(role="municipal-contact", name="N", phone="1"),),
        relatives_consent="deny",
        relatives=(RelatedPersonSummary(name="Eva"),),
        notes=(Note(category="risk", text="..."),),
    )

    stored = json.loads(json.dumps(content.to_json()))

    assert stored["plans"][0]["next_review"] == "2026-12-01"
    assert stored["plans"][1]["next_review"] == "2026-12-01T08:00:00+00:00"
    restored = DischargeContent.from_json(stored)
    assert restored == content
    assert type(restored.plans[0].next_review) is date
    assert restored.to_json() == content.to_json()


def test_a_naive_discharge_time_is_refused_by_the_domain() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        DischargeContent(discharge_at=datetime(2026, 3, 18, 10, 0))
