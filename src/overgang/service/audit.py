"""Audit of every access to personal data, allowed or not: who (client and organisation), from
which address, what, when, and how it ended."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from overgang.domain import identifiers
from overgang.domain.limits import identifier_value_problem
from overgang.domain.people import Viewer
from overgang.errors import Forbidden, Gone, NotFound, OvergangError
from overgang.service.caller import Caller
from overgang.storage import audit as audit_store
from overgang.storage import inbox as inbox_store
from overgang.storage.db import transaction

# A resource asked for is kept as the caller wrote it, unless it could hold a CPR number
# (a UUID's last group may hold ten digits in a row by chance).
_CPR_SHAPED = re.compile(r"(?<![0-9])[0-9]{6}-?[0-9]{4}(?![0-9])")
_RESOURCE_ID_LENGTH = 128


@dataclass(frozen=True)
class AuditContext:
    at: datetime
    request_id: str | None
    client_address: str | None


@dataclass
class AuditedAccess:
    """One access in progress: its session, and the episodes it has touched so far."""

    session: Session
    episode_ids: set[uuid.UUID] = field(default_factory=set)

    def touches(self, *episode_ids: uuid.UUID) -> None:
        self.episode_ids.update(episode_ids)


def outcome_of(error: OvergangError) -> str:
    if isinstance(error, NotFound | Gone):
        return "not-found"
    if isinstance(error, Forbidden):
        return "denied"
    return "refused"


@contextmanager
def audited(
    *,
    sessions: sessionmaker[Session],
    caller: Caller | Viewer,
    audit: AuditContext,
    action: str,
    resource_type: str,
    resource_id: str | None = None,
) -> Iterator[AuditedAccess]:
    """One transaction for an access to personal data, audited however it ends.

    Allowed: the row commits with the access, so no access goes unrecorded. Ended by an
    OvergangError: the access rolls back and the row is written in a transaction of its own,
    naming no episode (nothing was shown, and naming one would record what a refused caller
    asked about as if it had been found).
    """
    try:
        with transaction(sessions) as session:
            access = AuditedAccess(session=session)
            yield access
            _record(
                session=session,
                caller=caller,
                audit=audit,
                action=action,
                resource_type=resource_type,
                resource_id=resource_id,
                episode_ids=access.episode_ids,
                outcome="allowed",
            )
    except OvergangError as error:
        record_refusal(
            sessions=sessions,
            caller=caller,
            audit=audit,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            error=error,
        )
        raise


def record_refusal(
    *,
    sessions: sessionmaker[Session],
    caller: Caller | Viewer,
    audit: AuditContext,
    action: str,
    resource_type: str,
    resource_id: str | None,
    error: OvergangError,
) -> None:
    """Record an access that ended in `error`, in its own transaction."""
    with transaction(sessions) as session:
        _record(
            session=session,
            caller=caller,
            audit=audit,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            episode_ids=set(),
            outcome=outcome_of(error),
        )


def audit_intake(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    audit: AuditContext,
    channel: str,
    header_id: str | None = None,
) -> AbstractContextManager[AuditedAccess]:
    """The transaction of a hospital's message or event (`channel` "fhir" or "events"), audited:
    call `touches(episode_id)` on what it yields once the episode is known."""
    return audited(
        sessions=sessions,
        caller=caller,
        audit=audit,
        action=f"intake.{channel}",
        resource_type="message",
        resource_id=header_id,
    )


def _record(
    *,
    session: Session,
    caller: Caller | Viewer,
    audit: AuditContext,
    action: str,
    resource_type: str,
    resource_id: str | None,
    episode_ids: set[uuid.UUID],
    outcome: str,
) -> None:
    kept = resource_id
    if resource_id is not None and identifier_value_problem(resource_id) is not None:
        # What a refused caller asked for may be the very thing refused (NUL, bidi, 10 kB).
        kept = "(not a valid identifier, not kept)"
    elif (
        resource_id is not None
        and _CPR_SHAPED.search(resource_id)
        and not identifiers.looks_like_uuid(
            identifiers.normalise_episode_identifier_value(resource_id)
        )
    ):
        kept = "(cpr-shaped, not kept)"
    # A person on the board, or an API client.
    audit_store.record_access(
        session=session,
        at=audit.at,
        client_id=caller.client_id if not isinstance(caller, Viewer) else None,
        person_id=caller.person_id if isinstance(caller, Viewer) else None,
        organisation_id=caller.organisation_id,
        client_address=audit.client_address,
        action=action,
        resource_type=resource_type,
        resource_id=None if kept is None else kept[:_RESOURCE_ID_LENGTH],
        episode_ids=sorted(str(episode_id) for episode_id in episode_ids),
        request_id=audit.request_id,
        outcome=outcome,
    )


@dataclass(frozen=True)
class AuditLine:
    """An audit row in the names the API uses: no internal ids, no CPR numbers."""

    at: datetime
    action: str
    resource: str
    client: str
    organisation: str
    client_address: str
    outcome: str
    episodes: list[str]
    request_id: str


def list_trail(*, sessions: sessionmaker[Session], since: datetime, limit: int) -> list[AuditLine]:
    """The audit rows since a point in time, oldest first."""
    with transaction(sessions) as session:
        rows = audit_store.list_audit_events(session=session, since=since, limit=limit)
        episode_ids = {uuid.UUID(i) for row in rows for i in row.event.episode_ids}
        keys = inbox_store.episodes_with_keys(session=session, episode_ids=episode_ids)
        return [
            AuditLine(
                at=row.event.at,
                action=row.event.action,
                resource=f"{row.event.resource_type}:{row.event.resource_id or '-'}",
                client=row.client_name or "-",
                # A municipality is known by its code, a hospital by its SOR.
                organisation=row.municipality_code or row.sor or "-",
                client_address=row.event.client_address or "-",
                outcome=row.event.outcome,
                # A pseudonymised episode (retention) has no identifier left: its own id.
                episodes=[
                    keys[uuid.UUID(i)][1] or f"pseudonymised:{i}"
                    for i in row.event.episode_ids
                    if uuid.UUID(i) in keys
                ],
                request_id=row.event.request_id or "-",
            )
            for row in rows
        ]
