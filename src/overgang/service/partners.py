"""Registering partner organisations and their API clients (the operator's CLI), each in a
transaction of its own."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from overgang.domain import identifiers
from overgang.domain.ownership import UnknownRegion, normalise_region
from overgang.errors import Conflict, NotFound, Unprocessable
from overgang.reference import municipalities
from overgang.service import people
from overgang.service.caller import hash_token, new_token
from overgang.storage import partners
from overgang.storage.db import transaction
from overgang.storage.models import ApiClient, Organisation

# The example stay's partners (../shared/domain/examples): a psychiatric ward and Aalborg.
DEMO_HOSPITAL = {
    "sor": "1144561000016002",
    "gln": "5790001382445",
    "name": "Psykiatrien, Afsnit S4, Aalborg",
}
DEMO_MUNICIPALITY = {"code": "0851", "sor": "953741000016009", "gln": "5790001348120"}
# The demo's coordinators on the board: Aalborg's, and the region's whose history the demo plays
# (reserved .example addresses: a demo prints their secrets).
DEMO_COORDINATORS = (
    ("koordinator@aalborg.example", "Demokoordinator Aalborg", "0851"),
    ("koordinator@rn.example", "Demokoordinator Nordjylland", "DK-81"),
)


@dataclass(frozen=True)
class Partner:
    """A registered organisation, as the operator is told about it."""

    id: uuid.UUID
    sor: str
    region: str | None
    municipality_code: str | None
    gln: str | None = None

    @classmethod
    def of(cls, organisation: Organisation) -> Partner:
        return cls(
            id=organisation.id,
            sor=organisation.sor,
            region=organisation.region,
            municipality_code=organisation.municipality_code,
            gln=organisation.gln,
        )


@dataclass(frozen=True)
class NewClient:
    """A new API client and its bearer token (shown once; only its hash is stored)."""

    id: uuid.UUID
    token: str


@dataclass(frozen=True)
class DemoTokens:
    hospital: str
    municipality: str
    coordinators: tuple[tuple[str, str], ...] = ()  # (e-mail, one-time secret)


def register_hospital(
    *,
    sessions: sessionmaker[Session],
    sor: str,
    name: str,
    gln: str | None,
    now: datetime,
    region: str | None = None,
) -> Partner:
    """A hospital ward that may send; with a region, the region owns its episodes (profile §7)."""
    with transaction(sessions) as session:
        return Partner.of(
            _add_hospital(session=session, sor=sor, name=name, gln=gln, now=now, region=region)
        )


def register_municipality(
    *,
    sessions: sessionmaker[Session],
    code: str,
    sor: str,
    gln: str,
    name: str | None,
    now: datetime,
) -> Partner:
    """A municipality that receives messages; its name defaults to '<name> Kommune'."""
    with transaction(sessions) as session:
        return Partner.of(
            _add_municipality(session=session, code=code, sor=sor, gln=gln, name=name, now=now)
        )


def create_client(
    *,
    sessions: sessionmaker[Session],
    org: str,
    name: str,
    now: datetime,
    expires_at: datetime | None = None,
) -> NewClient:
    """A new client for the organisation named by SOR or municipality code, and its token."""
    with transaction(sessions) as session:
        client, token = _add_client(session=session, org=org, name=name, now=now)
        client.token_expires_at = expires_at
        return NewClient(id=client.id, token=token)


def find_partner(*, sessions: sessionmaker[Session], org: str) -> Partner | None:
    """The organisation registered with this SOR or municipality code, if any."""
    with transaction(sessions) as session:
        found = partners.find_organisation_by_sor(session=session, sor=org)
        if found is None and len(org) <= 4 and org.isdigit():
            found = partners.find_municipality(session=session, code=org.zfill(4))
        return Partner.of(found) if found is not None else None


def setup_demo_partners(*, sessions: sessionmaker[Session], now: datetime) -> DemoTokens:
    """The example stay's ward and Aalborg (registered once), each with a fresh client, and the
    demo's coordinators, each with a fresh one-time secret."""
    with transaction(sessions) as session:
        if partners.find_organisation_by_sor(session=session, sor=DEMO_HOSPITAL["sor"]) is None:
            _add_hospital(session=session, now=now, **DEMO_HOSPITAL)
        if partners.find_organisation_by_sor(session=session, sor=DEMO_MUNICIPALITY["sor"]) is None:
            _add_municipality(session=session, now=now, name=None, **DEMO_MUNICIPALITY)
        _, hospital = _add_client(
            session=session, org=DEMO_HOSPITAL["sor"], name="demo EPJ", now=now
        )
        _, municipality = _add_client(
            session=session, org=DEMO_MUNICIPALITY["code"], name="demo case system", now=now
        )
    coordinators = tuple(
        (email, people.add_or_reset(sessions=sessions, email=email, name=name, org=org, now=now))
        for email, name, org in DEMO_COORDINATORS
    )
    return DemoTokens(hospital=hospital, municipality=municipality, coordinators=coordinators)


