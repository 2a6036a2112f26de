"""MedCom Acknowledgement messages (Acknowledgement IG 2.0.3), built as plain JSON-ready dicts.

Built from dicts rather than `fhir.resources` models: serialising through the models is slow and
changes what it serialises (style.md). The shape follows MedCom's published examples: absolute
`fullUrl`s with relative references, the acknowledged message's new Provenance copied unchanged,
and a new Provenance with activity `acknowledgement` pointing back to the acknowledged header.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any, Final, Literal
from uuid import uuid4

from overgang.domain.issues import MEDCOM_ERROR_SYSTEM, Issue
from overgang.fhir import codes

__all__ = [
    "MEDCOM_ERROR_CODES",
    "AcknowledgedMessage",
    "Responder",
    "ResponseCode",
    "build_acknowledgement",
    "build_operation_outcome",
]

Json = dict[str, Any]
ResponseCode = Literal["ok", "transient-error", "fatal-error"]


_ACK_IG: Final = "http://medcomfhir.dk/ig/acknowledgement/StructureDefinition/"
_MESSAGING_IG: Final = "http://medcomfhir.dk/ig/messaging/StructureDefinition/"
BUNDLE_PROFILE: Final = _ACK_IG + "medcom-messaging-acknowledgement"
HEADER_PROFILE: Final = _ACK_IG + "medcom-messaging-acknowledgementHeader"
OPERATION_OUTCOME_PROFILE: Final = _ACK_IG + "medcom-acknowledgement-operationoutcome"
PROVENANCE_PROFILE: Final = _MESSAGING_IG + "medcom-messaging-provenance"
ORGANIZATION_PROFILE: Final = _MESSAGING_IG + "medcom-messaging-organization"

# CodeSystem medcom-acknowledgement-error-codes (MedCom terminology 1.8.1). The spelling is
# MedCom's own, typos included; the CodeSystem is case-insensitive but we send it as published.
MSG_RECEIVER_IDENTIFIER_UNKNOWN: Final = "MSG_Receiver_Identifier_UNKNOWN"
MSG_RECEIVER_IDENTIFIER_MISSING: Final = "MSG_Receiver_Identifier_MISSING"
MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE: Final = "MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE"
MSG_VALUESET_VALUE_UNKNOWN: Final = "MSG_VALUESET_VALUE_UNKNOWN"
MSG_CODESYSTEM_VALUE_UNKNOWN: Final = "MSG_CodeSystem_VALUE_UNKNOWN"
MSG_ELEMENT_TOO_LONG: Final = "MSG_Element_To_Long"
MSG_DATATYPE_WRONG: Final = "MSG_Datatype_Wrong"
MSG_MAILBOX_OUT_OF_OPERATION: Final = "MSG_Mailbox_Out_Of_Operation"
MSG_DAMAGED_DURING_TRANSPORT: Final = "MSG_Damaged_durin_transport"

MEDCOM_ERROR_CODES: Final[dict[str, str]] = {
    MSG_RECEIVER_IDENTIFIER_UNKNOWN: "Receiver identifier unknown",
    MSG_RECEIVER_IDENTIFIER_MISSING: "Receiver identifier missing",
    MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE: "Receiver unable to receive this message type",
    MSG_VALUESET_VALUE_UNKNOWN: "The value provided is not in the valueSet",
    MSG_CODESYSTEM_VALUE_UNKNOWN: "The value provided is not in the CodeSystem",
    MSG_ELEMENT_TOO_LONG: "The value of the element is too long",
    MSG_DATATYPE_WRONG: "The data type is wrong",
    MSG_MAILBOX_OUT_OF_OPERATION: "The mailbox is temporarily out of operation",
    MSG_DAMAGED_DURING_TRANSPORT: "The message has been damaged during transport",
}


@dataclass(frozen=True)
class AcknowledgedMessage:
    """What an acknowledgement needs from the message it answers, taken from that message."""

    header_id: str
    sender_organization: Json  # the received sender Organization resource, as received
    source_endpoint: str  # MessageHeader.source.endpoint of the received message
    new_provenance: Json | None  # the received message's own (new) Provenance, as received


@dataclass(frozen=True)
class Responder:
    """Overgang itself, as the sender of the acknowledgement."""

    sor: str
    gln: str | None
    name: str
    endpoint: str


def _new_uuid() -> str:
    return str(uuid4())


def build_acknowledgement(
    *,
    acknowledged: AcknowledgedMessage,
    responder: Responder,
    response_code: ResponseCode,
    issues: Sequence[Issue],
    now: datetime,
    new_id: Callable[[], str] = _new_uuid,
) -> Json:
    """Build a MedCom Acknowledgement message Bundle answering `acknowledged`."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware: MedCom requires a timezone on every time")
    if response_code != "ok" and not issues:
        raise ValueError(f"a {response_code} acknowledgement needs at least one issue")
    # A taken message may still fail a required checklist item: a business-rule error that
    # flags the gap without refusing the message (a discharge is never refused).
    if response_code == "ok" and any(
        issue.is_blocking and issue.code != "business-rule" for issue in issues
    ):
        raise ValueError("an ok acknowledgement cannot carry error or fatal issues")
    receiver_id = acknowledged.sender_organization.get("id")
    if not isinstance(receiver_id, str) or not receiver_id:
        raise ValueError("the acknowledged sender Organization has no id to refer to")

    timestamp = now.isoformat()
    bundle_id, header_id, provenance_id, own_org_id = new_id(), new_id(), new_id(), new_id()

    # Warnings go along with an ok too: they tell the sender what to fix before it becomes an error.
    outcome: Json | None = None
    if issues:
        outcome = {
            **build_operation_outcome(issues, id=new_id()),
            "meta": {"profile": [OPERATION_OUTCOME_PROFILE]},
        }

    header = _message_header(
        header_id=header_id,
        acknowledged=acknowledged,
        receiver_id=receiver_id,
        own_org_id=own_org_id,
        responder=responder,
        response_code=response_code,
        outcome_id=outcome["id"] if outcome else None,
    )
    new_provenance: Json = {
        "resourceType": "Provenance",
        "id": provenance_id,
        "meta": {"profile": [PROVENANCE_PROFILE]},
        "target": [{"reference": f"MessageHeader/{header_id}"}],
        "occurredDateTime": timestamp,
        "recorded": timestamp,
        "activity": {
            "coding": [{"system": codes.MEDCOM_ACTIVITY_SYSTEM, "code": "acknowledgement"}]
        },
        # The agent is whoever performs the activity (MedComMessagingProvenance.agent.who), i.e.
        # Overgang; MedCom's examples point at the other party, which we do not copy.
        "agent": [{"who": {"reference": f"Organization/{own_org_id}"}}],
        "entity": [
            {"role": "revision", "what": {"reference": f"MessageHeader/{acknowledged.header_id}"}}
        ],
    }

    # Deep copies: the received resources stay as received, and later edits of either side
    # cannot leak into the other.
    resources: list[Json] = [header]
    if acknowledged.new_provenance is not None:
        resources.append(copy.deepcopy(acknowledged.new_provenance))
    resources += [
        new_provenance,
        _own_organization(responder=responder, id=own_org_id),
        copy.deepcopy(acknowledged.sender_organization),
    ]
    if outcome is not None:
        resources.append(outcome)

    return {
        "resourceType": "Bundle",
        "id": bundle_id,
        "meta": {"profile": [BUNDLE_PROFILE]},
        "type": "message",
        "timestamp": timestamp,
        "entry": [{"fullUrl": _full_url(resource), "resource": resource} for resource in resources],
    }


