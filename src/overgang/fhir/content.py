"""Reading a `discharge-plan` / `discharge-handover` message into `DischargeContent` (profile §1.1).

Tolerant of what is missing (None or empty), strict about what is malformed: a value that cannot be
read, or a code Overgang's own CodeSystem does not define, raises `ContentError`. Resources marked
`entered-in-error` are left out. Codings in other systems are ignored.
"""

from __future__ import annotations

from collections.abc import Iterator

from overgang.domain.content import (
    APPOINTMENT_TYPES,
    CARE_TEAM_ROLES,
    CONSENT_DECISIONS,
    DESTINATIONS,
    MUNICIPAL_SUPPORT_CODES,
    NOTE_CATEGORIES,
    ORGANISATION_PREFIX,
    PATHWAYS,
    PLAN_TYPES,
    RESPONSIBLE_CODES,
    SKS_SYSTEM,
    Appointment,
    Contact,
    Diagnosis,
    DischargeContent,
    Medication,
    Note,
    Pathway,
    Plan,
    PlanActivity,
    RelatedPersonSummary,
)
from overgang.fhir.bundle import BundleIndex, Resource
from overgang.fhir.content_elements import (
    ContentError,
    as_dict,
    as_list,
    codes_in,
    date_or_instant,
    extensions,
    human_name,
    instant,
    live,
    our_code,
    party,
    phone_number,
    string,
)

__all__ = ["ContentError", "extract_discharge_content"]

ATC_SYSTEM = "http://www.whocc.no/atc"
LOINC_SYSTEM = "http://loinc.org"
LOINC_MEDICATION_LIST = "10160-0"
LIST_EMPTY_REASON_SYSTEM = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
# A performer that is the citizen or a relative: the `responsible` codes of the same meaning.
_RESPONSIBLE_BY_KIND = {"patient": "citizen", "related-person": "relative"}


def extract_discharge_content(bundle: BundleIndex, encounter: Resource) -> DischargeContent:
    """The facts of a discharge-plan or discharge-handover message; `encounter` is its focus."""
    return DischargeContent(
        discharge_at=instant(as_dict(encounter.get("period")).get("end"), "Encounter.period.end"),
        destination=our_code(
            as_dict(encounter.get("hospitalization")).get("dischargeDisposition"),
            "discharge-destination",
            DESTINATIONS,
            "Encounter.hospitalization.dischargeDisposition",
        ),
        municipal_support=_municipal_support(encounter),
        coercion_used=_boolean_extension(encounter, "coercion-used"),
        weekend_discharge_agreed=_boolean_extension(encounter, "weekend-discharge-agreed"),
        pathway=_pathway(encounter),
        plans=tuple(_plan(bundle, r, where) for where, r in live(bundle, "CarePlan")),
        medications=tuple(_medication(bundle, r) for _, r in live(bundle, "MedicationStatement")),
        no_medication=any(_states_no_medication(r) for _, r in live(bundle, "List")),
        diagnoses=tuple(d for _, r in live(bundle, "Condition") if (d := _diagnosis(r))),
        appointments=tuple(
            _appointment(bundle, r, where) for where, r in live(bundle, "Appointment")
        ),
        contacts=tuple(
            c for where, r in live(bundle, "CareTeam") for c in _contacts(bundle, r, where)
        ),
        relatives_consent=_relatives_consent(bundle),
        relatives=tuple(_relative(r) for _, r in live(bundle, "RelatedPerson")),
        notes=tuple(n for where, r in live(bundle, "Communication") if (n := _note(r, where))),
    )


# --- the Encounter ---------------------------------------------------------------------------


def _municipal_support(encounter: Resource) -> tuple[str, ...]:
    codes: list[str] = []
    for where, extension in extensions(encounter, "municipal-support", "Encounter"):
        code = our_code(
            extension.get("valueCoding"), "municipal-support", MUNICIPAL_SUPPORT_CODES, where
        )
        if code and code not in codes:
            codes.append(code)
    return tuple(codes)


