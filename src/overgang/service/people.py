"""People on the board: registering them (the operator's CLI), signing in with the one-time
secret or a password, choosing the password, sessions and signing out. Each use case is one
transaction of its own.

Passwords and one-time secrets are kept as argon2id hashes. A session is a random token in the
browser's cookie and its SHA-256 in `person_sessions` (256 random bits need no stretching), so
signing out, or an operator deleting the row, ends it at once in every process.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session, sessionmaker

from overgang.domain import people as rules
from overgang.domain.ownership import REGION_NAMES, UnknownRegion, normalise_region, owner_of
from overgang.domain.people import Viewer
from overgang.errors import Conflict, NotFound, OvergangError, Unprocessable
from overgang.service.audit import AuditContext
from overgang.storage import audit as audit_store
from overgang.storage import partners
from overgang.storage import people as people_store
from overgang.storage.db import transaction
from overgang.storage.models import Organisation, Person, PersonSession

_HASHER = PasswordHasher()  # argon2id with the library's RFC 9106 "low memory" parameters
SIGN_IN_ACTION = "sign-in.password"
# Verified when the e-mail is unknown, so an answer takes as long whether the person exists.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


class SignInRefused(OvergangError):
    """Unknown e-mail, wrong secret or password, a locked or disabled person: one answer for all."""

    status = 401
    title = "Sign-in refused"


@dataclass(frozen=True)
class NewPerson:
    id: uuid.UUID
    organisation: str
    one_time_secret: str  # shown once; only its hash is kept


@dataclass(frozen=True)
class SignedIn:
    token: str  # the cookie's value; only its SHA-256 is kept
    must_set_password: bool


def hash_session_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(session_token: str) -> str:
    """The CSRF token of a session's forms: derived from the HttpOnly cookie no other site can
    read, so a forged form cannot carry it (OWASP's HMAC synchronizer token)."""
    return hmac.new(session_token.encode(), b"overgang-board-csrf", hashlib.sha256).hexdigest()


def add_person(
    *,
    sessions: sessionmaker[Session],
    email: str,
    name: str,
    org: str,
    role: str,
    now: datetime,
) -> NewPerson:
    """A person of the organisation named by SOR, municipality code or region (DK-8x), with a
    one-time sign-in secret valid for ONE_TIME_SECRET_LIFETIME."""
    try:
        address, role = rules.normalise_email(email), rules.check_role(role)
    except rules.InvalidPerson as error:
        raise Unprocessable(str(error)) from None
    if not name.strip():
        raise Unprocessable("a person needs a name")
    secret = secrets.token_urlsafe(18)
    with transaction(sessions) as session:
        if people_store.find_person_by_email(session=session, email=address) is not None:
            raise Conflict(f"{address} is already registered")
        organisation, region = _organisation_of(session=session, org=org)
        person = Person(
            email=address,
            name=name.strip(),
            role=role,
            organisation_id=organisation.id if organisation is not None else None,
            region=region,
            one_time_secret_hash=_HASHER.hash(secret),
            one_time_secret_expires_at=now + rules.ONE_TIME_SECRET_LIFETIME,
            failed_sign_ins=0,
            created_at=now,
        )
        session.add(person)
        session.flush()
        label = region or (organisation.name if organisation is not None else org)
        return NewPerson(id=person.id, organisation=label, one_time_secret=secret)


def _organisation_of(*, session: Session, org: str) -> tuple[Organisation | None, str | None]:
    text = org.strip()
    if text.upper().startswith("DK-"):
        try:
            return None, normalise_region(text)
        except UnknownRegion as error:
            raise Unprocessable(str(error)) from None
    found = partners.find_organisation_by_sor(session=session, sor=text)
    if found is None and text.isdigit() and len(text) <= 4:
        found = partners.find_municipality(session=session, code=text.zfill(4))
    if found is None:
        raise NotFound(f"no organisation with SOR or municipality code {text!r} is registered")
    return found, None


def sign_in(
    *, sessions: sessionmaker[Session], email: str, secret: str, audit: AuditContext, now: datetime
) -> SignedIn:
    """A new session for the person whose password, or one-time secret while they have no
    password, this is. MAX_FAILED_SIGN_INS failures in a row lock the person for LOCKOUT.
    Every attempt is audited with its outcome; the page gives one answer for every refusal."""
    try:
        address = rules.normalise_email(email)
    except rules.InvalidPerson:
        address = ""
    with transaction(sessions) as session:
        person = people_store.find_person_by_email(session=session, email=address)
        if person is None:
            _verify(_DUMMY_HASH, secret)
            refused = "unknown-person"
        elif person.disabled_at is not None:
            _verify(_DUMMY_HASH, secret)
            refused = "disabled"
        elif rules.is_locked(locked_until=person.locked_until, now=now):
            refused = "locked"  # not even checked: a guess during the lock teaches nothing
        elif not _verify(_stored_hash(person, now=now), secret):
            person.failed_sign_ins, person.locked_until = rules.after_failure(
                failed_sign_ins=person.failed_sign_ins, now=now
            )
            refused = "wrong-secret"
        else:
            record_sign_in(
                session=session, audit=audit, action=SIGN_IN_ACTION, person=person, reason=None
            )
            return open_session(session=session, person=person, now=now, password_skipped=False)
        record_sign_in(
            session=session, audit=audit, action=SIGN_IN_ACTION, person=person, reason=refused
        )
    # Outside the transaction, so the failure count and the audit row above are committed.
    raise SignInRefused("the e-mail address, secret or password is wrong, or sign-in is locked")


def record_sign_in(
    *, session: Session, audit: AuditContext, action: str, person: Person | None, reason: str | None
) -> None:
    """The audit row of one sign-in attempt: allowed, or refused for `reason`; it names at most
    the person's id, never the e-mail address typed."""
    audit_store.record_access(
        session=session,
        at=audit.at,
        client_id=None,
        person_id=person.id if person is not None else None,
        organisation_id=person.organisation_id if person is not None else None,
        client_address=audit.client_address,
        action=action,
        resource_type="sign-in",
        resource_id=reason,
        episode_ids=[],
        request_id=audit.request_id,
        outcome="allowed" if reason is None else "refused",
    )


def open_session(
    *, session: Session, person: Person, now: datetime, password_skipped: bool
) -> SignedIn:
    """A new session for a person who has just proved who they are. Signed in by single sign-on
    (`password_skipped`) they need no password; with the one-time secret they choose one first."""
    person.failed_sign_ins, person.locked_until = 0, None
    person.last_signed_in_at = now
    people_store.delete_expired_sessions(session=session, now=now)
    token = secrets.token_urlsafe(32)
    pending = person.password_hash is None and not password_skipped
    session.add(
        PersonSession(
            person_id=person.id,
            token_hash=hash_session_token(token),
            must_set_password=pending,
            created_at=now,
            last_seen_at=now,
            expires_at=rules.session_expiry(created_at=now, now=now),
        )
    )
    return SignedIn(token=token, must_set_password=pending)


def _stored_hash(person: Person, *, now: datetime) -> str:
    if person.password_hash is not None:
        return person.password_hash
    expires = person.one_time_secret_expires_at
    if person.one_time_secret_hash is None or expires is None or now >= expires:
        return _DUMMY_HASH
    return person.one_time_secret_hash


def _verify(hashed: str, secret: str) -> bool:
    if not secret or len(secret) > rules.PASSWORD_MAX_LENGTH:
        return False
    try:
        return _HASHER.verify(hashed, secret)
    except (VerificationError, InvalidHashError):
        return False


def viewer_of_session(
    *, sessions: sessionmaker[Session], token: str, now: datetime
) -> Viewer | None:
    """The person signed in with this cookie, or None; each request keeps the session alive."""
    if not token or len(token) > 100:
        return None
    with transaction(sessions) as session:
        found = people_store.find_session(
            session=session, token_hash=hash_session_token(token), now=now
        )
        if found is None:
            return None
        person_session, person, organisation = found
        person_session.last_seen_at = now
        person_session.expires_at = rules.session_expiry(
            created_at=person_session.created_at, now=now
        )
        return _viewer(person, organisation, must_set_password=person_session.must_set_password)


def _viewer(
    person: Person, organisation: Organisation | None, *, must_set_password: bool
) -> Viewer:
    if organisation is None:
        region = person.region or ""
        return Viewer(
            person_id=person.id,
            name=person.name,
            email=person.email,
            organisation_name=REGION_NAMES.get(region, region),
            organisation_id=None,
            municipality_id=None,
            owner=region,
            must_set_password=must_set_password,
        )
    is_municipality = organisation.kind == "municipality"
    return Viewer(
        person_id=person.id,
        name=person.name,
        email=person.email,
        organisation_name=organisation.name,
        organisation_id=organisation.id,
        municipality_id=organisation.id if is_municipality else None,
        owner=None
        if is_municipality
        else owner_of(region=organisation.region, sor=organisation.sor),
        must_set_password=must_set_password,
    )


def set_password(
    *, sessions: sessionmaker[Session], token: str, password: str, now: datetime
) -> str | None:
    """Replace the one-time secret (or the password) of the signed-in person; None when done,
    else why the password was refused. Every other session of the person ends."""
    with transaction(sessions) as session:
        found = people_store.find_session(
            session=session, token_hash=hash_session_token(token), now=now
        )
        if found is None:
            raise SignInRefused("the session has ended")
        person_session, person, _ = found
        problem = rules.password_problem(password, email=person.email)
        if problem is not None:
            return problem
        person.password_hash = _HASHER.hash(password)
        person.one_time_secret_hash = None
        person.one_time_secret_expires_at = None
        person_session.must_set_password = False
        people_store.delete_sessions_of(
            session=session, person_id=person.id, except_id=person_session.id
        )
        return None


def sign_out(*, sessions: sessionmaker[Session], token: str) -> None:
    """End the session of this cookie (nothing happens when there is none)."""
    with transaction(sessions) as session:
        people_store.delete_session(session=session, token_hash=hash_session_token(token))


# --- The operator's commands (`overgang user list|reset|disable|enable`) ---


@dataclass(frozen=True)
class PersonLine:
    """A person as `user list` shows them: never a secret or a hash."""

    email: str
    name: str
    organisation: str
    role: str
    state: str  # invited | active | locked | disabled (domain.people.state_of)
    last_signed_in_at: datetime | None


def list_people(*, sessions: sessionmaker[Session], now: datetime) -> list[PersonLine]:
    """Everyone registered, by e-mail."""
    with transaction(sessions) as session:
        return [
            PersonLine(
                email=person.email,
                name=person.name,
                organisation=person.region or (organisation.name if organisation else "-"),
                role=person.role,
                state=rules.state_of(
                    disabled_at=person.disabled_at,
                    locked_until=person.locked_until,
                    has_signed_in=person.password_hash is not None
                    or person.sso_subject is not None,
                    now=now,
                ),
                last_signed_in_at=person.last_signed_in_at,
            )
            for person, organisation in people_store.list_people(session=session)
        ]


def reset_person(*, sessions: sessionmaker[Session], email: str, now: datetime) -> str:
    """A new one-time secret for a person who forgot their password (or never used theirs):
    the password and the single sign-on binding are cleared, the lock lifted and every session
    ended. The new secret."""
    secret = secrets.token_urlsafe(18)
    with transaction(sessions) as session:
        person = _registered(session=session, email=email)
        person.password_hash = None
        person.sso_issuer = person.sso_subject = None
        person.one_time_secret_hash = _HASHER.hash(secret)
        person.one_time_secret_expires_at = now + rules.ONE_TIME_SECRET_LIFETIME
        person.failed_sign_ins, person.locked_until = 0, None
        people_store.delete_sessions_of(session=session, person_id=person.id)
    return secret


def add_or_reset(
    *, sessions: sessionmaker[Session], email: str, name: str, org: str, now: datetime
) -> str:
    """The demo's: register the person, or reset them if they are; their new one-time secret."""
    try:
        return add_person(
            sessions=sessions, email=email, name=name, org=org, role="coordinator", now=now
        ).one_time_secret
    except Conflict:
        return reset_person(sessions=sessions, email=email, now=now)


def set_disabled(
    *, sessions: sessionmaker[Session], email: str, disabled: bool, now: datetime
) -> None:
    """Disable a person (every session ends at once; neither password nor single sign-on lets
    them in) or enable them again."""
    with transaction(sessions) as session:
        person = _registered(session=session, email=email)
        if disabled:
            person.disabled_at = person.disabled_at or now
            people_store.delete_sessions_of(session=session, person_id=person.id)
        else:
            person.disabled_at = None


def _registered(*, session: Session, email: str) -> Person:
    try:
        address = rules.normalise_email(email)
    except rules.InvalidPerson as error:
        raise Unprocessable(str(error)) from None
    person = people_store.find_person_by_email(session=session, email=address)
    if person is None:
        raise NotFound(f"no person with e-mail {address} is registered")
    return person