def _check_unique(*, session: Session, sor: str, gln: str | None) -> None:
    if partners.find_organisation_by_sor(session=session, sor=sor) is not None:
        raise Conflict(f"an organisation with SOR {sor} is already registered")
    if gln and partners.find_organisation_by_gln(session=session, gln=gln) is not None:
        raise Conflict(f"an organisation with GLN {gln} is already registered")


def _check_sor_gln(sor: str, gln: str | None) -> None:
    if not identifiers.sor_is_well_formed(sor):
        raise Unprocessable("SOR must be 6 to 18 digits")
    if gln is not None and not identifiers.gln_is_valid(gln):
        raise Unprocessable("GLN must be 13 digits with a valid check digit")


def _add_hospital(
    *,
    session: Session,
    sor: str,
    name: str,
    gln: str | None,
    now: datetime,
    region: str | None = None,
) -> Organisation:
    _check_sor_gln(sor, gln)
    try:
        region = normalise_region(region) if region is not None else None
    except UnknownRegion as error:
        raise Unprocessable(str(error)) from None
    _check_unique(session=session, sor=sor, gln=gln)
    organisation = Organisation(
        kind="hospital", sor=sor, gln=gln, name=name, region=region, created_at=now
    )
    session.add(organisation)
    session.flush()
    return organisation


def _add_municipality(
    *, session: Session, code: str, sor: str, gln: str, name: str | None, now: datetime
) -> Organisation:
    try:
        code = identifiers.normalise_municipality_code(code)
    except identifiers.InvalidIdentifier as error:
        raise Unprocessable(str(error)) from None
    known = municipalities().get(code)
    if known is None:
        raise Unprocessable(f"{code} is not a Danish municipality code")
    _check_sor_gln(sor, gln)
    _check_unique(session=session, sor=sor, gln=gln)
    if partners.find_municipality(session=session, code=code) is not None:
        raise Conflict(f"municipality {code} is already registered")
    organisation = Organisation(
        kind="municipality",
        sor=sor,
        gln=gln,
        municipality_code=code,
        name=name or f"{known.name} Kommune",
        created_at=now,
    )
    session.add(organisation)
    session.flush()
    return organisation


def find_organisation(*, session: Session, org: str) -> Organisation:
    """The organisation named by its SOR or municipality code."""
    organisation = partners.find_organisation_by_sor(session=session, sor=org)
    if organisation is None and len(org) <= 4 and org.isdigit():
        organisation = partners.find_municipality(session=session, code=org.zfill(4))
    if organisation is None:
        raise NotFound(f"no organisation with SOR or municipality code {org}")
    return organisation


def _add_client(*, session: Session, org: str, name: str, now: datetime) -> tuple[ApiClient, str]:
    organisation = find_organisation(session=session, org=org)
    token = new_token()
    client = ApiClient(
        organisation_id=organisation.id,
        name=name,
        kind="static",
        token_hash=hash_token(token),
        created_at=now,
    )
    session.add(client)
    session.flush()
    return client, token
