"""Overgang's CapabilityStatement (`GET /fhir/metadata`): what it takes and answers, as FHIR
describes a server (https://hl7.org/fhir/R4/capabilitystatement.html). Built from dicts: it
names the message events of profile §1 and the formats of `/fhir/$process-message`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from overgang.fhir import codes

MEDCOM_IG = "http://medcomfhir.dk/ig"
# What a hospital sends (profile §1) and what a municipality answers with, by event system.
ACCEPTED_EVENTS: tuple[tuple[str, str, str], ...] = (
    (
        codes.MEDCOM_EVENT_SYSTEM,
        codes.HOSPITAL_NOTIFICATION_EVENT,
        f"{MEDCOM_IG}/hospitalnotification/StructureDefinition/medcom-hospitalNotification-message",
    ),
    (
        codes.OVERGANG_EVENT_SYSTEM,
        "discharge-plan",
        f"{codes.OVERGANG_BASE}/StructureDefinition/discharge-plan",
    ),
    (
        codes.OVERGANG_EVENT_SYSTEM,
        "discharge-handover",
        f"{codes.OVERGANG_BASE}/StructureDefinition/discharge-handover",
    ),
    (
        codes.MEDCOM_EVENT_SYSTEM,
        codes.ACKNOWLEDGEMENT_EVENT,
        f"{MEDCOM_IG}/messaging/StructureDefinition/medcom-messaging-acknowledgement",
    ),
)


def capability_statement(*, base_url: str, software_version: str, date: datetime) -> dict[str, Any]:
    """The server's CapabilityStatement, for `base_url` (Overgang's public address)."""
    return {
        "resourceType": "CapabilityStatement",
        "url": f"{codes.OVERGANG_BASE}/CapabilityStatement/overgang",
        "name": "Overgang",
        "title": "Overgang: psychiatric admissions and discharges between region and municipality",
        "status": "active",
        "date": date.date().isoformat(),
        "publisher": "Overgang",
        "kind": "instance",
        "software": {"name": "Overgang", "version": software_version},
        "implementation": {
            "description": "FHIR messaging endpoint of Overgang",
            "url": f"{base_url.rstrip('/')}/fhir",
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "application/fhir+xml"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Every call but this one needs Authorization: Bearer <token>.",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "OAuth",
                                }
                            ],
                            "text": "Bearer token per API client",
                        }
                    ]
                },
                "operation": [
                    {
                        "name": "process-message",
                        "definition": "http://hl7.org/fhir/OperationDefinition/MessageHeader-process-message",
                        "documentation": "Take one FHIR message Bundle; answer with a MedCom "
                        "Acknowledgement (synchronous).",
                    }
                ],
            }
        ],
        "messaging": [
            {
                "documentation": "Accepted events (MessageHeader.eventCoding): "
                + ", ".join(f"{system}#{code}" for system, code, _ in ACCEPTED_EVENTS),
                "supportedMessage": [
                    {"mode": "receiver", "definition": definition}
                    for _, _, definition in ACCEPTED_EVENTS
                ],
            }
        ],
    }
