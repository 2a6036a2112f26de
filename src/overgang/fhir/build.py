"""Building a MedCom-shaped message Bundle from an `InboundMessage`: the inverse of `read_message`.

The plain-JSON route ends in the same `InboundMessage` as the FHIR route; the municipality still
receives FHIR, so this writes the message back out. Plain dicts, never `fhir.resources` models
(style.md). Ids are derived from the MessageHeader id, so the same message always builds the same
Bundle. What the domain objects do not keep (the patient's name, the earlier Provenances of the
episode, MedCom's report-of-admission extensions) cannot be written back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any, Final

from overgang.domain.content import DischargeContent
from overgang.domain.messages import InboundMessage, MessageKind, OrganisationRef
from overgang.fhir import codes
from overgang.fhir.build_content import BundleEntries, add_content, encounter_elements, fhir_time

__all__ = ["build_message_bundle"]

Json = dict[str, Any]

_HN: Final = "http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/"
_MESSAGING: Final = "http://medcomfhir.dk/ig/messaging/StructureDefinition/"
# MedCom's profiles, claimed for HospitalNotifications only: Overgang's own events do not meet
# their event and activity bindings.
_PROFILES: Final = {
    "Bundle": _HN + "medcom-hospitalNotification-message",
    "MessageHeader": _HN + "medcom-hospitalNotification-messageHeader",
    "Patient": "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-patient",
    "Encounter": _HN + "medcom-hospitalNotification-encounter",
    "Organization": _MESSAGING + "medcom-messaging-organization",
    "Provenance": _MESSAGING + "medcom-messaging-provenance",
}
ACT_CODE_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


def build_message_bundle(
    message: InboundMessage,
    *,
    sender_name: str | None = None,
    receiver_name: str | None = None,
    base_url: str = codes.OVERGANG_BASE,
) -> dict[str, Any]:
    """Build the FHIR R4 message Bundle that `read_message` reads back as `message`."""
    notification = message.kind is MessageKind.HOSPITAL_NOTIFICATION
    if notification and message.content is not None:
        raise ValueError("a hospital notification carries no discharge content")
    content = None if notification else message.content or DischargeContent()
    entries = BundleEntries(header_id=message.header_id, base_url=base_url)
    profiled = _profiler(notification)
    encounter_id = entries.id_for("Encounter")
    patient, encounter = (
        {"reference": f"Patient/{entries.id_for('Patient')}"},
        {"reference": f"Encounter/{encounter_id}"},
    )
    sender = _organisation(entries, message.sender, sender_name, "sender")
    receiver = _organisation(entries, message.receiver, receiver_name, "receiver")

    entries.add(profiled(_header(message, sender=sender, receiver=receiver, focus=encounter)))
    entries.add(profiled(_patient(patient, message)))
    entries.add(profiled(_encounter(encounter_id, message, content, patient, sender.reference)))
    for organisation in (sender, receiver):
        entries.add(profiled(organisation.resource))
        entries.known_organisation(organisation.sor, organisation.reference)
    if content is not None:
        add_content(entries, content, patient=patient, encounter=encounter)
    entries.add(profiled(_provenance(entries, message, sender.reference)))

    bundle: Json = {"resourceType": "Bundle", "id": message.bundle_id}
    bundle = profiled(bundle)
    bundle |= {
        "type": "message",
        "timestamp": fhir_time(message.timestamp),
        "entry": entries.bundle_entries(),
    }
    return bundle


def _profiler(notification: bool) -> Callable[[Json], Json]:
    def profiled(resource: Json) -> Json:
        profile = _PROFILES.get(resource["resourceType"]) if notification else None
        if profile is None:
            return resource
        head = {k: resource[k] for k in ("resourceType", "id")}
        return head | {"meta": {"profile": [profile]}} | resource

    return profiled


@dataclass(frozen=True)
class _Party:
    """The sender or receiver: its Organization entry and what the header says of it."""

    resource: Json
    sor: str
    label: str  # its name, or its SOR code when it has none

    @property
    def reference(self) -> Json:
        return {"reference": f"Organization/{self.resource['id']}"}


def _organisation(
    entries: BundleEntries, organisation: OrganisationRef, name: str | None, role: str
) -> _Party:
    if not organisation.sor:
        raise ValueError(f"the {role} needs a SOR code: MedCom addresses by SOR")
    identifiers = [{"system": codes.SOR_SYSTEM, "value": organisation.sor}]
    if organisation.gln:
        identifiers.append({"system": codes.GLN_SYSTEM, "value": organisation.gln})
    resource: Json = {
        "resourceType": "Organization",
        "id": entries.id_for(f"Organization/{role}"),
        "identifier": identifiers,
    }
    name = name if name is not None else organisation.name
    if name is not None:
        resource["name"] = name
    return _Party(resource=resource, sor=organisation.sor, label=name or organisation.sor)


def _header(message: InboundMessage, *, sender: _Party, receiver: _Party, focus: Json) -> Json:
    if message.kind is MessageKind.HOSPITAL_NOTIFICATION:
        event = {"system": codes.MEDCOM_EVENT_SYSTEM, "code": codes.HOSPITAL_NOTIFICATION_EVENT}
    else:
        event = {"system": codes.OVERGANG_EVENT_SYSTEM, "code": message.kind.value}
    destination_endpoint = codes.SOR_ENDPOINT_PREFIX + receiver.sor
    source_endpoint = codes.SOR_ENDPOINT_PREFIX + sender.sor
    rows = (
        ("Event", event["code"]),
        ("Receiver", f"{receiver.label} ({destination_endpoint})"),
        ("Sender", f"{sender.label} ({source_endpoint})"),
    )
    cells = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in rows)
    return {
        "resourceType": "MessageHeader",
        "id": message.header_id,
        # MedCom's MessageHeader profiles require a narrative.
        "text": {
            "status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><table>{cells}</table></div>',
        },
        "eventCoding": event,
        "destination": [
            {
                "extension": [
                    {
                        "url": codes.MEDCOM_DESTINATION_USE_EXTENSION,
                        "valueCoding": {
                            "system": codes.MEDCOM_DESTINATION_USE_SYSTEM,
                            "code": "primary",
                        },
                    }
                ],
                "endpoint": destination_endpoint,
                "receiver": receiver.reference,
            }
        ],
        "sender": sender.reference,
        "source": {"endpoint": source_endpoint},
        "focus": [focus],
    }


def _patient(reference: Json, message: InboundMessage) -> Json:
    # The plain-JSON form carries no name, so none is written (MedCom's profile wants one).
    patient: Json = {
        "resourceType": "Patient",
        "id": reference["reference"].removeprefix("Patient/"),
        "identifier": [{"system": codes.CPR_SYSTEM, "value": message.cpr}],
    }
    if message.deceased:
        patient["deceasedBoolean"] = True
    return patient


def _encounter(
    encounter_id: str,
    message: InboundMessage,
    content: DischargeContent | None,
    patient: Json,
    service_provider: Json,
) -> Json:
    facts = message.encounter
    extensions: list[Json] = []
    if facts.leave_start is not None or facts.leave_end is not None:
        leave = {"start": facts.leave_start, "end": facts.leave_end}
        leave_period = {k: fhir_time(v) for k, v in leave.items() if v is not None}
        extensions.append({"url": codes.MEDCOM_LEAVE_PERIOD_EXTENSION, "valuePeriod": leave_period})
    hospitalization = None
    end = facts.period_end
    if content is not None:
        content_extensions, hospitalization = encounter_elements(content)
        extensions += content_extensions
        # Both facts are read from Encounter.period.end; one element cannot hold two times.
        if end is not None and content.discharge_at is not None and end != content.discharge_at:
            raise ValueError("the discharge time differs from the Encounter's period end")
        end = end or content.discharge_at
    encounter: Json = {"resourceType": "Encounter", "id": encounter_id}
    if extensions:
        encounter["extension"] = extensions
    encounter |= {
        "status": facts.status,
        "class": {"system": ACT_CODE_SYSTEM, "code": facts.encounter_class},
        "subject": patient,
        "episodeOfCare": [
            {"identifier": {"system": key.system, "value": key.value}} for key in facts.episode_keys
        ],
    }
    period = {"start": facts.period_start, "end": end}
    if any(v is not None for v in period.values()):
        encounter["period"] = {k: fhir_time(v) for k, v in period.items() if v is not None}
    if hospitalization is not None:
        encounter["hospitalization"] = hospitalization
    encounter["serviceProvider"] = service_provider
    return encounter


def _provenance(entries: BundleEntries, message: InboundMessage, sender: Json) -> Json:
    step = message.provenance
    system = (
        codes.MEDCOM_ACTIVITY_SYSTEM
        if message.kind is MessageKind.HOSPITAL_NOTIFICATION
        else codes.OVERGANG_EVENT_SYSTEM
    )
    provenance: Json = {
        "resourceType": "Provenance",
        "id": entries.id_for("Provenance"),
        "target": [{"reference": f"MessageHeader/{message.header_id}"}],
        # occurred[x] is required by MedCom; without a time of its own the message's time stands.
        "occurredDateTime": fhir_time(step.occurred_at or message.timestamp),
        "recorded": fhir_time(message.timestamp),
        "activity": {"coding": [{"system": system, "code": step.activity}]},
        "agent": [{"who": sender}],
    }
    if step.follows_header_id is not None:
        # entity.role is required; a follow-up without one is a revision (brief §4).
        what = {"reference": f"MessageHeader/{step.follows_header_id}"}
        provenance["entity"] = [{"role": step.role or "revision", "what": what}]
    return provenance
