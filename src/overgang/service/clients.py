"""An API client's life: SMART registration, listing, revocation and static-token rotation,
each in a transaction of its own (the operator's CLI calls these)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from overgang.config import Settings
from overgang.errors import NotFound, Unprocessable
from overgang.service.caller import hash_token, new_token
from overgang.service.client_keys import UnusableJwks, check_jwks_url, parse_jwks
from overgang.service.partners import NewClient, find_organisation
from overgang.storage import clients
from overgang.storage.db import transaction
from overgang.storage.models import ApiClient


@dataclass(frozen=True)
class ClientSummary:
    id: uuid.UUID
    name: str
    kind: str  # static | smart
    organisation: str  # SOR, or the municipality code
    created_at: datetime
    revoked_at: datetime | None
    token_expires_at: datetime | None
    keys: str | None  # a SMART client's JWKS URL, or "registered JWKS"


@dataclass(frozen=True)
class OrganisationSummary:
    kind: str
    sor: str
    municipality_code: str | None
    name: str
    region: str | None
    active_clients: int


def create_smart_client(
    *,
    sessions: sessionmaker[Session],
    settings: Settings,
    org: str,
    name: str,
    jwks: Any | None,
    jwks_url: str | None,
    now: datetime,
) -> uuid.UUID:
    """Register a SMART Backend Services client with its public keys (a JWKS or its URL)."""
    if (jwks is None) == (jwks_url is None):
        raise Unprocessable("give the client's public keys as a JWKS or as a JWKS URL, not both")
    try:
        if jwks_url is not None:
            check_jwks_url(jwks_url, settings=settings)
        else:
            parse_jwks(jwks)
    except UnusableJwks as error:
        raise Unprocessable(str(error)) from None
    with transaction(sessions) as session:
        organisation = find_organisation(session=session, org=org)
        client = ApiClient(
            organisation_id=organisation.id,
            name=name,
            kind="smart",
            jwks=jwks,
            jwks_url=jwks_url,
            created_at=now,
        )
        session.add(client)
        session.flush()
        return client.id


def list_clients(*, sessions: sessionmaker[Session]) -> list[ClientSummary]:
    with transaction(sessions) as session:
        return [
            ClientSummary(
                id=client.id,
                name=client.name,
                kind=client.kind,
                organisation=organisation.municipality_code or organisation.sor,
                created_at=client.created_at,
                revoked_at=client.revoked_at,
                token_expires_at=client.token_expires_at,
                keys=client.jwks_url or ("registered JWKS" if client.jwks else None),
            )
            for client, organisation in clients.list_clients(session=session)
        ]


def list_organisations(*, sessions: sessionmaker[Session]) -> list[OrganisationSummary]:
    with transaction(sessions) as session:
        return [
            OrganisationSummary(
                kind=organisation.kind,
                sor=organisation.sor,
                municipality_code=organisation.municipality_code,
                name=organisation.name,
                region=organisation.region,
                active_clients=active,
            )
            for organisation, active in clients.list_organisations(session=session)
        ]


def revoke_client(*, sessions: sessionmaker[Session], client_id: uuid.UUID, now: datetime) -> None:
    """No new access token, and no static token works (within the token cache's seconds)."""
    with transaction(sessions) as session:
        client = _client(session=session, client_id=client_id)
        if client.revoked_at is None:
            client.revoked_at = now


def rotate_token(
    *,
    sessions: sessionmaker[Session],
    client_id: uuid.UUID,
    overlap: timedelta,
    expires_in: timedelta | None,
    now: datetime,
) -> NewClient:
    """A new static token; the current one keeps working for `overlap` (an earlier replaced
    token stops at once)."""
    with transaction(sessions) as session:
        client = _client(session=session, client_id=client_id)
        if client.kind != "static" or client.revoked_at is not None:
            raise Unprocessable("only a static-token client that is not revoked has a token")
        token = new_token()
        if overlap > timedelta(0):
            client.previous_token_hash = client.token_hash
            client.previous_token_until = now + overlap
        else:
            client.previous_token_hash = client.previous_token_until = None
        client.token_hash = hash_token(token)
        client.token_expires_at = now + expires_in if expires_in is not None else None
        return NewClient(id=client.id, token=token)


def _client(*, session: Session, client_id: uuid.UUID) -> ApiClient:
    found = clients.find_client(session=session, client_id=client_id)
    if found is None:
        raise NotFound(f"no API client {client_id}")
    return found[0]
