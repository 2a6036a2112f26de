"""Queries about partner organisations and their API clients."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Select, Table, and_, bindparam, select, update
from sqlalchemy.orm import Session

from overgang.storage.models import ApiClient, Organisation, WebhookEndpoint

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


@dataclass(frozen=True)
class Receiver:
    """An organisation a message is addressed to, and the ids of its active webhook endpoints."""

    id: uuid.UUID
    kind: str
    sor: str
    endpoint_ids: tuple[uuid.UUID, ...]


def find_receiver(*, session: Session, sor: str | None, gln: str | None) -> Receiver | None:
    """The organisation with this SOR, else the one with this GLN, with its endpoints: one
    statement on the connection (no ORM objects: nothing here is changed)."""
    for query, value in ((_RECEIVER_BY_SOR, sor), (_RECEIVER_BY_GLN, gln)):
        if not value:
            continue
        rows = session.connection().execute(query, {"value": value}).all()
        if rows:
            organisation_id, kind, organisation_sor, _ = rows[0]
            endpoints = tuple(row[3] for row in rows if row[3] is not None)
            return Receiver(
                id=organisation_id, kind=kind, sor=organisation_sor, endpoint_ids=endpoints
            )
    return None


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
_ENDPOINTS = cast(Table, WebhookEndpoint.__table__)


def _receiver_by(column_name: str) -> Select[uuid.UUID, str, str, uuid.UUID | None]:
    # Built once: run on every message.
    return (
        select(_ORGANISATIONS.c.id, _ORGANISATIONS.c.kind, _ORGANISATIONS.c.sor, _ENDPOINTS.c.id)
        .outerjoin(
            _ENDPOINTS,
            and_(
                _ENDPOINTS.c.municipality_organisation_id == _ORGANISATIONS.c.id,
                _ENDPOINTS.c.active.is_(True),
            ),
        )
        .where(_ORGANISATIONS.c[column_name] == bindparam("value"))
    )


_RECEIVER_BY_SOR = _receiver_by("sor")
_RECEIVER_BY_GLN = _receiver_by("gln")
_NEXT_SEQUENCE = (
    update(_ORGANISATIONS)
    .where(_ORGANISATIONS.c.id == bindparam("municipality_id"))
    .values(inbox_sequence=_ORGANISATIONS.c.inbox_sequence + 1)
    .returning(_ORGANISATIONS.c.inbox_sequence)
)
