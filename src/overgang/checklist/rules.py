"""The rules that decide checklist items: one pure function per rule kind.

Each takes the episode snapshot, the item's parameters (validated against the schema) and the
checklist's working-day calendar, and returns a `Verdict`. No database, no FHIR, no clock: the
time judged is `snapshot.discharge_at`. A missing verdict may carry a Danish reason that says what
was found; the item's own explanation (what would satisfy it) is added by the evaluator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from overgang.checklist.calendar import (
    WorkCalendar,
    add_months,
    at_or_after,
    local,
    local_date,
    same_wall_clock_later,
)
from overgang.checklist.definition import Parameters
from overgang.domain.content import ORGANISATION_PREFIX, PlanActivity
from overgang.domain.snapshot import EpisodeSnapshot

MUNICIPALITY = "municipality"


@dataclass(frozen=True)
class Verdict:
    met: bool
    reason: str | None = None  # Danish; only for a missing item


MET = Verdict(met=True)
DISCHARGE_TIME_UNKNOWN = Verdict(met=False, reason="Udskrivningstidspunktet er ikke kendt.")

Rule = Callable[[EpisodeSnapshot, Parameters, WorkCalendar], Verdict]


def missing(reason: str | None = None) -> Verdict:
    return Verdict(met=False, reason=reason)


def danish_date(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _utc(moment: datetime) -> datetime:
    # Aware datetimes sharing one tzinfo compare by wall clock; in UTC they compare as instants.
    return moment.astimezone(UTC)


# --- always-applicable facts -------------------------------------------------------------------


def admission_notified(snapshot: EpisodeSnapshot, _: Parameters, __: WorkCalendar) -> Verdict:
    return MET if snapshot.admission_notified else missing()


def medication_list(snapshot: EpisodeSnapshot, _: Parameters, __: WorkCalendar) -> Verdict:
    content = snapshot.content
    return MET if content.medications or content.no_medication else missing()


def contact_named(snapshot: EpisodeSnapshot, params: Parameters, _: WorkCalendar) -> Verdict:
    role, needs_phone = params.text("role"), bool(params.get("requires_phone"))
    found = any(
        contact.role == role
        and _filled(contact.name)
        and (not needs_phone or _filled(contact.phone))
        for contact in snapshot.content.contacts
    )
    return MET if found else missing()


def relatives_consent(snapshot: EpisodeSnapshot, params: Parameters, _: WorkCalendar) -> Verdict:
    decision = snapshot.content.relatives_consent
    return MET if decision in params.texts("decisions") else missing()


def handover_note(snapshot: EpisodeSnapshot, params: Parameters, _: WorkCalendar) -> Verdict:
    category = params.text("category")
    found = any(n.category == category and _filled(n.text) for n in snapshot.content.notes)
    return MET if found else missing()


# --- plans ---------------------------------------------------------------------------------------


def active_plan(snapshot: EpisodeSnapshot, params: Parameters, _: WorkCalendar) -> Verdict:
    types, statuses = params.texts("plan_types"), params.texts("statuses")
    plans = [p for p in snapshot.content.plans if p.plan_type in types]
    if any(p.status in statuses for p in plans):
        return MET
    if plans:
        return missing("Planen findes, men er ikke aktiv.")
    return missing()


def actions_complete(snapshot: EpisodeSnapshot, params: Parameters, _: WorkCalendar) -> Verdict:
    unknown = params.texts("unknown_statuses")
    activities = [a for plan in snapshot.content.plans for a in plan.activities]
    loose = [a for a in activities if not _action_complete(a, unknown)]
    if not loose:
        return MET
    return missing(
        f"{len(loose)} af {len(activities)} aftalte handlinger mangler ansvarlig, tidspunkt "
        "eller status."
    )


def _action_complete(activity: PlanActivity, unknown_statuses: frozenset[str]) -> bool:
    return (
        _filled(activity.responsible)
        and _filled(activity.scheduled)
        and _filled(activity.status)
        and activity.status not in unknown_statuses
    )


def activity_responsible(snapshot: EpisodeSnapshot, params: Parameters, _: WorkCalendar) -> Verdict:
    wanted = params.texts("responsible")
    activities = (a for plan in snapshot.content.plans for a in plan.activities)
    return MET if any(a.responsible in wanted for a in activities) else missing()


def housing_arranged(snapshot: EpisodeSnapshot, params: Parameters, _: WorkCalendar) -> Verdict:
    destination = snapshot.content.destination
    if not destination or destination in params.texts("unarranged_destinations"):
        return missing("Udskrivningsstedet er ikke kendt eller ikke en bolig.")
    if destination in params.texts("needs_municipal_action") and not _municipal_action(snapshot):
        return missing("Planen har ingen handling, som kommunen er ansvarlig for.")
    return MET


def _municipal_action(snapshot: EpisodeSnapshot) -> bool:
    # The municipality's own performer reference counts as much as the coded responsible party.
    municipal = {MUNICIPALITY} | {ORGANISATION_PREFIX + sor for sor in snapshot.municipality_sors}
    return any(a.responsible in municipal for p in snapshot.content.plans for a in p.activities)


# --- time-dependent rules --------------------------------------------------------------------


def plan_lead_time(
    snapshot: EpisodeSnapshot, params: Parameters, calendar: WorkCalendar
) -> Verdict:
    if snapshot.discharge_at is None:
        return DISCHARGE_TIME_UNKNOWN
    if snapshot.first_plan_sent_at is None:
        return missing("Der er ikke sendt en udskrivningsplan.")
    lead = params.integer("lead_working_days")
    days = calendar.working_days_between(
        local_date(snapshot.first_plan_sent_at), local_date(snapshot.discharge_at)
    )
    if days >= lead:
        return MET
    return missing(f"Planen kom {days} arbejdsdage før udskrivningsdagen; aftalen er {lead}.")


def no_weekend_discharge(
    snapshot: EpisodeSnapshot, params: Parameters, calendar: WorkCalendar
) -> Verdict:
    if snapshot.content.weekend_discharge_agreed:
        return MET  # agreed in writing with the municipality: the time no longer matters
    if snapshot.discharge_at is None:
        return DISCHARGE_TIME_UNKNOWN
    day = local_date(snapshot.discharge_at)
    closed = calendar.closed_reason(day)
    if closed:
        return missing(f"Udskrivningsdagen {danish_date(day)} er en {closed}.")
    cutoff = time.fromisoformat(params.text("closed_from"))
    # Friday afternoon is the afternoon before Saturday: one test covers both cases.
    next_closed = calendar.closed_reason(day + timedelta(days=1))
    if next_closed and at_or_after(snapshot.discharge_at, cutoff):
        return missing(
            f"Udskrivningen er efter kl. {cutoff:%H:%M} dagen før en {next_closed} "
            f"({danish_date(day + timedelta(days=1))})."
        )
    return MET


def follow_up_within(snapshot: EpisodeSnapshot, params: Parameters, _: WorkCalendar) -> Verdict:
    discharge_at = snapshot.discharge_at
    if discharge_at is None:
        return DISCHARGE_TIME_UNKNOWN
    types, statuses = params.texts("appointment_types"), params.texts("statuses")
    latest = _utc(same_wall_clock_later(discharge_at, days=params.integer("follow_up_days")))
    for appointment in snapshot.content.appointments:
        if appointment.appointment_type not in types or appointment.status not in statuses:
            continue
        if appointment.start and _utc(discharge_at) < _utc(appointment.start) <= latest:
            return MET
    return missing()


def municipality_ready(snapshot: EpisodeSnapshot, _: Parameters, __: WorkCalendar) -> Verdict:
    if snapshot.discharge_at is None:
        return DISCHARGE_TIME_UNKNOWN
    answer = snapshot.readiness
    if answer is None:
        return missing("Kommunen har ikke svaret.")
    if not answer.ready:
        return missing("Kommunen har svaret, at den ikke er klar.")
    # "Ready" without a date means ready from the day it answered.
    ready_from = answer.ready_from or local_date(answer.answered_at)
    discharge_day = local_date(snapshot.discharge_at)
    if ready_from <= discharge_day:
        return MET
    return missing(
        f"Kommunen er klar fra {danish_date(ready_from)}, efter udskrivningsdagen "
        f"{danish_date(discharge_day)}."
    )


def meeting_before_discharge(
    snapshot: EpisodeSnapshot, params: Parameters, _: WorkCalendar
) -> Verdict:
    discharge_at = snapshot.discharge_at
    if discharge_at is None:
        return DISCHARGE_TIME_UNKNOWN
    types, statuses = params.texts("appointment_types"), params.texts("statuses")
    for meeting in snapshot.content.appointments:
        if meeting.appointment_type not in types or meeting.status not in statuses:
            continue
        municipal = snapshot.municipality_sors.intersection(meeting.participant_organisation_sors)
        if municipal and meeting.start and _utc(meeting.start) < _utc(discharge_at):
            return MET
    return missing()


def plan_review_within(snapshot: EpisodeSnapshot, params: Parameters, _: WorkCalendar) -> Verdict:
    if snapshot.discharge_at is None:
        return DISCHARGE_TIME_UNKNOWN
    discharge_day = local_date(snapshot.discharge_at)
    latest = add_months(discharge_day, params.integer("review_months"))
    types = params.texts("plan_types")
    reviews = [_review_date(p.next_review) for p in snapshot.content.plans if p.plan_type in types]
    # A review dated before discharge has already passed: it is no "next" review.
    if any(review and discharge_day <= review <= latest for review in reviews):
        return MET
    if reviews:
        return missing(f"Planens næste opfølgning ligger ikke senest {danish_date(latest)}.")
    return missing()


def _review_date(value: date | datetime | None) -> date | None:
    return local(value).date() if isinstance(value, datetime) else value


def _filled(value: str | None) -> bool:
    return bool(value and value.strip())


RULES: dict[str, Rule] = {
    "admission-notified": admission_notified,
    "plan-lead-time": plan_lead_time,
    "no-weekend-discharge": no_weekend_discharge,
    "active-plan": active_plan,
    "actions-complete": actions_complete,
    "medication-list": medication_list,
    "follow-up-within": follow_up_within,
    "contact-named": contact_named,
    "municipality-ready": municipality_ready,
    "housing-arranged": housing_arranged,
    "handover-note": handover_note,
    "meeting-before-discharge": meeting_before_discharge,
    "plan-review-within": plan_review_within,
    "activity-responsible": activity_responsible,
    "relatives-consent": relatives_consent,
}
