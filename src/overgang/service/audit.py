"""Audit of every read of personal data: who (client and organisation), what, when."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from overgang.service.caller import Caller
from overgang.storage import audit as audit_store


@dataclass(frozen=True)
class AuditContext:
    at: datetime
    request_id: str | None


def audit_read(
    *,
    session: Session,
    caller: Caller,
    audit: AuditContext,
    action: str,
    resource_type: str,
    resource_id: str | None,
    episode_ids: list[uuid.UUID],
) -> None:
    """Write the audit row in the same transaction as the read, so no read goes unrecorded."""
    audit_store.record_read(
        session=session,
        at=audit.at,
        client_id=caller.client_id,
        organisation_id=caller.organisation_id,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        episode_ids=sorted({str(episode_id) for episode_id in episode_ids}),
        request_id=audit.request_id,
    )
