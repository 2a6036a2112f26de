"""Registering partner organisations and their API clients (the operator's CLI)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from overgang.domain import identifiers
from overgang.domain.ownership import UnknownRegion, normalise_region
from overgang.errors import Conflict, NotFound, Unprocessable
from overgang.reference import municipalities
from overgang.service.caller import hash_token, new_token
from overgang.storage import partners
from overgang.storage.models import ApiClient, Organisation


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


def add_hospital(
    *,
    session: Session,
    sor: str,
    name: str,
    gln: str | None,
    now: datetime,
    region: str | None = None,
) -> Organisation:
    """A hospital ward; with a region, the region owns its episodes (profile §7)."""
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


def add_municipality(
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


def create_client(*, session: Session, org: str, name: str, now: datetime) -> tuple[ApiClient, str]:
    """A new client for the organisation named by SOR or municipality code, and its token.

    The token is returned once; only its hash is stored.
    """
    organisation = partners.find_organisation_by_sor(session=session, sor=org)
    if organisation is None and len(org) <= 4 and org.isdigit():
        organisation = partners.find_municipality(session=session, code=org.zfill(4))
    if organisation is None:
        raise NotFound(f"no organisation with SOR or municipality code {org}")
    token = new_token()
    client = ApiClient(
        organisation_id=organisation.id, name=name, token_hash=hash_token(token), created_at=now
    )
    session.add(client)
    session.flush()
    return client, token
