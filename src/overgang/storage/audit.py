"""The audit trail of accesses to personal data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from overgang.storage.models import ApiClient, AuditEvent, Organisation, Person
from overgang.storage.rows import insert_values


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    client_name: str | None
    sor: str | None
    municipality_code: str | None


def record_access(
    *,
    session: Session,
    at: datetime,
    client_id: uuid.UUID | None,
    organisation_id: uuid.UUID | None,
    client_address: str | None,
    action: str,
    resource_type: str,
    resource_id: str | None,
    episode_ids: list[str],
    request_id: str | None,
    outcome: str,
    person_id: uuid.UUID | None = None,
) -> None:
    # One on every access, never changed after: no object made of it.
    insert_values(
        session,
        AuditEvent,
        {
            "id": uuid.uuid4(),
            "at": at,
            "api_client_id": client_id,
            "person_id": person_id,
            "organisation_id": organisation_id,
            "client_address": client_address,
            "action": action,
            "resource_type": resource_type,
            "resource_id": resource_id,
            "episode_ids": episode_ids,
            "request_id": request_id,
            "outcome": outcome,
        },
    )


def list_audit_events(*, session: Session, since: datetime, limit: int) -> list[AuditRow]:
    """Audit rows with their client's name and organisation's SOR and municipality code."""
    rows = session.execute(
        select(
            AuditEvent,
            # A person on the board is named by their e-mail address.
            func.coalesce(ApiClient.name, Person.email),
            Organisation.sor,
            Organisation.municipality_code,
        )
        .outerjoin(ApiClient, ApiClient.id == AuditEvent.api_client_id)
        .outerjoin(Person, Person.id == AuditEvent.person_id)
        .outerjoin(Organisation, Organisation.id == AuditEvent.organisation_id)
        .where(AuditEvent.at >= since)
        .order_by(AuditEvent.at)
        .limit(limit)
    ).all()
    return [
        AuditRow(event=event, client_name=name, sor=sor, municipality_code=code)
        for event, name, sor, code in rows
    ]
