"""What a simulated discharge plan and handover say, and the gaps left in them.

One draw per stay decides the citizen's needs (support codes, diagnoses, coercion) and which
checklist items the ward leaves unmet; `plan` and `handover` then write the same facts as a
partial plan before discharge and the final content at discharge. The gap shares are assumed
(figures.py): chosen so that every checklist item is missed now and then.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from overgang.domain.content import SKS_SYSTEM as SKS
from overgang.domain.content import (
    Appointment,
    Contact,
    Diagnosis,
    DischargeContent,
    Medication,
    Note,
    Plan,
    PlanActivity,
)

MEDICINES = (
    ("N05AH03", "Olanzapin", "10 mg til natten"),
    ("N06AB06", "Sertralin", "50 mg morgen"),
    ("N05AX08", "Risperidon", "2 mg morgen og aften"),
    ("N05AN01", "Lithium", "400 mg to gange dagligt"),
    ("N06AX11", "Mirtazapin", "15 mg til natten"),
    ("N05AH04", "Quetiapin", "200 mg til natten"),
)
DIAGNOSES = ("DF200", "DF209", "DF322", "DF331", "DF431", "DF603", "DF250", "DF311")
SUBSTANCE = ("DF102", "DF122", "DF192")
STAFF = ("Anne Holm", "Lars Bech", "Mette Dahl", "Søren Friis", "Pia Krogh", "Jens Ravn")


@dataclass(frozen=True)
class Needs:
    """The citizen's situation and the ward's gaps: one draw per stay."""

    support: tuple[str, ...]
    destination: str
    coercion: bool
    diagnoses: tuple[str, ...]
    gaps: frozenset[str]  # checklist items the content leaves unmet on purpose


def draw_needs(rng: random.Random) -> Needs:
    support: list[str] = []
    if rng.random() < 0.40:
        support.append("sel-part-v")
    elif rng.random() < 0.08:
        support.append("will-not-seek-help")
    if rng.random() < 0.20:
        support.append("support-needed")
    if rng.random() < 0.08:
        support.append("jobcentre-case")
    diagnoses = [rng.choice(DIAGNOSES)]
    if rng.random() < 0.15:  # dual diagnosis: substance use besides the psychiatric one
        diagnoses.append(rng.choice(SUBSTANCE))
        if rng.random() < 0.5:
            support.append("substance-treatment")
    destination = rng.choices(
        (
            "own-home",
            "own-home-with-support",
            "residential-care",
            "shelter",
            "no-fixed-address",
            "other-hospital",
            "unknown",
        ),
        weights=(55, 22, 10, 3, 2, 2, 3),
    )[0]
    coercion = rng.random() < 0.20
    gaps = {
        item
        for item, share in (
            ("medication-list", 0.05),
            ("follow-up-booked", 0.15),
            ("hospital-contact", 0.05),
            ("coordinator-named", 0.20),
            ("agreed-actions-complete", 0.08),
            ("relatives-consent-recorded", 0.20),
            ("discharge-meeting-held", 0.30),
            ("udskrivningsaftale", 0.12),
            ("coercion-handover", 0.25),
            ("dual-diagnosis-kip", 0.60),
            ("jobcentre-included", 0.40),
        )
        if rng.random() < share
    }
    if destination in ("no-fixed-address", "unknown") or (
        destination == "shelter" and rng.random() < 0.5
    ):
        gaps.add("housing-arranged")
    return Needs(tuple(support), destination, coercion, tuple(diagnoses), frozenset(gaps))


def handover(
    needs: Needs,
    *,
    discharge_at: datetime,
    child_youth: bool,
    agreed: bool,
    municipality_sor: str,
    rng: random.Random,
) -> DischargeContent:
    """The final content at discharge, with the stay's gaps."""
    gaps = needs.gaps
    plans = [_main_plan(needs, gaps)]
    dual = len(needs.diagnoses) > 1 or "substance-treatment" in needs.support
    if dual and "dual-diagnosis-kip" not in gaps:
        review = discharge_at.date() + timedelta(days=rng.randint(60, 170))
        plans.append(_plan("koordinerende-indsatsplan", "active", review=review))
    medications: tuple[Medication, ...] = ()
    if "medication-list" not in gaps and rng.random() > 0.06:
        medications = tuple(
            Medication(atc_code=atc, display=name, dosage_text=dose, status="active")
            for atc, name, dose in rng.sample(MEDICINES, rng.randint(1, 3))
        )
    appointments = []
    if "follow-up-booked" not in gaps:
        days = rng.randint(3, 14)
        appointments.append(
            _appointment("follow-up", discharge_at + timedelta(days=days), "booked")
        )
    if needs.support and "discharge-meeting-held" not in gaps:
        meeting = discharge_at - timedelta(days=rng.randint(2, 5), hours=1)
        appointments.append(
            _appointment("discharge-meeting", meeting, "fulfilled", municipality_sor)
        )
    contacts = [
        Contact(
            role="hospital-contact",
            name=f"Kontaktperson {rng.choice(STAFF)}",
            phone=None if "hospital-contact" in gaps else f"+45 9{rng.randint(0, 9999999):07d}",
        )
    ]
    if "coordinator-named" not in gaps:
        contacts.append(Contact(role="coordinator", name=f"Koordinator {rng.choice(STAFF)}"))
    notes = [Note(category="general", text="Borgeren er orienteret om udskrivelsen.")]
    if needs.coercion and "coercion-handover" not in gaps:
        notes.append(Note(category="coercion", text="Tvangsmedicinering under indlæggelsen."))
    return DischargeContent(
        discharge_at=discharge_at,
        destination=needs.destination,
        municipal_support=needs.support,
        coercion_used=needs.coercion,
        weekend_discharge_agreed=agreed or None,
        pathway="child-youth" if child_youth else "adult",
        plans=tuple(plans),
        medications=medications,
        no_medication=not medications and "medication-list" not in gaps,
        diagnoses=tuple(Diagnosis(system=SKS, code=code) for code in needs.diagnoses),
        appointments=tuple(appointments),
        contacts=tuple(contacts),
        relatives_consent=None
        if "relatives-consent-recorded" in gaps
        else rng.choice(("permit", "permit", "deny")),
        notes=tuple(notes),
    )


