"""Queries about partner organisations and their API clients."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from overgang.storage.models import ApiClient, Organisation


def find_organisation_by_sor(*, session: Session, sor: str) -> Organisation | None:
    return session.scalars(select(Organisation).where(Organisation.sor == sor)).one_or_none()


def find_organisation_by_gln(*, session: Session, gln: str) -> Organisation | None:
    return session.scalars(select(Organisation).where(Organisation.gln == gln)).one_or_none()


def find_municipality(*, session: Session, code: str) -> Organisation | None:
    return session.scalars(
        select(Organisation).where(Organisation.municipality_code == code)
    ).one_or_none()


def find_client_by_token_hash(
    *, session: Session, token_hash: str
) -> tuple[ApiClient, Organisation] | None:
    row = session.execute(
        select(ApiClient, Organisation)
        .join(Organisation, Organisation.id == ApiClient.organisation_id)
        .where(ApiClient.token_hash == token_hash, ApiClient.revoked_at.is_(None))
    ).one_or_none()
    return (row[0], row[1]) if row else None


def next_inbox_sequence(*, session: Session, municipality_id: uuid.UUID) -> int:
    """Hand out the municipality's next inbox number.

    The UPDATE takes a row lock that is held to commit, so concurrent writers get consecutive
    numbers in commit order and a rolled-back transaction leaves no gap.
    """
    return session.execute(
        update(Organisation)
        .where(Organisation.id == municipality_id)
        .values(inbox_sequence=Organisation.inbox_sequence + 1)
        .returning(Organisation.inbox_sequence)
    ).scalar_one()
