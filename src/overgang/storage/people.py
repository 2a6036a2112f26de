"""Queries about people on the board and their sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from overgang.storage.models import Organisation, Person, PersonSession


def find_person_by_email(*, session: Session, email: str) -> Person | None:
    return session.scalars(select(Person).where(Person.email == email).with_for_update()).first()


def find_person_by_sso(*, session: Session, issuer: str, subject: str) -> Person | None:
    return session.scalars(
        select(Person)
        .where(Person.sso_issuer == issuer, Person.sso_subject == subject)
        .with_for_update()
    ).first()


def list_people(*, session: Session) -> list[tuple[Person, Organisation | None]]:
    """Every person with their organisation (none for a region's), by e-mail."""
    rows = session.execute(
        select(Person, Organisation)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .order_by(Person.email)
    )
    return [(person, organisation) for person, organisation in rows]


def find_session(
    *, session: Session, token_hash: str, now: datetime
) -> tuple[PersonSession, Person, Organisation | None] | None:
    """A live session by its token's hash, with its person and their organisation."""
    row = session.execute(
        select(PersonSession, Person, Organisation)
        .join(Person, Person.id == PersonSession.person_id)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .where(
            PersonSession.token_hash == token_hash,
            PersonSession.expires_at > now,
            Person.disabled_at.is_(None),
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def delete_session(*, session: Session, token_hash: str) -> None:
    session.execute(delete(PersonSession).where(PersonSession.token_hash == token_hash))


def delete_sessions_of(
    *, session: Session, person_id: uuid.UUID, except_id: uuid.UUID | None = None
) -> None:
    """End a person's sessions, all but `except_id`."""
    query = delete(PersonSession).where(PersonSession.person_id == person_id)
    if except_id is not None:
        query = query.where(PersonSession.id != except_id)
    session.execute(query)


def delete_expired_sessions(*, session: Session, now: datetime) -> None:
    session.execute(delete(PersonSession).where(PersonSession.expires_at <= now))
