"""The discharge-plan / discharge-handover resources of an outbound Bundle (profile §1.1).

The inverse of `overgang.fhir.content`: every `DischargeContent` fact becomes the element the reader
takes it from, so reading the built Bundle gives the same content back. A required FHIR element
whose value the content does not know (a status) carries the data-absent-reason extension instead
of an invented code.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from overgang.domain.content import (
    ORGANISATION_PREFIX,
    RESPONSIBLE_CODES,
    Appointment,
    Diagnosis,
    DischargeContent,
    Medication,
    Plan,
    PlanActivity,
)
from overgang.fhir.codes import SOR_SYSTEM
from overgang.fhir.content import (
    ATC_SYSTEM,
    LIST_EMPTY_REASON_SYSTEM,
    LOINC_MEDICATION_LIST,
    LOINC_SYSTEM,
)
from overgang.fhir.content_elements import (
    CODE_SYSTEM_BASE,
    EXTENSION_BASE,
    ContentError,
    date_or_instant,
)

Json = dict[str, Any]

_ID_NAMESPACE = uuid5(NAMESPACE_URL, "https://fhir.overgang.dk/outbound-message")
CONSENT_SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
# Parties named only by their kind: a logical Reference that gives the type and nothing else.
_TYPE_BY_KIND = {
    "organisation": "Organization",
    "practitioner": "Practitioner",
    "related-person": "RelatedPerson",
    "care-team": "CareTeam",
    "location": "Location",
    "healthcare-service": "HealthcareService",
    "device": "Device",
}


class BundleEntries:
    """The entries of one outbound Bundle, with ids derived from the MessageHeader id."""

    def __init__(self, *, header_id: str, base_url: str) -> None:
        self.header_id = header_id
        self.base_url = base_url.rstrip("/")
        self.resources: list[Json] = []
        self._organisations: dict[str, str] = {}

    def id_for(self, role: str) -> str:
        """The same message always gets the same ids, so a rebuild gives the same Bundle."""
        return str(uuid5(_ID_NAMESPACE, f"{self.header_id}|{role}"))

    def add(self, resource: Json) -> Json:
        """Append a resource; returns a Reference to it."""
        self.resources.append(resource)
        return {"reference": f"{resource['resourceType']}/{resource['id']}"}

    def known_organisation(self, sor: str, reference: Json) -> None:
        self._organisations.setdefault(sor, reference["reference"])

    def organisation(self, sor: str) -> Json:
        """A Reference to the Organization with this SOR code, added when not yet in the Bundle."""
        if sor not in self._organisations:
            organisation = {
                "resourceType": "Organization",
                "id": self.id_for(f"Organization/sor:{sor}"),
                "identifier": [{"system": SOR_SYSTEM, "value": sor}],
            }
            self._organisations[sor] = self.add(organisation)["reference"]
        return {"reference": self._organisations[sor]}

    def bundle_entries(self) -> list[Json]:
        return [
            {"fullUrl": f"{self.base_url}/{r['resourceType']}/{r['id']}", "resource": r}
            for r in self.resources
        ]


def encounter_elements(content: DischargeContent) -> tuple[list[Json], Json | None]:
    """The Encounter's Overgang extensions and its `hospitalization`, if any."""
    extensions: list[Json] = [
        {
            "url": EXTENSION_BASE + "municipal-support",
            "valueCoding": _coding("municipal-support", c),
        }
        for c in content.municipal_support
    ]
    for name, value in (
        ("coercion-used", content.coercion_used),
        ("weekend-discharge-agreed", content.weekend_discharge_agreed),
    ):
        if value is not None:
            extensions.append({"url": EXTENSION_BASE + name, "valueBoolean": value})
    extensions.append({"url": EXTENSION_BASE + "pathway", "valueCode": content.pathway})
    hospitalization = None
    if content.destination is not None:
        disposition = _concept("discharge-destination", content.destination)
        hospitalization = {"dischargeDisposition": disposition}
    return extensions, hospitalization