def _boolean_extension(encounter: Resource, name: str) -> bool | None:
    for where, extension in extensions(encounter, name, "Encounter"):
        value = extension.get("valueBoolean")
        if not isinstance(value, bool):
            raise ContentError(f"{where}.valueBoolean", "must be true or false")
        return value
    return None


def _pathway(encounter: Resource) -> Pathway:
    for where, extension in extensions(encounter, "pathway", "Encounter"):
        value = extension.get("valueCode")
        if value == "child-youth":
            return "child-youth"
        if not isinstance(value, str) or value not in PATHWAYS:
            raise ContentError(f"{where}.valueCode", "must be adult or child-youth")
    return "adult"


# --- the other resources -----------------------------------------------------------------------


def _plan(bundle: BundleIndex, plan: Resource, where: str) -> Plan:
    activities = as_list(plan.get("activity"))
    return Plan(
        plan_type=our_code(plan.get("category"), "plan-type", PLAN_TYPES, f"{where}.category"),
        status=string(plan.get("status")),
        title=string(plan.get("title")),
        next_review=date_or_instant(as_dict(plan.get("period")).get("end"), f"{where}.period.end"),
        activities=tuple(
            _activity(bundle, as_dict(a), f"{where}.activity[{i}]")
            for i, a in enumerate(activities)
        ),
    )


def _activity(bundle: BundleIndex, activity: Resource, where: str) -> PlanActivity:
    detail, where = as_dict(activity.get("detail")), f"{where}.detail"
    responsible = None
    for ext_where, extension in extensions(detail, "responsible", where):
        responsible = our_code(
            extension.get("valueCoding"), "responsible", RESPONSIBLE_CODES, ext_where
        )
        if responsible:
            break
    performers = as_list(detail.get("performer"))
    if responsible is None and performers:
        kind, sor = party(bundle, performers[0])
        if kind == "organisation" and sor:
            responsible = ORGANISATION_PREFIX + sor
        else:
            responsible = _RESPONSIBLE_BY_KIND.get(kind, kind)
    period = as_dict(detail.get("scheduledPeriod"))
    scheduled = string(detail.get("scheduledString"))
    if scheduled is None and (period.get("start") or period.get("end")):
        # Checked here so that a bad period is reported; stored as the sender wrote it.
        date_or_instant(period.get("start"), f"{where}.scheduledPeriod.start")
        date_or_instant(period.get("end"), f"{where}.scheduledPeriod.end")
        scheduled = f"{period.get('start') or '..'}/{period.get('end') or '..'}"
    return PlanActivity(
        description=string(detail.get("description"))
        or string(as_dict(activity.get("reference")).get("display")),
        status=string(detail.get("status")),
        scheduled=scheduled,
        responsible=responsible,
    )


def _medication(bundle: BundleIndex, statement: Resource) -> Medication:
    concept = as_dict(statement.get("medicationCodeableConcept")) or as_dict(
        as_dict(bundle.resolve(statement.get("medicationReference"))).get("code")
    )
    codings = [as_dict(c) for c in as_list(concept.get("coding"))]
    atc = next((c for c in codings if c.get("system") == ATC_SYSTEM and string(c.get("code"))), {})
    dosage = [
        text for d in as_list(statement.get("dosage")) if (text := string(as_dict(d).get("text")))
    ]
    return Medication(
        atc_code=string(atc.get("code")),
        display=string(atc.get("display"))
        or string(concept.get("text"))
        or next((d for c in codings if (d := string(c.get("display")))), None),
        dosage_text="; ".join(dosage) or None,
        status=string(statement.get("status")),
    )


def _states_no_medication(medication_list: Resource) -> bool:
    return (
        LOINC_MEDICATION_LIST in codes_in(medication_list.get("code"), LOINC_SYSTEM)
        and "nilknown" in codes_in(medication_list.get("emptyReason"), LIST_EMPTY_REASON_SYSTEM)
        and not as_list(medication_list.get("entry"))
    )