def plan(final: DischargeContent, *, planned_at: datetime) -> DischargeContent:
    """The plan before discharge: the same facts, its agreements still drafts, the meeting
    still to be held."""
    plans = tuple(
        replace(p, status="draft") if p.plan_type == "udskrivningsaftale" else p
        for p in final.plans
    )
    appointments = tuple(
        replace(a, status="booked") if a.appointment_type == "discharge-meeting" else a
        for a in final.appointments
    )
    return replace(final, discharge_at=planned_at, plans=plans, appointments=appointments)


def _main_plan(needs: Needs, gaps: frozenset[str]) -> Plan:
    if "will-not-seek-help" in needs.support:
        kind = "koordinationsplan"
    elif "sel-part-v" in needs.support:
        kind = "udskrivningsaftale"
    else:
        kind = "treatment-plan"
    status = "draft" if kind != "treatment-plan" and "udskrivningsaftale" in gaps else "active"
    activities = [
        PlanActivity(
            description="Ambulant opfølgning i distriktspsykiatrien",
            status="scheduled",
            scheduled="inden for 14 dage",
            responsible="region",
        )
    ]
    if needs.support:
        activities.append(
            PlanActivity(
                description="Bostøtte fra udskrivelsesdagen",
                status="scheduled",
                scheduled="fra udskrivelsesdagen",
                responsible="municipality",
            )
        )
    if "jobcentre-case" in needs.support and "jobcentre-included" not in gaps:
        activities.append(
            PlanActivity(
                description="Samtale i jobcentret",
                status="scheduled",
                scheduled="inden for 4 uger",
                responsible="jobcentre",
            )
        )
    if needs.destination == "shelter" and "housing-arranged" not in gaps:
        activities.append(
            PlanActivity(
                description="Kommunen finder en bolig",
                status="scheduled",
                scheduled="inden for 4 uger",
                responsible="municipality",
            )
        )
    if "agreed-actions-complete" in gaps:
        activities.append(PlanActivity(description="Aftale om medicinhåndtering"))
    return Plan(
        plan_type=kind, status=status, title=kind.capitalize(), activities=tuple(activities)
    )


def _plan(kind: str, status: str, *, review: date) -> Plan:
    action = PlanActivity(
        description="Misbrugsbehandling og psykiatrisk behandling koordineres",
        status="scheduled",
        scheduled="løbende",
        responsible="substance-treatment",
    )
    return Plan(
        plan_type=kind,
        status=status,
        title=kind.capitalize(),
        next_review=review,
        activities=(action,),
    )


def _appointment(kind: str, start: datetime, status: str, sor: str | None = None) -> Appointment:
    return Appointment(
        appointment_type=kind,
        start=start,
        status=status,
        participant_organisation_sors=(sor,) if sor else (),
        participant_kinds=("patient", "organisation") if sor else ("patient",),
    )