def add_content(
    entries: BundleEntries, content: DischargeContent, *, patient: Json, encounter: Json
) -> None:
    """Add the resources that carry `content` (everything but the Encounter's own elements)."""
    for i, plan in enumerate(content.plans):
        entries.add(_care_plan(entries, plan, f"CarePlan/{i}", patient, encounter))
    for i, medication in enumerate(content.medications):
        entries.add(
            _medication_statement(entries.id_for(f"MedicationStatement/{i}"), medication, patient)
        )
    if content.no_medication:
        entries.add(_no_medication_list(entries, patient))
    for i, diagnosis in enumerate(content.diagnoses):
        if condition := _condition(entries.id_for(f"Condition/{i}"), diagnosis, patient):
            entries.add(condition)
    for i, appointment in enumerate(content.appointments):
        entries.add(_appointment(entries, appointment, f"Appointment/{i}", patient))
    if content.contacts:
        entries.add(_care_team(entries, content, patient))
    for i, relative in enumerate(content.relatives):
        person: Json = {
            "resourceType": "RelatedPerson",
            "id": entries.id_for(f"RelatedPerson/{i}"),
            "patient": patient,
        }
        if relative.relationship is not None:
            person["relationship"] = [{"text": relative.relationship}]
        entries.add(_with(person, name=_name(relative.name), telecom=_phone(relative.phone)))
    if content.relatives_consent is not None:
        entries.add(_consent(entries, content.relatives_consent, patient))
    for i, note in enumerate(n for n in content.notes if n.text.strip()):
        communication: Json = {
            "resourceType": "Communication",
            "id": entries.id_for(f"Communication/{i}"),
            "status": "completed",
        }
        if note.category is not None:
            communication["category"] = [_concept("note-category", note.category)]
        communication |= {"subject": patient, "payload": [{"contentString": note.text}]}
        entries.add(communication)


# --- one resource each -------------------------------------------------------------------------


def _medication_statement(resource_id: str, medication: Medication, patient: Json) -> Json:
    concept: Json = {}
    if medication.atc_code is not None:
        coding = {"system": ATC_SYSTEM, "code": medication.atc_code}
        concept["coding"] = [_with(coding, display=medication.display)]
    if medication.display is not None:
        concept["text"] = medication.display
    statement = {
        "resourceType": "MedicationStatement",
        "id": resource_id,
        **_status(medication.status),
        # medication[x] is required: a medicine named by neither code nor text is "unknown".
        "medicationCodeableConcept": concept or _data_absent(),
        "subject": patient,
    }
    if medication.dosage_text is not None:
        statement["dosage"] = [{"text": medication.dosage_text}]
    return statement


def _care_plan(
    entries: BundleEntries, plan: Plan, role: str, patient: Json, encounter: Json
) -> Json:
    resource: Json = {
        "resourceType": "CarePlan",
        "id": entries.id_for(role),
        **_status(plan.status),
        "intent": "plan",
    }
    if plan.plan_type is not None:
        resource["category"] = [_concept("plan-type", plan.plan_type)]
    resource |= {"subject": patient, "encounter": encounter}
    if plan.title is not None:
        resource["title"] = plan.title
    if plan.next_review is not None:
        resource["period"] = {"end": fhir_time(plan.next_review)}
    if plan.activities:
        resource["activity"] = [{"detail": _activity(entries, a)} for a in plan.activities]
    return resource


def _activity(entries: BundleEntries, activity: PlanActivity) -> Json:
    detail: Json = {}
    responsible = activity.responsible
    if responsible in RESPONSIBLE_CODES:
        coding = _coding("responsible", responsible)
        detail["extension"] = [{"url": EXTENSION_BASE + "responsible", "valueCoding": coding}]
    detail |= _status(activity.status)
    if activity.description is not None:
        detail["description"] = activity.description
    if activity.scheduled is not None:
        if period := _interval(activity.scheduled):
            detail["scheduledPeriod"] = period
        else:
            detail["scheduledString"] = activity.scheduled
    if responsible is not None and responsible not in RESPONSIBLE_CODES:
        detail["performer"] = [_party(entries, responsible)]
    return detail


def _interval(scheduled: str) -> Json | None:
    """A Period for an ISO 8601 "start/end" interval the reader accepts; None for free text."""
    parts = scheduled.split("/")
    if len(parts) != 2 or parts == ["..", ".."]:
        return None
    period: Json = {}
    for name, value in zip(("start", "end"), parts, strict=True):
        if value == "..":
            continue
        try:
            if date_or_instant(value, "scheduled") is None:
                return None
        except ContentError:
            return None
        period[name] = value
    return period


def _party(entries: BundleEntries, kind: str) -> Json:
    if kind.startswith(ORGANISATION_PREFIX) and kind != ORGANISATION_PREFIX:
        return entries.organisation(kind.removeprefix(ORGANISATION_PREFIX))
    if kind in _TYPE_BY_KIND:
        return {"type": _TYPE_BY_KIND[kind]}
    if kind == "other":
        return {"display": "other"}
    raise ValueError("a responsible party or participant is of a kind Overgang does not define")


def _no_medication_list(entries: BundleEntries, patient: Json) -> Json:
    return {
        "resourceType": "List",
        "id": entries.id_for("List/no-medication"),
        "status": "current",
        "mode": "snapshot",
        "code": {"coding": [{"system": LOINC_SYSTEM, "code": LOINC_MEDICATION_LIST}]},
        "subject": patient,
        "emptyReason": {"coding": [{"system": LIST_EMPTY_REASON_SYSTEM, "code": "nilknown"}]},
    }


