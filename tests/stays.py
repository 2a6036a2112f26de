"""Realistic stays for end-to-end tests: the shared example stay (tests/fixtures/examples) sent
anew, with its own episode, message ids and times, and the gaps a scenario needs.

`stay(...)` gives the messages of one stay; `changes` are small edits of the discharge plan and
handover content (a FHIR message Bundle each). The readers at the end turn an Acknowledgement,
an inbox item or a pre-flight into the checklist items it flags: item id -> severity.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from tests.messages import example, header, resources, with_fresh_ids

Bundle = dict[str, Any]
Change = Callable[[Bundle], None]

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
OVERGANG = "https://fhir.overgang.dk"
FULL_URL = "https://epj.example.dk/fhir"
EPISODE_SYSTEM = "https://sor2.sum.dsdn.dk/#id=1144561000016002"
HOSPITAL = "Organization/a8e56559-c565-51cd-b721-2f442ae25ceb"
AALBORG = "Organization/5b23e48d-c6a6-5679-a1d9-70a8bfd78c90"
PATIENT = "Patient/2e984195-e455-5dc9-93c5-0c6bceea8596"
ENCOUNTER = "Encounter/da1bc89a-2707-5df6-a4ee-daf6e4d9d38b"
CHECKLIST_ITEM_SYSTEM = f"{OVERGANG}/CodeSystem/checklist-item"
# checklist.md: these are recommended, every other item is required.
RECOMMENDED = frozenset(
    {
        "coordinator-named",
        "discharge-meeting-held",
        "relatives-consent-recorded",
        "dual-diagnosis-kip",
        "jobcentre-included",
    }
)
ISSUE_SEVERITY = {"error": "required", "warning": "recommended"}


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A time on the Copenhagen wall clock (+01:00 in winter, +02:00 in summer)."""
    return datetime(year, month, day, hour, minute, tzinfo=COPENHAGEN)


def fhir_time(moment: datetime) -> str:
    return moment.astimezone(COPENHAGEN).isoformat()


@dataclass(frozen=True)
class Citizen:
    cpr: str
    given: str
    family: str


EXAMPLE_CITIZEN = Citizen("2509479989", "Bruno", "Elmer")


@dataclass(frozen=True)
class Stay:
    """One stay's messages, in the order a ward and a municipality send them."""

    episode: str
    discharge_at: datetime
    admission: Bundle | None  # STIN
    plan: Bundle | None
    readiness: dict[str, Any] | None  # body of POST /api/v1/episodes/{episode}/readiness
    discharge: Bundle | None  # SLHJ
    handover: Bundle

    def revised_plan(self, *, sent_at: datetime, changes: Iterable[Change] = ()) -> Bundle:
        """The discharge plan sent again, as a new message, with changes."""
        assert self.plan is not None
        revised = with_fresh_ids(self.plan)
        _renew_provenance_id(revised)
        _set_times(revised, sent_at)
        _apply(revised, changes)
        return revised

    def correction(self, *, discharge_at: datetime, sent_at: datetime) -> Bundle:
        """RE_SLHJ: the discharge notice again, with a corrected discharge time."""
        assert self.admission is not None and self.discharge is not None
        fixed = with_fresh_ids(self.discharge)
        _renew_provenance_id(fixed)
        _set_times(fixed, sent_at)
        _encounter(fixed)["period"]["end"] = fhir_time(discharge_at)
        own = _own_provenance(fixed)
        own["activity"]["coding"][0]["code"] = "revise-discharge-inpatient-home"
        own["entity"] = [
            {
                "role": "revision",
                "what": {"reference": f"MessageHeader/{_header_id(self.discharge)}"},
            }
        ]
        earlier = [copy.deepcopy(_own_provenance(m)) for m in (self.admission, self.discharge)]
        _replace_provenances(fixed, [*earlier, own])
        return fixed


def ready_from(day: date) -> dict[str, Any]:
    return {"ready": True, "ready_from": day.isoformat()}