def build_operation_outcome(issues: Sequence[Issue], *, id: str | None = None) -> Json:
    """Build a plain OperationOutcome from issues; no issues gives one `information` issue."""
    outcome: Json = {"resourceType": "OperationOutcome"}
    if id is not None:
        outcome["id"] = id
    # FHIR requires at least one issue, so "nothing wrong" has to be said as an issue too.
    outcome["issue"] = [_outcome_issue(issue) for issue in issues] or [
        {"severity": "information", "code": "informational", "diagnostics": "All OK"}
    ]
    return outcome


def _outcome_issue(issue: Issue) -> Json:
    # Issue.severity already uses FHIR's issue-severity codes, so it maps one to one.
    result: Json = {"severity": issue.severity, "code": issue.code}
    if issue.details_code:
        coding: Json = {"code": issue.details_code}
        if issue.details_system:
            coding = {"system": issue.details_system, **coding}
        if issue.details_system == MEDCOM_ERROR_SYSTEM and issue.details_code in MEDCOM_ERROR_CODES:
            coding["display"] = MEDCOM_ERROR_CODES[issue.details_code]
        result["details"] = {"coding": [coding]}
    if issue.diagnostics:
        result["diagnostics"] = issue.diagnostics
    if issue.expression:
        result["expression"] = [issue.expression]
    return result


