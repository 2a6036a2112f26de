"""The audit trail of reads of personal data."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from overgang.storage.models import AuditEvent


def record_read(
    *,
    session: Session,
    at: datetime,
    client_id: uuid.UUID | None,
    organisation_id: uuid.UUID | None,
    action: str,
    resource_type: str,
    resource_id: str | None,
    episode_ids: list[str],
    request_id: str | None,
) -> None:
    session.add(
        AuditEvent(
            at=at,
            api_client_id=client_id,
            organisation_id=organisation_id,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            episode_ids=episode_ids,
            request_id=request_id,
        )
    )


def list_audit_events(*, session: Session, since: datetime, limit: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.at >= since).order_by(AuditEvent.at).limit(limit)
        )
    )