def _diagnosis(condition: Resource) -> Diagnosis | None:
    concept = as_dict(condition.get("code"))
    codings = [c for c in map(as_dict, as_list(concept.get("coding"))) if string(c.get("code"))]
    coding = next((c for c in codings if c.get("system") == SKS_SYSTEM), None)
    coding = coding or (codings[0] if codings else {})
    display = string(coding.get("display")) or string(concept.get("text"))
    if not coding and display is None:
        return None
    return Diagnosis(
        system=string(coding.get("system")), code=string(coding.get("code")), display=display
    )


def _appointment(bundle: BundleIndex, appointment: Resource, where: str) -> Appointment:
    kinds: list[str] = []
    sors: list[str] = []
    for participant in map(as_dict, as_list(appointment.get("participant"))):
        if not participant.get("actor"):
            continue
        kind, sor = party(bundle, participant.get("actor"))
        if kind not in kinds:
            kinds.append(kind)
        if sor and sor not in sors:
            sors.append(sor)
    return Appointment(
        appointment_type=our_code(
            appointment.get("serviceType"),
            "appointment-type",
            APPOINTMENT_TYPES,
            f"{where}.serviceType",
        ),
        start=instant(appointment.get("start"), f"{where}.start"),
        status=string(appointment.get("status")),
        participant_organisation_sors=tuple(sors),
        participant_kinds=tuple(kinds),
    )


def _contacts(bundle: BundleIndex, care_team: Resource, where: str) -> Iterator[Contact]:
    for i, participant in enumerate(map(as_dict, as_list(care_team.get("participant")))):
        role = our_code(
            participant.get("role"),
            "care-team-role",
            CARE_TEAM_ROLES,
            f"{where}.participant[{i}].role",
        )
        member = as_dict(bundle.resolve(participant.get("member")))
        name, phone = human_name(member), phone_number(member)
        if member.get("resourceType") == "PractitionerRole":
            # The role carries the work phone; the person behind it carries the name.
            practitioner = as_dict(bundle.resolve(member.get("practitioner")))
            name = human_name(practitioner) or string(
                as_dict(member.get("practitioner")).get("display")
            )
            phone = phone or phone_number(practitioner)
        name = name or string(as_dict(participant.get("member")).get("display"))
        if role or name or phone:
            yield Contact(role=role, name=name, phone=phone)


def _relatives_consent(bundle: BundleIndex) -> str | None:
    for where, consent in live(bundle, "Consent"):
        category = our_code(
            consent.get("category"),
            "consent-category",
            frozenset({"relatives-involvement"}),
            f"{where}.category",
        )
        decision = as_dict(consent.get("provision")).get("type")
        if category is None or decision is None:
            continue
        if not isinstance(decision, str) or decision not in CONSENT_DECISIONS:
            raise ContentError(f"{where}.provision.type", "must be permit or deny")
        return decision
    return None


def _relative(person: Resource) -> RelatedPersonSummary:
    relationship = None
    for concept in map(as_dict, as_list(person.get("relationship"))):
        codings = list(map(as_dict, as_list(concept.get("coding"))))
        relationship = (
            string(concept.get("text"))
            or next((d for c in codings if (d := string(c.get("display")))), None)
            or next((d for c in codings if (d := string(c.get("code")))), None)
        )
        if relationship:
            break
    return RelatedPersonSummary(
        relationship=relationship, name=human_name(person), phone=phone_number(person)
    )


def _note(communication: Resource, where: str) -> Note | None:
    payloads = map(as_dict, as_list(communication.get("payload")))
    text = "\n\n".join(t for p in payloads if (t := string(p.get("contentString"))))
    if not text:
        return None
    category = our_code(
        communication.get("category"), "note-category", NOTE_CATEGORIES, f"{where}.category"
    )
    return Note(category=category, text=text)