def _message_header(
    *,
    header_id: str,
    acknowledged: AcknowledgedMessage,
    receiver_id: str,
    own_org_id: str,
    responder: Responder,
    response_code: ResponseCode,
    outcome_id: str | None,
) -> Json:
    response: Json = {"identifier": acknowledged.header_id, "code": response_code}
    if outcome_id is not None:
        response["details"] = {"reference": f"OperationOutcome/{outcome_id}"}
    receiver_name = acknowledged.sender_organization.get("name")
    return {
        "resourceType": "MessageHeader",
        "id": header_id,
        "meta": {"profile": [HEADER_PROFILE]},
        # MedComMessagingMessageHeader: the narrative shall always be included.
        "text": _narrative(
            f"Acknowledgement {header_id}",
            [
                ("Event", "acknowledgement-message"),
                ("Destination", acknowledged.source_endpoint),
                ("Receiver", receiver_name if isinstance(receiver_name, str) else receiver_id),
                ("Sender", responder.name),
                ("Source", responder.endpoint),
                ("Acknowledges", acknowledged.header_id),
                ("Response", response_code),
            ],
        ),
        "eventCoding": {"system": codes.MEDCOM_EVENT_SYSTEM, "code": "acknowledgement-message"},
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
                # Replies go to where the message came from, not to the sender's SOR as such.
                "endpoint": acknowledged.source_endpoint,
                "receiver": {"reference": f"Organization/{receiver_id}"},
            }
        ],
        "sender": {"reference": f"Organization/{own_org_id}"},
        "source": {"endpoint": responder.endpoint},
        "response": response,
    }


def _own_organization(*, responder: Responder, id: str) -> Json:
    identifiers: list[Json] = []
    if responder.gln:
        identifiers.append({"system": codes.GLN_SYSTEM, "value": responder.gln})
    identifiers.append({"system": codes.SOR_SYSTEM, "value": responder.sor})
    rows = [("SOR", responder.sor), ("GLN", responder.gln or "-"), ("Name", responder.name)]
    return {
        "resourceType": "Organization",
        "id": id,
        "meta": {"profile": [ORGANIZATION_PROFILE]},
        "text": _narrative(responder.name, rows),
        "identifier": identifiers,
        "name": responder.name,
    }


def _narrative(title: str, rows: Sequence[tuple[str, str]]) -> Json:
    cells = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in rows)
    div = (
        '<div xmlns="http://www.w3.org/1999/xhtml">'
        f"<p><b>{escape(title)}</b></p><table>{cells}</table></div>"
    )
    return {"status": "generated", "div": div}


def _full_url(resource: Json) -> str:
    resource_id = resource.get("id")
    if isinstance(resource_id, str) and resource_id:
        return f"{codes.OVERGANG_BASE}/{resource['resourceType']}/{resource_id}"
    # A copied Provenance without an id cannot be referred to anyway; it still needs a fullUrl.
    return f"urn:uuid:{uuid4()}"
