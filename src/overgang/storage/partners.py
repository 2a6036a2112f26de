"""Queries about partner organisations and their API clients."""

from __future__ import annotations

import uuid
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from overgang.storage.models import ApiClient, Organisation

# Queries run on every message or request are built once: building a statement costs more CPU
# than running it from SQLAlchemy's compiled cache. (Not the UPDATE below: with a bound
# parameter it could no longer bring the session's Organisation up to date.)
_BY_SOR = select(Organisation).where(Organisation.sor == bindparam("sor"))
_CLIENT_BY_TOKEN_HASH = (
    select(ApiClient, Organisation)
    .join(Organisation, Organisation.id == ApiClient.organisation_id)
    .where(ApiClient.token_hash == bindparam("token_hash"), ApiClient.revoked_at.is_(None))
)


def find_organisation_by_sor(*, session: Session, sor: str) -> Organisation | None:
    return session.scalars(_BY_SOR, {"sor": sor}).one_or_none()


def find_organisation_by_gln(*, session: Session, gln: str) -> Organisation | None:
    return session.scalars(select(Organisation).where(Organisation.gln == gln)).one_or_none()


def find_municipality(*, session: Session, code: str) -> Organisation | None:
    return session.scalars(
        select(Organisation).where(Organisation.municipality_code == code)
    ).one_or_none()


def find_client_by_token_hash(
    *, session: Session, token_hash: str
) -> tuple[ApiClient, Organisation] | None:
    row = session.execute(_CLIENT_BY_TOKEN_HASH, {"token_hash": token_hash}).one_or_none()
    return (row[0], row[1]) if row else None


def next_inbox_sequence(*, session: Session, municipality_id: uuid.UUID) -> int:
    """Hand out the municipality's next inbox number.

    The UPDATE takes a row lock that is held to commit, so concurrent writers get consecutive
    numbers in commit order and a rolled-back transaction leaves no gap.
    """
    # On the connection, not through the session: an ORM UPDATE would look for the row among
    # the session's objects to keep them in step, and nobody reads the counter from them.
    found = session.connection().execute(_NEXT_SEQUENCE, {"municipality_id": municipality_id})
    sequence: int = found.scalar_one()
    return sequence


_ORGANISATIONS = cast(Table, Organisation.__table__)
_NEXT_SEQUENCE = (
    update(_ORGANISATIONS)
    .where(_ORGANISATIONS.c.id == bindparam("municipality_id"))
    .values(inbox_sequence=_ORGANISATIONS.c.inbox_sequence + 1)
    .returning(_ORGANISATIONS.c.inbox_sequence)
)
