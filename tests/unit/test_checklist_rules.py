"""The checklist items that do not depend on the discharge time: met, missing and not-applicable."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from overgang.checklist import (
    ItemResult,
    default_checklist_dir,
    evaluate_checklist,
    load_checklists,
)
from overgang.domain.content import Contact, DischargeContent, Medication, Note, Plan, PlanActivity
from overgang.domain.snapshot import EpisodeSnapshot

ADULT = load_checklists(default_checklist_dir()).for_pathway("adult")
CET = timezone(timedelta(hours=1))
WEDNESDAY = datetime(2026, 3, 18, 10, 0, tzinfo=CET)
MUNICIPALITY_SOR = "953741000016009"


def judge(item_id: str, *, admission_notified: bool = False, **content: Any) -> ItemResult:
    state = EpisodeSnapshot(
        discharge_at=WEDNESDAY,
        admission_notified=admission_notified,
        content=DischargeContent(**content),
        municipality_sors=frozenset({MUNICIPALITY_SOR}),
    )
    return next(i for i in evaluate_checklist(ADULT, state).items if i.id == item_id)


def status(item_id: str, **kwargs: Any) -> str:
    return judge(item_id, **kwargs).status


def action(**fields: Any) -> PlanActivity:
    complete = {
        "description": "Bostøtte",
        "status": "scheduled",
        "scheduled": "fra udskrivelsesdagen",
        "responsible": "municipality",
    }
    return PlanActivity(**{**complete, **fields})


def plan(
    *activities: PlanActivity, plan_type: str = "treatment-plan", state: str = "active"
) -> Any:
    return (Plan(plan_type=plan_type, status=state, activities=activities),)


def test_admission_notice_to_the_municipality() -> None:
    assert status("municipality-notified-at-admission", admission_notified=True) == "met"
    result = judge("municipality-notified-at-admission")
    assert result.status == "missing"
    assert result.explanation is not None
    assert "STIN/STAA" in result.explanation


# --- udskrivningsaftale -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("support", "plans", "expected"),
    [
        (("sel-part-v",), plan(plan_type="udskrivningsaftale"), "met"),
        (("will-not-seek-help",), plan(plan_type="koordinationsplan"), "met"),
        (("will-not-seek-help",), plan(plan_type="udskrivningsaftale"), "met"),
        (("sel-part-v",), plan(plan_type="udskrivningsaftale", state="draft"), "missing"),
        (("sel-part-v",), plan(plan_type="treatment-plan"), "missing"),
        (("sel-part-v",), (), "missing"),
        (("support-needed",), (), "not-applicable"),
        ((), (), "not-applicable"),
    ],
)
def test_an_active_discharge_agreement_under_psykiatriloven_13a(
    support: tuple[str, ...], plans: Any, expected: str
) -> None:
    assert status("udskrivningsaftale", municipal_support=support, plans=plans) == expected


def test_a_draft_agreement_is_explained_as_not_active() -> None:
    result = judge(
        "udskrivningsaftale",
        municipal_support=("sel-part-v",),
        plans=plan(plan_type="udskrivningsaftale", state="draft"),
    )

    assert result.explanation is not None
    assert result.explanation.startswith("Planen findes, men er ikke aktiv.")


# --- agreed-actions-complete --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("activity", "expected"),
    [
        (action(), "met"),
        (action(status="in-progress", scheduled="2026-03-18/2026-04-18"), "met"),
        (action(responsible="organisation:953741000016009"), "met"),
        (action(responsible=None), "missing"),
        (action(scheduled=None), "missing"),
        (action(scheduled="  "), "missing"),
        (action(status=None), "missing"),
        (action(status="unknown"), "missing"),
    ],
)
def test_every_agreed_action_has_a_responsible_party_a_time_and_a_status(
    activity: PlanActivity, expected: str
) -> None:
    assert status("agreed-actions-complete", plans=plan(action(), activity)) == expected


def test_agreed_actions_apply_only_when_a_plan_exists() -> None:
    assert status("agreed-actions-complete") == "not-applicable"
    assert status("agreed-actions-complete", plans=plan()) == "met"


def test_loose_ends_are_counted_in_the_explanation() -> None:
    result = judge("agreed-actions-complete", plans=plan(action(), action(responsible=None)))

    assert result.explanation is not None
    assert result.explanation.startswith("1 af 2 aftalte handlinger mangler")


# --- the rest -----------------------------------------------------------------------------------------


def test_medication_list_or_the_statement_of_no_medication() -> None:
    assert status("medication-list", medications=(Medication(atc_code="N05AH03"),)) == "met"
    assert status("medication-list", no_medication=True) == "met"
    assert status("medication-list") == "missing"


@pytest.mark.parametrize(
    ("contacts", "expected"),
    [
        ((Contact(role="hospital-contact", name="Anne Holm", phone="+45 97 64 30 00"),), "met"),
        ((Contact(role="hospital-contact", name="Anne Holm"),), "missing"),
        ((Contact(role="hospital-contact", phone="+45 97 64 30 00"),), "missing"),
        ((Contact(role="coordinator", name="Lars Bech", phone="+45 97 64 30 01"),), "missing"),
        ((), "missing"),
    ],
)
def test_a_hospital_contact_with_name_and_phone(
    contacts: tuple[Contact, ...], expected: str
) -> None:
    assert status("hospital-contact", contacts=contacts) == expected


@pytest.mark.parametrize(
    ("contacts", "expected"),
    [
        ((Contact(role="coordinator", name="Lars Bech"),), "met"),
        ((Contact(role="coordinator", phone="+45 97 64 30 01"),), "missing"),
        ((Contact(role="hospital-contact", name="Anne Holm", phone="1"),), "missing"),
    ],
)
def test_a_named_coordinator(contacts: tuple[Contact, ...], expected: str) -> None:
    assert status("coordinator-named", contacts=contacts) == expected


@pytest.mark.parametrize(
    ("destination", "plans", "expected"),
    [
        ("own-home", (), "met"),
        ("own-home-with-support", (), "met"),
        ("residential-care", (), "met"),
        ("other-hospital", (), "met"),
        (None, (), "missing"),
        ("unknown", (), "missing"),
        ("no-fixed-address", plan(action()), "missing"),
        ("shelter", (), "missing"),
        ("shelter", plan(action(responsible="region")), "missing"),
        ("shelter", plan(action(responsible="municipality")), "met"),
        ("shelter", plan(action(responsible=f"organisation:{MUNICIPALITY_SOR}")), "met"),
        ("shelter", plan(action(responsible="organisation:1144561000016002")), "missing"),
    ],
)
def test_housing_is_arranged(destination: str | None, plans: Any, expected: str) -> None:
    assert status("housing-arranged", destination=destination, plans=plans) == expected


@pytest.mark.parametrize(
    ("coercion_used", "notes", "expected"),
    [
        (True, (Note(category="coercion", text="Bæltefiksering 2 gange."),), "met"),
        (True, (Note(category="general", text="Tvang nævnt her."),), "missing"),
        (True, (), "missing"),
        (False, (), "not-applicable"),
        (None, (), "not-applicable"),
    ],
)
def test_coercion_is_handed_over_in_a_note(
    coercion_used: bool | None, notes: tuple[Note, ...], expected: str
) -> None:
    assert status("coercion-handover", coercion_used=coercion_used, notes=notes) == expected


@pytest.mark.parametrize(
    ("decision", "expected"), [("permit", "met"), ("deny", "met"), (None, "missing")]
)
def test_the_decision_on_involving_relatives_is_recorded(
    decision: str | None, expected: str
) -> None:
    assert status("relatives-consent-recorded", relatives_consent=decision) == expected


@pytest.mark.parametrize(
    ("support", "plans", "expected"),
    [
        (("jobcentre-case",), plan(action(), action(responsible="jobcentre")), "met"),
        (("jobcentre-case",), plan(action()), "missing"),
        (("jobcentre-case",), (), "missing"),
        (("sel-part-v",), (), "not-applicable"),
    ],
)
def test_the_jobcentre_takes_part_in_a_jobcentre_case(
    support: tuple[str, ...], plans: Any, expected: str
) -> None:
    assert status("jobcentre-included", municipal_support=support, plans=plans) == expected
