"""The checklist items that depend on the discharge time: weekends and holidays, lead time, the
follow-up window, readiness, the meeting before discharge and the KIP review."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from overgang.checklist import (
    ChecklistDefinition,
    ItemResult,
    WorkCalendar,
    default_checklist_dir,
    evaluate_checklist,
    load_checklists,
)
from overgang.domain.content import Appointment, Diagnosis, DischargeContent, Plan
from overgang.domain.snapshot import EpisodeSnapshot, Readiness

CATALOG = load_checklists(default_checklist_dir())
ADULT = CATALOG.for_pathway("adult")
CHILD = CATALOG.for_pathway("child-youth")
CET = timezone(timedelta(hours=1))
CEST = timezone(timedelta(hours=2))
MUNICIPALITY_SOR = "953741000016009"
HOSPITAL_SOR = "1144561000016002"
WEDNESDAY = datetime(2026, 3, 18, 10, 0, tzinfo=CET)
UNKNOWN_TIME = "Udskrivningstidspunktet er ikke kendt."


def judge(
    item_id: str,
    discharge_at: datetime | None,
    *,
    definition: ChecklistDefinition = ADULT,
    **snapshot: Any,
) -> ItemResult:
    content = snapshot.pop("content", {})
    state = EpisodeSnapshot(
        discharge_at=discharge_at,
        content=DischargeContent(**content),
        municipality_sors=frozenset({MUNICIPALITY_SOR}),
        **snapshot,
    )
    return next(i for i in evaluate_checklist(definition, state).items if i.id == item_id)


def status(item_id: str, discharge_at: datetime | None, **kwargs: Any) -> str:
    return judge(item_id, discharge_at, **kwargs).status


def closing(*days: str) -> ChecklistDefinition:
    return dataclasses.replace(ADULT, calendar=WorkCalendar(days))


# --- no-weekend-discharge -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("discharge_at", "expected"),
    [
        (datetime(2026, 3, 20, 11, 59, tzinfo=CET), "met"),  # Friday morning
        (datetime(2026, 3, 20, 12, 0, tzinfo=CET), "missing"),  # Friday from 12:00
        (datetime(2026, 3, 20, 11, 0, tzinfo=UTC), "missing"),  # = 12:00 in Copenhagen
        (datetime(2026, 3, 21, 9, 0, tzinfo=CET), "missing"),  # Saturday
        (datetime(2026, 3, 22, 9, 0, tzinfo=CET), "missing"),  # Sunday
        (datetime(2026, 3, 23, 8, 0, tzinfo=CET), "met"),  # Monday
        (datetime(2026, 4, 1, 11, 59, tzinfo=CEST), "met"),  # the Wednesday before Easter
        (datetime(2026, 4, 1, 12, 0, tzinfo=CEST), "missing"),  # eve of Maundy Thursday
        (datetime(2026, 4, 6, 10, 0, tzinfo=CEST), "missing"),  # Easter Monday
        (datetime(2026, 4, 7, 10, 0, tzinfo=CEST), "met"),
        (datetime(2026, 5, 13, 11, 59, tzinfo=CEST), "met"),
        (datetime(2026, 5, 13, 12, 0, tzinfo=CEST), "missing"),  # the day before Ascension
        (datetime(2026, 5, 14, 10, 0, tzinfo=CEST), "missing"),  # Ascension Day
        (datetime(2026, 12, 24, 10, 0, tzinfo=CET), "met"),  # a working day by default
        (datetime(2026, 12, 23, 14, 0, tzinfo=CET), "met"),
        (datetime(2026, 12, 31, 10, 0, tzinfo=CET), "met"),
    ],
)
def test_discharge_before_a_weekend_or_holiday_is_flagged(
    discharge_at: datetime, expected: str
) -> None:
    assert status("no-weekend-discharge", discharge_at) == expected


@pytest.mark.parametrize(
    ("discharge_at", "expected"),
    [
        (datetime(2026, 12, 24, 10, 0, tzinfo=CET), "missing"),
        (datetime(2026, 12, 31, 10, 0, tzinfo=CET), "missing"),
        (datetime(2026, 12, 23, 11, 59, tzinfo=CET), "met"),
        (datetime(2026, 12, 23, 12, 0, tzinfo=CET), "missing"),  # the day before a closed day
        (datetime(2026, 12, 30, 13, 0, tzinfo=CET), "missing"),
    ],
)
def test_christmas_eve_and_new_years_eve_close_when_the_file_lists_them(
    discharge_at: datetime, expected: str
) -> None:
    definition = closing("12-24", "12-31")
    assert status("no-weekend-discharge", discharge_at, definition=definition) == expected


def test_a_weekend_discharge_agreed_with_the_municipality_is_accepted() -> None:
    saturday = datetime(2026, 3, 21, 9, 0, tzinfo=CET)
    content = {"weekend_discharge_agreed": True}

    assert status("no-weekend-discharge", saturday, content=content) == "met"


def test_the_weekend_explanation_names_the_day() -> None:
    result = judge("no-weekend-discharge", datetime(2026, 5, 14, 10, 0, tzinfo=CEST))

    assert result.explanation is not None
    assert result.explanation.startswith(
        "Udskrivningsdagen 14.05.2026 er en helligdag (Kristi himmelfartsdag)."
    )


# --- discharge-plan-shared-early ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan_sent", "discharge", "expected"),
    [
        (date(2026, 3, 16), WEDNESDAY, "met"),  # Monday for Wednesday: 2 working days
        (date(2026, 3, 17), WEDNESDAY, "missing"),
        (date(2026, 3, 31), datetime(2026, 4, 7, 10, 0, tzinfo=CEST), "met"),  # across Easter
        (date(2026, 4, 1), datetime(2026, 4, 7, 10, 0, tzinfo=CEST), "missing"),
        (date(2026, 3, 19), WEDNESDAY, "missing"),  # sent after the discharge
    ],
)
def test_the_plan_must_reach_the_municipality_two_working_days_ahead(
    plan_sent: date, discharge: datetime, expected: str
) -> None:
    sent_at = datetime.combine(plan_sent, datetime.min.time(), CEST) + timedelta(hours=15)

    assert status("discharge-plan-shared-early", discharge, first_plan_sent_at=sent_at) == expected


@pytest.mark.parametrize(
    ("plan_sent", "discharge", "expected"),
    [
        (date(2026, 3, 6), WEDNESDAY, "met"),  # 8 working days
        (date(2026, 3, 9), WEDNESDAY, "missing"),  # 7
        (date(2026, 5, 8), datetime(2026, 5, 21, 10, 0, tzinfo=CEST), "met"),  # across Ascension
        (date(2026, 5, 11), datetime(2026, 5, 21, 10, 0, tzinfo=CEST), "missing"),
    ],
)
def test_the_child_youth_pathway_needs_eight_working_days(
    plan_sent: date, discharge: datetime, expected: str
) -> None:
    sent_at = datetime.combine(plan_sent, datetime.min.time(), CET) + timedelta(hours=9)

    result = status(
        "discharge-plan-shared-early", discharge, first_plan_sent_at=sent_at, definition=CHILD
    )

    assert result == expected


def test_the_plan_date_is_read_in_copenhagen() -> None:
    # Sunday 23:30 UTC is Monday 00:30 in Copenhagen: Monday for Wednesday is enough.
    sent_at = datetime(2026, 3, 15, 23, 30, tzinfo=UTC)

    assert status("discharge-plan-shared-early", WEDNESDAY, first_plan_sent_at=sent_at) == "met"


def test_lead_time_without_a_plan_is_missing() -> None:
    result = judge("discharge-plan-shared-early", WEDNESDAY)

    assert result.status == "missing"
    assert result.explanation is not None
    assert "ikke sendt en udskrivningsplan" in result.explanation


def test_a_short_lead_time_says_how_short() -> None:
    sent_at = datetime(2026, 3, 17, 9, 0, tzinfo=CET)

    result = judge("discharge-plan-shared-early", WEDNESDAY, first_plan_sent_at=sent_at)

    assert result.explanation is not None
    assert result.explanation.startswith("Planen kom 1 arbejdsdage før udskrivningsdagen")


# --- follow-up-booked -----------------------------------------------------------------------------


def follow_up(start: datetime, status: str = "booked", kind: str = "follow-up") -> dict[str, Any]:
    return {"appointments": (Appointment(appointment_type=kind, start=start, status=status),)}


# Discharged before summer time starts (29 March 2026); the window ends at 10:00 CEST.
BEFORE_DST = datetime(2026, 3, 10, 10, 0, tzinfo=CET)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (datetime(2026, 4, 9, 10, 0, tzinfo=CEST), "met"),  # day 30, same wall-clock time
        (datetime(2026, 4, 9, 10, 1, tzinfo=CEST), "missing"),  # 30 days and a minute
        (datetime(2026, 4, 9, 8, 0, tzinfo=UTC), "met"),
        (datetime(2026, 4, 9, 8, 30, tzinfo=UTC), "missing"),  # inside a naive 30 x 24 h
        (datetime(2026, 3, 10, 10, 1, tzinfo=CET), "met"),
        (BEFORE_DST, "missing"),  # not after the discharge
        (datetime(2026, 3, 9, 10, 0, tzinfo=CET), "missing"),
    ],
)
def test_the_follow_up_is_within_thirty_days_on_the_copenhagen_clock(
    start: datetime, expected: str
) -> None:
    assert status("follow-up-booked", BEFORE_DST, content=follow_up(start)) == expected


@pytest.mark.parametrize(
    ("appointment_status", "kind", "expected"),
    [
        ("booked", "follow-up", "met"),
        ("fulfilled", "follow-up", "met"),
        ("cancelled", "follow-up", "missing"),
        ("proposed", "follow-up", "missing"),
        ("booked", "network-meeting", "missing"),
    ],
)
def test_only_a_booked_or_held_follow_up_counts(
    appointment_status: str, kind: str, expected: str
) -> None:
    content = follow_up(datetime(2026, 3, 25, 13, 0, tzinfo=CET), appointment_status, kind)

    assert status("follow-up-booked", WEDNESDAY, content=content) == expected


# --- municipality-ready -----------------------------------------------------------------------------

SUPPORT = {"municipal_support": ("support-needed",)}
ANSWERED = datetime(2026, 3, 10, 9, 0, tzinfo=CET)


def ready(ready_from: date | None, is_ready: bool = True) -> Readiness:
    return Readiness(ready=is_ready, ready_from=ready_from, reason=None, answered_at=ANSWERED)


@pytest.mark.parametrize(
    ("readiness", "expected"),
    [
        (ready(date(2026, 3, 18)), "met"),
        (ready(date(2026, 3, 11)), "met"),
        (ready(date(2026, 3, 19)), "missing"),
        (ready(None), "met"),  # ready from the day it answered
        (ready(None, is_ready=False), "missing"),
        (None, "missing"),
    ],
)
def test_the_municipality_must_be_ready_by_the_discharge_date(
    readiness: Readiness | None, expected: str
) -> None:
    assert status("municipality-ready", WEDNESDAY, content=SUPPORT, readiness=readiness) == expected


def test_readiness_compares_with_the_copenhagen_discharge_date() -> None:
    just_after_midnight = datetime(2026, 3, 17, 23, 30, tzinfo=UTC)  # 18 March in Copenhagen

    result = status(
        "municipality-ready",
        just_after_midnight,
        content=SUPPORT,
        readiness=ready(date(2026, 3, 18)),
    )

    assert result == "met"


def test_readiness_does_not_apply_without_municipal_support() -> None:
    assert status("municipality-ready", WEDNESDAY) == "not-applicable"


# --- discharge-meeting-held -------------------------------------------------------------------------


def meeting(
    start: datetime, *, state: str = "fulfilled", sor: str = MUNICIPALITY_SOR, kind: str
) -> dict[str, Any]:
    appointment = Appointment(
        appointment_type=kind, start=start, status=state, participant_organisation_sors=(sor,)
    )
    return {**SUPPORT, "appointments": (appointment,)}


MONDAY = datetime(2026, 3, 16, 10, 0, tzinfo=CET)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (meeting(MONDAY, kind="discharge-meeting"), "met"),
        (meeting(MONDAY, kind="network-meeting"), "met"),
        (meeting(MONDAY, kind="discharge-meeting", state="booked"), "missing"),
        (meeting(MONDAY, kind="discharge-meeting", sor=HOSPITAL_SOR), "missing"),
        (meeting(WEDNESDAY, kind="discharge-meeting"), "missing"),  # not before discharge
        (meeting(MONDAY, kind="follow-up"), "missing"),
        (SUPPORT, "missing"),
        ({}, "not-applicable"),
    ],
)
def test_the_discharge_meeting_is_held_with_the_municipality_before_discharge(
    content: dict[str, Any], expected: str
) -> None:
    assert status("discharge-meeting-held", WEDNESDAY, content=content) == expected


# --- dual-diagnosis-kip -------------------------------------------------------------------------------


def sks(*codes: str) -> tuple[Diagnosis, ...]:
    return tuple(Diagnosis(system="urn:oid:1.2.208.176.2.4", code=code) for code in codes)


def kip(next_review: date | datetime | None, plan_type: str = "koordinerende-indsatsplan") -> Any:
    return (Plan(plan_type=plan_type, status="active", next_review=next_review),)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({"diagnoses": sks("DF100", "DF200")}, "missing"),
        ({"diagnoses": sks("DF19", "DF322")}, "missing"),
        ({"diagnoses": sks("DF100")}, "not-applicable"),  # substance use alone
        ({"diagnoses": sks("DF200", "DF322")}, "not-applicable"),  # no substance use
        ({"diagnoses": sks("DF100", "DI109")}, "not-applicable"),  # the other is not a DF
        ({"diagnoses": (Diagnosis(code="DF100"), *sks("DF200"))}, "not-applicable"),  # not SKS
        ({"municipal_support": ("substance-treatment",)}, "missing"),
    ],
)
def test_the_kip_applies_to_dual_diagnosis_or_substance_treatment(
    content: dict[str, Any], expected: str
) -> None:
    assert status("dual-diagnosis-kip", WEDNESDAY, content=content) == expected


@pytest.mark.parametrize(
    ("plans", "expected"),
    [
        (kip(date(2026, 9, 18)), "met"),  # six calendar months
        (kip(date(2026, 9, 19)), "missing"),  # six months and a day
        (kip(datetime(2026, 9, 18, 23, 30, tzinfo=CEST)), "met"),
        (kip(datetime(2026, 9, 18, 22, 30, tzinfo=UTC)), "missing"),  # 19 Sep in Copenhagen
        (kip(date(2026, 3, 18)), "met"),
        (kip(date(2026, 3, 17)), "missing"),  # already passed at discharge
        (kip(None), "missing"),
        (kip(date(2026, 6, 1), plan_type="treatment-plan"), "missing"),
    ],
)
def test_the_kip_review_is_at_most_six_months_after_discharge(plans: Any, expected: str) -> None:
    content = {"diagnoses": sks("DF100", "DF200"), "plans": plans}

    assert status("dual-diagnosis-kip", WEDNESDAY, content=content) == expected


# --- an unknown discharge time ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "item_id",
    [
        "no-weekend-discharge",
        "discharge-plan-shared-early",
        "follow-up-booked",
        "municipality-ready",
        "discharge-meeting-held",
        "dual-diagnosis-kip",
    ],
)
def test_time_dependent_items_are_missing_when_the_discharge_time_is_unknown(
    item_id: str,
) -> None:
    content = {
        **SUPPORT,
        "diagnoses": sks("DF100", "DF200"),
        "plans": kip(date(2026, 4, 1)),
        **follow_up(MONDAY),
    }

    result = judge(
        item_id,
        None,
        content=content,
        first_plan_sent_at=MONDAY,
        readiness=ready(date(2026, 3, 1)),
    )

    assert result.status == "missing"
    assert result.explanation is not None
    assert result.explanation.startswith(UNKNOWN_TIME)
