"""`$process-message`: read a FHIR message, take it, and answer with a MedCom Acknowledgement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import orjson
from sqlalchemy.orm import Session, sessionmaker

from overgang.checklist import ChecklistCatalog
from overgang.config import Settings
from overgang.domain.issues import Issue, medcom_issue
from overgang.domain.limits import id_problem
from overgang.errors import OvergangError, Unprocessable
from overgang.fhir.acknowledgement import (
    MSG_RECEIVER_IDENTIFIER_UNKNOWN,
    AcknowledgedMessage,
    Responder,
    ResponseCode,
    build_acknowledgement,
    build_operation_outcome,
)
from overgang.fhir.decode import MessageRejected, decode_body
from overgang.fhir.read import read_message
from overgang.fhir.read_ack import InboundAcknowledgement, is_acknowledgement, read_acknowledgement
from overgang.service.audit import AuditContext, record_refusal
from overgang.service.caller import Caller
from overgang.service.inbox import acknowledge_by_header
from overgang.service.intake import RawMessage, Receipt, take_message


@dataclass(frozen=True)
class ProcessOutcome:
    """The HTTP answer: a status and a FHIR resource (an Acknowledgement or an OperationOutcome)."""

    status: int
    resource: dict[str, Any]
    receipt: Receipt | None = None
    kind: str | None = None


def process_message(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    body: bytes,
    content_type: str,
    settings: Settings,
    checklists: ChecklistCatalog,
    audit: AuditContext,
    now: datetime,
) -> ProcessOutcome:
    responder = Responder(
        sor=settings.sor,
        gln=settings.gln,
        name=settings.name,
        endpoint=f"{settings.public_base_url}/fhir",
    )
    try:
        document = decode_body(body, content_type, max_depth=settings.max_json_depth)
        if is_acknowledgement(document):
            return _take_acknowledgement(
                sessions=sessions,
                caller=caller,
                acknowledgement=read_acknowledgement(document),
                audit=audit,
                now=now,
            )
        read = read_message(
            document, now=now, max_future_skew=timedelta(seconds=settings.max_future_skew_seconds)
        )
    except MessageRejected as rejected:
        # Nothing of it is stored, but a message that may name a citizen was refused: audited.
        record_refusal(
            sessions=sessions,
            caller=caller,
            audit=audit,
            action="intake.fhir",
            resource_type="message",
            resource_id=_header_id_worth_keeping(rejected.envelope),
            error=Unprocessable("the message was refused as malformed or invalid"),
        )
        return _refusal(rejected.status, rejected.issues, rejected.envelope, responder, now)
    raw = RawMessage(
        body=body,
        content_type=content_type.split(";", maxsplit=1)[0].strip() or "application/fhir+json",
        # A routed message keeps the sender's exact JSON; XML is passed on in its JSON form.
        outbound_json=body if _is_json(content_type) else orjson.dumps(document),
    )
    try:
        receipt = take_message(
            sessions=sessions,
            caller=caller,
            message=read.message,
            raw=lambda _: raw,
            checklists=checklists,
            audit=audit,
            channel="fhir",
            now=now,
        )
    except OvergangError as error:
        return _refusal(error.status, [_issue_for(error)], read.envelope, responder, now)
    acknowledgement = build_acknowledgement(
        acknowledged=read.envelope,
        responder=responder,
        response_code=cast(ResponseCode, receipt.response_code),
        issues=receipt.issues,
        now=now,
    )
    return ProcessOutcome(
        status=200, resource=acknowledgement, receipt=receipt, kind=read.message.kind.value
    )


# Where, in a message Bundle, the subject of a service-level refusal sits (and its MedCom code).
ELEMENT_OF_SUBJECT = {
    "sender": ("Bundle.entry[0].resource.sender", None),
    "receiver": (
        "Bundle.entry[0].resource.destination[0].receiver",
        MSG_RECEIVER_IDENTIFIER_UNKNOWN,
    ),
    "bundle-id": ("Bundle.id", None),
    "episode-identifier": ("Encounter.episodeOfCare.identifier", None),
}


def _issue_for(error: OvergangError) -> Issue:
    expression, medcom_code = ELEMENT_OF_SUBJECT.get(error.subject or "", (None, None))
    return medcom_issue(
        error.issue_code, error.detail, expression=expression, medcom_code=medcom_code
    )


def _take_acknowledgement(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    acknowledgement: InboundAcknowledgement,
    audit: AuditContext,
    now: datetime,
) -> ProcessOutcome:
    """Record a municipality's answer. An acknowledgement is never itself acknowledged (MedCom)."""
    try:
        status = acknowledge_by_header(
            sessions=sessions,
            caller=caller,
            header_id=acknowledgement.acknowledged_header_id,
            code=acknowledgement.code,
            reason=acknowledgement.reason,
            audit=audit,
            now=now,
        ).status
    except OvergangError as error:
        return ProcessOutcome(
            status=error.status,
            resource=build_operation_outcome([medcom_issue(error.issue_code, error.detail)]),
        )
    note = Issue(
        severity="information",
        code="informational",
        diagnostics=f"acknowledgement recorded; the inbox message is {status}",
    )
    return ProcessOutcome(
        status=200, resource=build_operation_outcome([note]), kind="acknowledgement"
    )


def _refusal(
    status: int,
    issues: list[Issue],
    envelope: AcknowledgedMessage | None,
    responder: Responder,
    now: datetime,
) -> ProcessOutcome:
    if envelope is None:
        return ProcessOutcome(status=status, resource=build_operation_outcome(issues))
    code: ResponseCode = "transient-error" if status >= 500 else "fatal-error"
    return ProcessOutcome(
        status=status,
        resource=build_acknowledgement(
            acknowledged=envelope, responder=responder, response_code=code, issues=issues, now=now
        ),
    )


def _header_id_worth_keeping(envelope: AcknowledgedMessage | None) -> str | None:
    """A refused message's MessageHeader.id for the audit row, only if it is a valid FHIR id
    (it may be the very thing that was refused: too long, or with NUL characters)."""
    if envelope is None or id_problem(envelope.header_id) is not None:
        return None
    return envelope.header_id


def _is_json(content_type: str) -> bool:
    return "json" in content_type or content_type.strip() == ""