def _condition(resource_id: str, diagnosis: Diagnosis, patient: Json) -> Json | None:
    if diagnosis.code is not None:
        coding = _with({"code": diagnosis.code}, display=diagnosis.display)
        code: Json = {"coding": [_with({}, system=diagnosis.system) | coding]}
    elif diagnosis.display is not None:
        code = {"text": diagnosis.display}
    else:
        return None  # nothing to say: the reader would skip it too
    return {"resourceType": "Condition", "id": resource_id, "subject": patient, "code": code}


def _appointment(
    entries: BundleEntries, appointment: Appointment, role: str, patient: Json
) -> Json:
    resource: Json = {
        "resourceType": "Appointment",
        "id": entries.id_for(role),
        **_status(appointment.status),
    }
    if appointment.appointment_type is not None:
        resource["serviceType"] = [_concept("appointment-type", appointment.appointment_type)]
    if appointment.start is not None:
        resource["start"] = fhir_time(appointment.start)
    # Participation status is not a fact Overgang keeps: it is stated as unknown. FHIR wants at
    # least one participant; with none known, one of unknown type (and no actor to read back).
    resource["participant"] = [
        {"actor": actor, "_status": _data_absent()}
        for actor in _actors(entries, appointment, patient)
    ] or [{"type": [_data_absent()], "_status": _data_absent()}]
    return resource


def _actors(entries: BundleEntries, appointment: Appointment, patient: Json) -> Iterator[Json]:
    kinds = list(appointment.participant_kinds)
    if appointment.participant_organisation_sors and "organisation" not in kinds:
        kinds.append("organisation")
    for kind in kinds:
        if kind == "patient":
            yield patient
        elif kind == "organisation" and appointment.participant_organisation_sors:
            yield from map(entries.organisation, appointment.participant_organisation_sors)
        else:
            yield _party(entries, kind)


def _care_team(entries: BundleEntries, content: DischargeContent, patient: Json) -> Json:
    participants = []
    for i, contact in enumerate(content.contacts):
        participant: Json = {}
        if contact.role is not None:
            participant["role"] = [_concept("care-team-role", contact.role)]
        if contact.name is not None or contact.phone is not None:
            practitioner = {
                "resourceType": "Practitioner",
                "id": entries.id_for(f"Practitioner/{i}"),
            }
            practitioner = _with(practitioner, name=_name(contact.name))
            participant["member"] = entries.add(_with(practitioner, telecom=_phone(contact.phone)))
        if participant:
            participants.append(participant)
    care_team: Json = {
        "resourceType": "CareTeam",
        "id": entries.id_for("CareTeam"),
        "status": "active",
        "subject": patient,
    }
    return _with(care_team, participant=participants or None)


def _consent(entries: BundleEntries, decision: str, patient: Json) -> Json:
    return {
        "resourceType": "Consent",
        "id": entries.id_for("Consent/relatives-involvement"),
        "status": "active",
        "scope": {"coding": [{"system": CONSENT_SCOPE_SYSTEM, "code": "patient-privacy"}]},
        "category": [_concept("consent-category", "relatives-involvement")],
        "patient": patient,
        "provision": {"type": decision},
    }


# --- data types --------------------------------------------------------------------------------


def _data_absent() -> Json:
    """An element whose value is unknown (a new dict each time: callers may edit the Bundle)."""
    reason = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
    return {"extension": [{"url": reason, "valueCode": "unknown"}]}


def _coding(code_system: str, code: str) -> Json:
    return {"system": CODE_SYSTEM_BASE + code_system, "code": code}


def _concept(code_system: str, code: str) -> Json:
    return {"coding": [_coding(code_system, code)]}


def _status(status: str | None) -> Json:
    return {"status": status} if status is not None else {"_status": _data_absent()}


def _name(name: str | None) -> list[Json] | None:
    return [{"text": name}] if name is not None else None


def _phone(phone: str | None) -> list[Json] | None:
    return [{"system": "phone", "value": phone}] if phone is not None else None


def _with(resource: Json, **elements: Any) -> Json:
    """`resource` with those of `elements` that are not None."""
    return resource | {name: value for name, value in elements.items() if value is not None}


def fhir_time(value: date | datetime) -> str:
    """A FHIR date, or dateTime with its offset; a time without a timezone is refused."""
    if isinstance(value, datetime) and value.utcoffset() is None:
        raise ValueError("times in a MedCom message must carry a timezone")
    return value.isoformat()
