"""People on the transition board (profile §9): who they are, what they may see, and the rules of
signing in. Plain Python: the passwords' hashing and the sessions' storage live in the service.

A person belongs to a municipality (sees its residents' episodes), a hospital (the episodes its
owner owns: its region's when it has one, profile §7) or a region (the episodes it owns).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

ROLES = frozenset({"coordinator"})
# OWASP ASVS 2.2.1 and NIST 800-63B: lock after a handful of failures, for a while.
MAX_FAILED_SIGN_INS = 5
LOCKOUT = timedelta(minutes=15)
ONE_TIME_SECRET_LIFETIME = timedelta(days=7)
# A session ends after this long without a request, and in any case after a working day.
SESSION_IDLE = timedelta(minutes=30)
SESSION_LONGEST = timedelta(hours=10)
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 128  # argon2 would take more; a bound keeps hashing cheap to ask for
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,}$")


class InvalidPerson(ValueError):
    """An e-mail address or role that cannot be registered."""


def normalise_email(text: str) -> str:
    """The address as people are told apart by it: trimmed and lower case."""
    email = text.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidPerson(f"{text!r} is not an e-mail address")
    return email


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidPerson(f"unknown role {role!r}: use one of {', '.join(sorted(ROLES))}")
    return role


def password_problem(password: str, *, email: str) -> str | None:
    """Why a chosen password is refused (in Danish, as the page shows it), or None."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"Adgangskoden skal være mindst {PASSWORD_MIN_LENGTH} tegn."
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"Adgangskoden må højst være {PASSWORD_MAX_LENGTH} tegn."
    local_part = email.split("@", maxsplit=1)[0]
    if email in password.lower() or (len(local_part) >= 4 and local_part in password.lower()):
        return "Adgangskoden må ikke indeholde din e-mailadresse."
    return None


def is_locked(*, locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until


def after_failure(*, failed_sign_ins: int, now: datetime) -> tuple[int, datetime | None]:
    """The failure count and lock after one more failed sign-in: the fifth locks, and starts
    the count again for when the lock ends."""
    failed = failed_sign_ins + 1
    if failed >= MAX_FAILED_SIGN_INS:
        return 0, now + LOCKOUT
    return failed, None


def session_expiry(*, created_at: datetime, now: datetime) -> datetime:
    """When a session seen at `now` ends if nothing else happens."""
    return min(now + SESSION_IDLE, created_at + SESSION_LONGEST)


@dataclass(frozen=True)
class Viewer:
    """A signed-in person, and the one rule of which episodes they may see."""

    person_id: uuid.UUID
    name: str
    email: str
    organisation_name: str
    organisation_id: uuid.UUID | None
    # Exactly one of: the municipality whose residents they see, or the owner whose episodes.
    municipality_id: uuid.UUID | None
    owner: str | None
    must_set_password: bool = False


def state_of(
    *,
    disabled_at: datetime | None,
    locked_until: datetime | None,
    has_signed_in: bool,
    now: datetime,
) -> str:
    """How the operator's list names a person: disabled, locked (by failed sign-ins), active
    (has a password or has signed in by single sign-on) or invited (neither yet)."""
    if disabled_at is not None:
        return "disabled"
    if is_locked(locked_until=locked_until, now=now):
        return "locked"
    return "active" if has_signed_in else "invited"


@dataclass(frozen=True)
class ProviderIdentity:
    """Who an OpenID Connect provider says signed in: the checked ID token's claims we use."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool


def email_to_match(identity: ProviderIdentity, *, trust_email: bool) -> str | None:
    """The address a first single sign-on finds the registered person by, or None when the
    provider gives none it vouches for: an unverified address could be anyone's."""
    if not identity.email or not (identity.email_verified or trust_email):
        return None
    try:
        return normalise_email(identity.email)
    except InvalidPerson:
        return None