def not_ready(reason: str) -> dict[str, Any]:
    return {"ready": False, "reason": reason}


def stay(
    *,
    discharge_at: datetime,
    planned_discharge_at: datetime | None = None,
    plan_sent_at: datetime | None = None,
    admitted_at: datetime | None = None,
    citizen: Citizen = EXAMPLE_CITIZEN,
    hospital_notifications: bool = True,
    send_plan: bool = True,
    readiness: dict[str, Any] | Literal["on discharge day", "no answer"] = "on discharge day",
    changes: Iterable[Change] = (),
    plan_changes: Iterable[Change] = (),
    handover_changes: Iterable[Change] = (),
) -> Stay:
    """The example stay, moved to `discharge_at`, with the changes made to its content.

    By default: admitted 16 days before at 21:40, the plan sent 9 days before at 10:00 with the
    discharge as planned, a discharge meeting 2 working days before, a follow-up a week after,
    and Aalborg ready from the discharge day. Unlike the example, the plan's udskrivningsaftale
    is already active, so that a plan without gaps is judged complete. `changes` are made to
    both the plan and the handover; `plan_changes` and `handover_changes` to one of them.
    """
    discharge_at = discharge_at.astimezone(COPENHAGEN)
    day = discharge_at.date()
    planned = (planned_discharge_at or discharge_at).astimezone(COPENHAGEN)
    admitted = (admitted_at or at_day(day - timedelta(days=16), 21, 40)).astimezone(COPENHAGEN)
    plan_sent = (plan_sent_at or at_day(day - timedelta(days=9), 10)).astimezone(COPENHAGEN)
    episode = str(uuid.uuid4())

    admission = discharge = None
    if hospital_notifications:
        admission = _message("01-admission-STIN.json", episode, citizen, admitted, None)
        _set_times(admission, admitted + timedelta(minutes=2))
        discharge = _message("04-discharge-SLHJ.json", episode, citizen, admitted, discharge_at)
        _set_times(discharge, discharge_at + timedelta(minutes=2))
        own = _own_provenance(discharge)
        own["entity"][0]["what"]["reference"] = f"MessageHeader/{_header_id(admission)}"
        _replace_provenances(discharge, [copy.deepcopy(_own_provenance(admission)), own])

    plan = None
    if send_plan:
        plan = _message("02-discharge-plan.json", episode, citizen, admitted, planned)
        _set_times(plan, plan_sent)
        _default_content(plan, discharge_at)
        _apply(plan, [plan_status("udskrivningsaftale", "active"), *changes, *plan_changes])
    handover = _message("05-discharge-handover.json", episode, citizen, admitted, discharge_at)
    _set_times(handover, discharge_at + timedelta(minutes=20))
    _default_content(handover, discharge_at)
    _apply(handover, [*changes, *handover_changes])

    answer: dict[str, Any] | None
    if readiness == "on discharge day":
        answer = ready_from(discharge_at.date())
    elif readiness == "no answer":
        answer = None
    else:
        answer = readiness
    return Stay(
        episode=episode,
        discharge_at=discharge_at,
        admission=admission,
        plan=plan,
        readiness=answer,
        discharge=discharge,
        handover=handover,
    )


def at_day(day: date, hour: int, minute: int = 0) -> datetime:
    return at(day.year, day.month, day.day, hour, minute)


def working_days_before(day: date, count: int) -> date:
    """`count` weekdays before `day` (public holidays aside: the stays keep clear of them)."""
    while count:
        day -= timedelta(days=1)
        count -= day.weekday() < 5
    return day


# --- building the messages -------------------------------------------------------------------


