"""Queries about API clients' credentials: SMART clients, used assertion ids, signing keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from overgang.storage.models import ApiClient, Organisation, SigningKey, UsedClientAssertion


def find_client(*, session: Session, client_id: uuid.UUID) -> tuple[ApiClient, Organisation] | None:
    row = session.execute(
        select(ApiClient, Organisation)
        .join(Organisation, Organisation.id == ApiClient.organisation_id)
        .where(ApiClient.id == client_id)
    ).one_or_none()
    return (row[0], row[1]) if row else None


def find_client_by_previous_token_hash(
    *, session: Session, token_hash: str
) -> tuple[ApiClient, Organisation] | None:
    row = session.execute(
        select(ApiClient, Organisation)
        .join(Organisation, Organisation.id == ApiClient.organisation_id)
        .where(ApiClient.previous_token_hash == token_hash, ApiClient.revoked_at.is_(None))
    ).one_or_none()
    return (row[0], row[1]) if row else None


def list_clients(*, session: Session) -> list[tuple[ApiClient, Organisation]]:
    rows = session.execute(
        select(ApiClient, Organisation)
        .join(Organisation, Organisation.id == ApiClient.organisation_id)
        .order_by(Organisation.sor, ApiClient.created_at)
    ).all()
    return [(row[0], row[1]) for row in rows]


def list_organisations(*, session: Session) -> list[tuple[Organisation, int]]:
    """Every organisation with its number of clients that are not revoked."""
    active = (
        select(func.count(ApiClient.id))
        .where(ApiClient.organisation_id == Organisation.id, ApiClient.revoked_at.is_(None))
        .scalar_subquery()
    )
    rows = session.execute(
        select(Organisation, active).order_by(Organisation.kind, Organisation.sor)
    )
    return [(row[0], int(row[1])) for row in rows]


def record_assertion(
    *, session: Session, client_id: uuid.UUID, jti: str, expires_at: datetime
) -> None:
    """Keep a used `jti`; raises IntegrityError when the client used it before."""
    session.add(UsedClientAssertion(client_id=client_id, jti=jti, expires_at=expires_at))
    session.flush()


def prune_assertions(*, session: Session, now: datetime) -> None:
    """Forget assertions that expired: they are refused by their `exp` anyway."""
    session.execute(delete(UsedClientAssertion).where(UsedClientAssertion.expires_at < now))


def signing_keys(*, session: Session) -> list[SigningKey]:
    return list(session.scalars(select(SigningKey).order_by(SigningKey.kid)))


def add_signing_key(*, session: Session, key: SigningKey) -> None:
    session.add(key)
    session.flush()
