"""What a discharge plan or handover says: the facts the checklist judges and a municipality reads.

Plain values, no FHIR. `overgang.fhir.content` builds them from a message Bundle (profile §1.1);
`DischargeContent.to_json` / `from_json` are the stored form and round-trip exactly.
Codes are kept as the sender sent them; the sets below are the codes Overgang's own CodeSystems
define, for readers that need to check a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, Literal

Pathway = Literal["adult", "child-youth"]

PATHWAYS: frozenset[str] = frozenset({"adult", "child-youth"})
DESTINATIONS = frozenset(
    {
        "own-home",
        "own-home-with-support",
        "residential-care",
        "shelter",
        "no-fixed-address",
        "other-hospital",
        "unknown",
    }
)
MUNICIPAL_SUPPORT_CODES = frozenset(
    {"sel-part-v", "will-not-seek-help", "support-needed", "jobcentre-case", "substance-treatment"}
)
PLAN_TYPES = frozenset(
    {"udskrivningsaftale", "koordinationsplan", "koordinerende-indsatsplan", "treatment-plan"}
)
RESPONSIBLE_CODES = frozenset(
    {"region", "municipality", "gp", "citizen", "relative", "jobcentre", "substance-treatment"}
)
APPOINTMENT_TYPES = frozenset({"follow-up", "discharge-meeting", "network-meeting"})
CARE_TEAM_ROLES = frozenset({"hospital-contact", "coordinator", "municipal-contact"})
NOTE_CATEGORIES = frozenset({"general", "coercion", "risk", "relatives"})
CONSENT_DECISIONS = frozenset({"permit", "deny"})

# SKS, the Danish health classification (diagnoses as e.g. DF200).
SKS_SYSTEM = "urn:oid:1.2.208.176.2.4"
# `PlanActivity.responsible` for a performer Organization with a SOR code: "organisation:<SOR>".
ORGANISATION_PREFIX = "organisation:"
JSON_VERSION = 1


@dataclass(frozen=True, kw_only=True)
class PlanActivity:
    """One agreed action of a plan.

    `scheduled` is the sender's text, or an ISO 8601 interval "start/end" (".." for an open end).
    `responsible` is a code of the `responsible` CodeSystem (RESPONSIBLE_CODES) when the sender
    coded it; otherwise the kind of the first `performer`: "organisation:<SOR>" (or "organisation"
    without a SOR code), "practitioner" (Practitioner or PractitionerRole), "citizen" (Patient),
    "relative" (RelatedPerson), or another kind as in `Appointment.participant_kinds`.
    """

    description: str | None = None
    status: str | None = None
    scheduled: str | None = None
    responsible: str | None = None

    @property
    def responsible_sor(self) -> str | None:
        """The SOR code of the responsible organisation, when a performer reference named one."""
        if self.responsible and self.responsible.startswith(ORGANISATION_PREFIX):
            return self.responsible.removeprefix(ORGANISATION_PREFIX) or None
        return None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlanActivity:
        return cls(
            description=data.get("description"),
            status=data.get("status"),
            scheduled=data.get("scheduled"),
            responsible=data.get("responsible"),
        )


@dataclass(frozen=True, kw_only=True)
class Plan:
    """A CarePlan: udskrivningsaftale, koordinationsplan, KIP or treatment plan."""

    plan_type: str | None = None
    status: str | None = None
    title: str | None = None
    next_review: date | datetime | None = None  # period.end; the next review of a KIP
    activities: tuple[PlanActivity, ...] = ()

    def __post_init__(self) -> None:
        _require_aware(self.next_review, "next_review")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        return cls(
            plan_type=data.get("plan_type"),
            status=data.get("status"),
            title=data.get("title"),
            next_review=_date_or_datetime(data.get("next_review")),
            activities=tuple(PlanActivity.from_json(a) for a in data.get("activities") or ()),
        )


@dataclass(frozen=True, kw_only=True)
class Medication:
    """One medicine at discharge: ATC code, name and dosage as text."""

    atc_code: str | None = None
    display: str | None = None
    dosage_text: str | None = None
    status: str | None = None  # MedicationStatement.status: active, stopped, on-hold, ...

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Medication:
        return cls(
            atc_code=data.get("atc_code"),
            display=data.get("display"),
            dosage_text=data.get("dosage_text"),
            status=data.get("status"),
        )


@dataclass(frozen=True, kw_only=True)
class Diagnosis:
    """A diagnosis; `system` is SKS_SYSTEM when coded in SKS, None for a diagnosis in text only."""

    system: str | None = None
    code: str | None = None
    display: str | None = None

    @property
    def sks_code(self) -> str | None:
        return self.code if self.system == SKS_SYSTEM else None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Diagnosis:
        return cls(system=data.get("system"), code=data.get("code"), display=data.get("display"))


@dataclass(frozen=True, kw_only=True)
class Appointment:
    """A follow-up, discharge meeting or network meeting.

    `participant_kinds` are "patient", "practitioner", "organisation", "related-person",
    "care-team", "location", "healthcare-service", "device" or "other", each once, in order.
    """

    appointment_type: str | None = None
    start: datetime | None = None
    status: str | None = None
    participant_organisation_sors: tuple[str, ...] = ()
    participant_kinds: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require_aware(self.start, "start")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Appointment:
        return cls(
            appointment_type=data.get("appointment_type"),
            start=_datetime(data.get("start")),
            status=data.get("status"),
            participant_organisation_sors=tuple(data.get("participant_organisation_sors") or ()),
            participant_kinds=tuple(data.get("participant_kinds") or ()),
        )


@dataclass(frozen=True, kw_only=True)
class Contact:
    """A named person to call: the hospital contact, the coordinator or the municipal contact."""

    role: str | None = None
    name: str | None = None
    phone: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Contact:
        return cls(role=data.get("role"), name=data.get("name"), phone=data.get("phone"))


@dataclass(frozen=True, kw_only=True)
class RelatedPersonSummary:
    """A relative as the municipality needs them: who they are to the citizen and how to call."""

    relationship: str | None = None
    name: str | None = None
    phone: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RelatedPersonSummary:
        return cls(
            relationship=data.get("relationship"), name=data.get("name"), phone=data.get("phone")
        )


@dataclass(frozen=True, kw_only=True)
class Note:
    """A free-text handover note; `category` is general, coercion, risk or relatives."""

    category: str | None = None
    text: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Note:
        return cls(category=data.get("category"), text=data.get("text") or "")


@dataclass(frozen=True, kw_only=True)
class DischargeContent:
    """Everything a discharge-plan or discharge-handover message says; a plan may be partial."""

    discharge_at: datetime | None = None  # planned in a plan, actual in a handover
    destination: str | None = None
    municipal_support: tuple[str, ...] = ()
    coercion_used: bool | None = None
    weekend_discharge_agreed: bool | None = None
    pathway: Pathway = "adult"
    plans: tuple[Plan, ...] = ()
    medications: tuple[Medication, ...] = ()
    no_medication: bool = False  # the sender stated "no medication" (LOINC 10160-0, nilknown)
    diagnoses: tuple[Diagnosis, ...] = ()
    appointments: tuple[Appointment, ...] = ()
    contacts: tuple[Contact, ...] = ()
    relatives_consent: str | None = None  # permit or deny
    relatives: tuple[RelatedPersonSummary, ...] = ()
    notes: tuple[Note, ...] = ()

    def __post_init__(self) -> None:
        _require_aware(self.discharge_at, "discharge_at")
        if self.pathway not in PATHWAYS:
            raise ValueError("pathway must be adult or child-youth")

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict; dates and datetimes as ISO 8601 with their offset."""
        data: dict[str, Any] = _jsonable(self)
        data["version"] = JSON_VERSION
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DischargeContent:
        """The content `to_json` stored."""
        if data.get("version", JSON_VERSION) != JSON_VERSION:
            raise ValueError("stored discharge content has an unknown version")
        return cls(
            discharge_at=_datetime(data.get("discharge_at")),
            destination=data.get("destination"),
            municipal_support=tuple(data.get("municipal_support") or ()),
            coercion_used=data.get("coercion_used"),
            weekend_discharge_agreed=data.get("weekend_discharge_agreed"),
            pathway=data.get("pathway") or "adult",
            plans=tuple(Plan.from_json(p) for p in data.get("plans") or ()),
            medications=tuple(Medication.from_json(m) for m in data.get("medications") or ()),
            no_medication=bool(data.get("no_medication")),
            diagnoses=tuple(Diagnosis.from_json(d) for d in data.get("diagnoses") or ()),
            appointments=tuple(Appointment.from_json(a) for a in data.get("appointments") or ()),
            contacts=tuple(Contact.from_json(c) for c in data.get("contacts") or ()),
            relatives_consent=data.get("relatives_consent"),
            relatives=tuple(RelatedPersonSummary.from_json(r) for r in data.get("relatives") or ()),
            notes=tuple(Note.from_json(n) for n in data.get("notes") or ()),
        )


def _require_aware(value: date | datetime | None, name: str) -> None:
    if isinstance(value, datetime) and value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def _jsonable(value: Any) -> Any:
    # What `_jsonable(dataclasses.asdict(...))` gave, without asdict's deep copy (10x faster).
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return {name: _jsonable(getattr(value, name)) for name in _field_names(type(value))}
    return value


@cache
def _field_names(cls: type[Any]) -> tuple[str, ...]:
    return tuple(field.name for field in fields(cls))


def _datetime(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _date_or_datetime(value: str | None) -> date | datetime | None:
    if value is None:
        return None
    # A stored date is "YYYY-MM-DD"; a stored datetime always has a "T".
    return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