def _message(
    name: str, episode: str, citizen: Citizen, admitted: datetime, end: datetime | None
) -> Bundle:
    bundle = with_fresh_ids(example(name))
    _renew_provenance_id(bundle)
    encounter = _encounter(bundle)
    encounter["episodeOfCare"][0]["identifier"] = {"system": EPISODE_SYSTEM, "value": episode}
    encounter["period"] = {"start": fhir_time(admitted)}
    if end is not None:
        encounter["period"]["end"] = fhir_time(end)
    [patient] = resources(bundle, "Patient")
    patient["identifier"][0]["value"] = citizen.cpr
    patient["name"] = [{"use": "official", "family": citizen.family, "given": [citizen.given]}]
    return bundle


def _set_times(bundle: Bundle, sent_at: datetime) -> None:
    bundle["timestamp"] = fhir_time(sent_at)
    own = _own_provenance(bundle)
    own["occurredDateTime"] = own["recorded"] = fhir_time(sent_at)


def _default_content(bundle: Bundle, discharge_at: datetime) -> None:
    """The example's appointments, moved with the discharge."""
    meeting_day = working_days_before(discharge_at.date(), 2)
    follow_up_day = discharge_at.date() + timedelta(days=7)
    _apply(
        bundle,
        [
            appointment("follow-up", start=at_day(follow_up_day, 13)),
            appointment("discharge-meeting", start=at_day(meeting_day, 10)),
        ],
    )


def _apply(bundle: Bundle, changes: Iterable[Change]) -> None:
    for change in changes:
        change(bundle)


def _header_id(bundle: Bundle) -> str:
    return str(header(bundle)["id"])


def _encounter(bundle: Bundle) -> dict[str, Any]:
    [encounter] = resources(bundle, "Encounter")
    return encounter


def _own_provenance(bundle: Bundle) -> dict[str, Any]:
    target = f"MessageHeader/{_header_id(bundle)}"
    return next(p for p in resources(bundle, "Provenance") if p["target"][0]["reference"] == target)


def _renew_provenance_id(bundle: Bundle) -> None:
    own = _own_provenance(bundle)
    own["id"] = str(uuid.uuid4())
    entry = next(e for e in bundle["entry"] if e["resource"] is own)
    entry["fullUrl"] = f"{FULL_URL}/Provenance/{own['id']}"


def _replace_provenances(bundle: Bundle, provenances: list[dict[str, Any]]) -> None:
    bundle["entry"] = [
        e for e in bundle["entry"] if e["resource"]["resourceType"] != "Provenance"
    ] + [_entry(p) for p in provenances]


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "fullUrl": f"{FULL_URL}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
    }


def _add(bundle: Bundle, resource: dict[str, Any]) -> None:
    """Add a resource just before the Provenances, with a fresh id."""
    resource = {"resourceType": resource["resourceType"], "id": str(uuid.uuid4()), **resource}
    position = next(
        i for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == "Provenance"
    )
    bundle["entry"].insert(position, _entry(resource))


