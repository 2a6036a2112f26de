"""Single sign-on: a person the provider vouches for gets a board session, if the operator has
registered them (`overgang user add`). The provider's exchange itself (state, PKCE, the ID
token's checks) is the board's edge, overgang.board.sso; this is what follows from its answer.

The first sign-on finds the person by e-mail and binds them to the provider's `iss` and `sub`;
from then on only that pair finds them, so a changed or reassigned e-mail address at the
provider never moves the account. Every attempt is audited, naming at most the person's id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from overgang.domain import people as rules
from overgang.domain.people import ProviderIdentity
from overgang.errors import OvergangError
from overgang.service.audit import AuditContext
from overgang.service.people import SignedIn, open_session, record_sign_in
from overgang.storage import people as people_store
from overgang.storage.db import transaction
from overgang.storage.models import Person

ACTION = "sign-in.sso"


class SignOnRefused(OvergangError):
    """The provider's answer signs no one in; `reason` says why, in words the page and the
    audit use: token-refused, email-not-verified, unknown-person, bound-elsewhere, disabled."""

    status = 403
    title = "Single sign-on refused"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sign_on(
    *,
    sessions: sessionmaker[Session],
    identity: ProviderIdentity,
    trust_email: bool,
    audit: AuditContext,
    now: datetime,
) -> SignedIn:
    """A session for the registered person this checked identity is, or SignOnRefused."""
    with transaction(sessions) as session:
        person, refused = _person_of(session=session, identity=identity, trust_email=trust_email)
        _audit(session=session, audit=audit, person=person, reason=refused)
        if person is not None and refused is None:
            if person.sso_subject is None:
                person.sso_issuer, person.sso_subject = identity.issuer, identity.subject
            return open_session(session=session, person=person, now=now, password_skipped=True)
    # Outside the transaction, so that the audit row of the refusal is committed.
    raise SignOnRefused(refused or "unknown-person")


def _person_of(
    *, session: Session, identity: ProviderIdentity, trust_email: bool
) -> tuple[Person | None, str | None]:
    """The person this identity is, and why they may not sign in (None: they may)."""
    bound = people_store.find_person_by_sso(
        session=session, issuer=identity.issuer, subject=identity.subject
    )
    if bound is not None:
        return bound, "disabled" if bound.disabled_at is not None else None
    email = rules.email_to_match(identity, trust_email=trust_email)
    if email is None:
        return None, "email-not-verified"
    found = people_store.find_person_by_email(session=session, email=email)
    if found is None:
        return None, "unknown-person"
    if found.sso_subject is not None:
        # Bound to another identity: this one may claim the address, not the account.
        return found, "bound-elsewhere"
    return found, "disabled" if found.disabled_at is not None else None


def record_refusal(
    *,
    sessions: sessionmaker[Session],
    audit: AuditContext,
    reason: str,
) -> None:
    """Audit a single sign-on refused before any person was looked for (the provider's answer
    failed its checks), in a transaction of its own."""
    with transaction(sessions) as session:
        _audit(session=session, audit=audit, person=None, reason=reason)


def _audit(
    *, session: Session, audit: AuditContext, person: Person | None, reason: str | None
) -> None:
    record_sign_in(session=session, audit=audit, action=ACTION, person=person, reason=reason)
