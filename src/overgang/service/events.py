"""Events in the plain JSON form: the same use case as a FHIR message, reached without FHIR."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import orjson
from sqlalchemy.orm import Session, sessionmaker

from overgang.checklist import ChecklistCatalog
from overgang.domain.messages import InboundMessage, OrganisationRef
from overgang.errors import Unprocessable
from overgang.fhir.build import build_message_bundle
from overgang.service.audit import AuditContext
from overgang.service.caller import Caller
from overgang.service.intake import RawMessage, Receipt, take_message
from overgang.storage import partners
from overgang.storage.models import Organisation


def receive_event(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    message: InboundMessage,
    body: bytes,
    max_future_skew: timedelta,
    checklists: ChecklistCatalog,
    audit: AuditContext,
    now: datetime,
) -> Receipt:
    """Take one JSON event; the municipality gets it as a MedCom-shaped FHIR message."""
    caller.require_hospital()
    if message.timestamp > now + max_future_skew:
        raise Unprocessable(
            f"timestamp is more than {int(max_future_skew.total_seconds())} s in the future"
        )

    def raw(session: Session) -> RawMessage:
        sender = session.get_one(Organisation, caller.organisation_id)
        receiver = partners.find_organisation_by_sor(
            session=session, sor=message.receiver.sor or ""
        )
        # The sender is the calling hospital, as the registry knows it (a FHIR sender names itself).
        full = replace(
            message, sender=OrganisationRef(sor=sender.sor, gln=sender.gln, name=sender.name)
        )
        outbound = build_message_bundle(
            full, sender_name=sender.name, receiver_name=receiver.name if receiver else None
        )
        return RawMessage(
            body=body, content_type="application/json", outbound_json=orjson.dumps(outbound)
        )

    return take_message(
        sessions=sessions,
        caller=caller,
        message=message,
        raw=raw,
        checklists=checklists,
        audit=audit,
        channel="events",
        now=now,
    )