def _coding(code_system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": f"{OVERGANG}/CodeSystem/{code_system}", "code": code}]}


def _code_of(concept: Any) -> str | None:
    concepts = concept if isinstance(concept, list) else [concept]
    return next((c["coding"][0]["code"] for c in concepts if c and c.get("coding")), None)


# --- changes to the content of a plan or handover --------------------------------------------


def _set_extension(bundle: Bundle, name: str, value: dict[str, Any]) -> None:
    encounter = _encounter(bundle)
    url = f"{OVERGANG}/StructureDefinition/{name}"
    kept = [e for e in encounter.get("extension", []) if e["url"] != url]
    encounter["extension"] = [*kept, {"url": url, **value}]


def weekend_discharge_agreed() -> Change:
    """The municipality agreed in writing to a discharge before a weekend or holiday."""
    return lambda bundle: _set_extension(bundle, "weekend-discharge-agreed", {"valueBoolean": True})


def coercion_used() -> Change:
    return lambda bundle: _set_extension(bundle, "coercion-used", {"valueBoolean": True})


def child_youth_pathway() -> Change:
    return lambda bundle: _set_extension(bundle, "pathway", {"valueCode": "child-youth"})


def municipal_support(*codes: str) -> Change:
    """The municipal support codes, instead of the example's sel-part-v."""

    def change(bundle: Bundle) -> None:
        encounter = _encounter(bundle)
        url = f"{OVERGANG}/StructureDefinition/municipal-support"
        kept = [e for e in encounter["extension"] if e["url"] != url]
        support = [
            {
                "url": url,
                "valueCoding": {"system": f"{OVERGANG}/CodeSystem/municipal-support", "code": c},
            }
            for c in codes
        ]
        encounter["extension"] = support + kept

    return change


def destination(code: str) -> Change:
    def change(bundle: Bundle) -> None:
        _encounter(bundle)["hospitalization"] = {
            "dischargeDisposition": _coding("discharge-destination", code)
        }

    return change


def discharged(moment: datetime) -> Change:
    """Another discharge time in the content than in the notices."""
    return lambda bundle: _encounter(bundle)["period"].update(end=fhir_time(moment))


def plan_status(plan_type: str, status: str) -> Change:
    def change(bundle: Bundle) -> None:
        for plan in resources(bundle, "CarePlan"):
            if _code_of(plan["category"]) == plan_type:
                plan["status"] = status

    return change


def plan_type(old: str, new: str) -> Change:
    """The example's plan, as another kind of plan (a koordinationsplan instead, say)."""

    def change(bundle: Bundle) -> None:
        for plan in resources(bundle, "CarePlan"):
            if _code_of(plan["category"]) == old:
                plan["category"] = [_coding("plan-type", new)]
                plan["title"] = new.capitalize()

    return change


def activity(
    description: str,
    *,
    responsible: str | None,
    scheduled: str | None,
    status: str | None = "scheduled",
) -> dict[str, Any]:
    """An agreed action of a plan (CarePlan.activity)."""
    detail: dict[str, Any] = {"description": description}
    if status:
        detail["status"] = status
    if scheduled:
        detail["scheduledString"] = scheduled
    if responsible:
        detail["extension"] = [
            {
                "url": f"{OVERGANG}/StructureDefinition/responsible",
                "valueCoding": {
                    "system": f"{OVERGANG}/CodeSystem/responsible",
                    "code": responsible,
                },
            }
        ]
    return {"detail": detail}


def add_activity(plan_type: str, action: dict[str, Any]) -> Change:
    def change(bundle: Bundle) -> None:
        for plan in resources(bundle, "CarePlan"):
            if _code_of(plan["category"]) == plan_type:
                plan["activity"].append(copy.deepcopy(action))

    return change


def responsible_everywhere(responsible: str) -> Change:
    """Every agreed action with this responsible party (the region, say)."""

    def change(bundle: Bundle) -> None:
        for plan in resources(bundle, "CarePlan"):
            for action in plan["activity"]:
                action["detail"]["extension"][0]["valueCoding"]["code"] = responsible

    return change


def add_plan(
    plan_type: str, *, title: str, actions: list[dict[str, Any]], review: date | None = None
) -> Change:
    def change(bundle: Bundle) -> None:
        plan: dict[str, Any] = {
            "resourceType": "CarePlan",
            "status": "active",
            "intent": "plan",
            "category": [_coding("plan-type", plan_type)],
            "subject": {"reference": PATIENT},
            "encounter": {"reference": ENCOUNTER},
            "title": title,
            "activity": copy.deepcopy(actions),
        }
        if review:
            plan["period"] = {"end": review.isoformat()}
        _add(bundle, plan)

    return change


def without(resource_type: str) -> Change:
    """No resource of this type (nothing else may refer to them)."""

    def change(bundle: Bundle) -> None:
        bundle["entry"] = [
            e for e in bundle["entry"] if e["resource"]["resourceType"] != resource_type
        ]

    return change


def no_medication() -> Change:
    """The ward states that the citizen takes no medicine: the LOINC 10160-0 List, empty."""

    def change(bundle: Bundle) -> None:
        without("MedicationStatement")(bundle)
        _add(
            bundle,
            {
                "resourceType": "List",
                "status": "current",
                "mode": "snapshot",
                "code": {
                    "coding": [
                        {
                            "system": "http://loinc.org",
                            "code": "10160-0",
                            "display": "History of Medication use Narrative",
                        }
                    ]
                },
                "subject": {"reference": PATIENT},
                "emptyReason": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/list-empty-reason",
                            "code": "nilknown",
                        }
                    ]
                },
            },
        )

    return change


