"""Who is calling: an API client acting for one organisation, found from its bearer token."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from overgang.errors import Forbidden, Unauthenticated
from overgang.storage import partners

TOKEN_PREFIX = "ovg_"  # noqa: S105 - a prefix that makes leaked tokens easy to scan for


@dataclass(frozen=True)
class Caller:
    client_id: uuid.UUID
    organisation_id: uuid.UUID
    kind: str  # hospital | municipality
    sor: str
    municipality_code: str | None

    def require_hospital(self) -> None:
        if self.kind != "hospital":
            raise Forbidden("only a hospital client may do this")

    def require_municipality(self) -> None:
        if self.kind != "municipality":
            raise Forbidden("only a municipality client may do this")


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens are 256-bit random, so a plain SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(*, session: Session, token: str) -> Caller:
    found = partners.find_client_by_token_hash(session=session, token_hash=hash_token(token))
    if found is None:
        raise Unauthenticated("the bearer token is unknown or revoked")
    client, organisation = found
    return Caller(
        client_id=client.id,
        organisation_id=organisation.id,
        kind=organisation.kind,
        sor=organisation.sor,
        municipality_code=organisation.municipality_code,
    )