def diagnosis(code: str) -> Change:
    """Another SKS diagnosis besides the example's DF200."""
    return lambda bundle: _add(
        bundle,
        {
            "resourceType": "Condition",
            "subject": {"reference": PATIENT},
            "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.4", "code": code}]},
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": "active",
                    }
                ]
            },
        },
    )


def appointment(kind: str, *, start: datetime | None = None, status: str | None = None) -> Change:
    """Move or re-status the example's appointment of this kind (follow-up, discharge-meeting)."""

    def change(bundle: Bundle) -> None:
        for found in resources(bundle, "Appointment"):
            if _code_of(found["serviceType"]) != kind:
                continue
            if start is not None:
                found["start"] = fhir_time(start)
                found["end"] = fhir_time(start + timedelta(hours=1))
            if status is not None:
                found["status"] = status

    return change


def without_appointment(kind: str) -> Change:
    def change(bundle: Bundle) -> None:
        bundle["entry"] = [
            e
            for e in bundle["entry"]
            if e["resource"]["resourceType"] != "Appointment"
            or _code_of(e["resource"]["serviceType"]) != kind
        ]

    return change


def note(category: str, text: str) -> Change:
    """A handover note (Communication) of this category."""
    return lambda bundle: _add(
        bundle,
        {
            "resourceType": "Communication",
            "status": "completed",
            "category": [_coding("note-category", category)],
            "subject": {"reference": PATIENT},
            "payload": [{"contentString": text}],
        },
    )


def _team_member(bundle: Bundle, role: str) -> dict[str, Any]:
    [team] = resources(bundle, "CareTeam")
    reference = next(
        p["member"]["reference"] for p in team["participant"] if _code_of(p["role"]) == role
    )
    return next(
        p for p in resources(bundle, "Practitioner") if reference == f"Practitioner/{p['id']}"
    )


def without_phone(role: str) -> Change:
    """The care team member of this role has a name but no phone number."""
    return lambda bundle: _team_member(bundle, role).pop("telecom")


def without_team_role(role: str) -> Change:
    def change(bundle: Bundle) -> None:
        [team] = resources(bundle, "CareTeam")
        team["participant"] = [p for p in team["participant"] if _code_of(p["role"]) != role]

    return change


# --- reading what was flagged ------------------------------------------------------------------


def expected(*item_ids: str) -> dict[str, str]:
    """The items a test expects flagged, with their agreed severity (checklist.md)."""
    return {i: "recommended" if i in RECOMMENDED else "required" for i in item_ids}


def flagged_in_ack(ack: Bundle) -> dict[str, str]:
    """The checklist items an Acknowledgement flags: id -> required (error) or recommended
    (warning)."""
    issues = [
        issue
        for entry in ack["entry"]
        if entry["resource"]["resourceType"] == "OperationOutcome"
        for issue in entry["resource"]["issue"]
        if issue["code"] == "business-rule"
    ]
    codings = [issue["details"]["coding"][0] for issue in issues]
    assert all(c["system"] == CHECKLIST_ITEM_SYSTEM for c in codings), json.dumps(codings)
    found = {c["code"]: ISSUE_SEVERITY[i["severity"]] for c, i in zip(codings, issues, strict=True)}
    assert len(found) == len(issues), f"an item is flagged twice: {json.dumps(issues)}"
    return found


def missing_in(checklist: dict[str, Any]) -> dict[str, str]:
    """The missing items of a checklist result (profile §4): id -> required / recommended."""
    return {i["id"]: i["severity"] for i in checklist["items"] if i["status"] == "missing"}
