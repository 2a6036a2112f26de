"""The municipality's side: its inbox, one message, and its acknowledgement of it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from overgang.errors import Conflict, Gone, NotFound, Unprocessable
from overgang.service.audit import AuditContext, audited
from overgang.service.caller import Caller
from overgang.storage import inbox as inbox_store
from overgang.storage.models import Acknowledgement, Episode, InboxMessage

MAX_PAGE = 500


@dataclass(frozen=True)
class InboxItem:
    message: InboxMessage
    episode: Episode
    episode_identifier: str | None  # None once the episode is pseudonymised


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    next_cursor: str | None


def parse_cursor(cursor: str | None) -> int:
    if cursor is None or cursor == "":
        return 0
    if not cursor.isdigit():
        raise Unprocessable("the cursor is not one this API handed out")
    return int(cursor)


def list_inbox(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    after: str | None,
    limit: int,
    audit: AuditContext,
) -> InboxPage:
    """The caller's inbox messages after the cursor, oldest first."""
    with audited(
        sessions=sessions, caller=caller, audit=audit, action="inbox.list", resource_type="inbox"
    ) as access:
        caller.require_municipality()
        if not 1 <= limit <= MAX_PAGE:
            raise Unprocessable(f"limit must be between 1 and {MAX_PAGE}")
        messages = inbox_store.list_inbox(
            session=access.session,
            municipality_id=caller.organisation_id,
            after_sequence=parse_cursor(after),
            limit=limit,
        )
        access.touches(*(message.episode_id for message in messages))
        items = _with_episodes(access.session, messages)
    next_cursor = str(messages[-1].sequence) if len(messages) == limit else None
    return InboxPage(items=items, next_cursor=next_cursor)


def get_inbox_message(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    message_id: uuid.UUID,
    audit: AuditContext,
) -> InboxItem:
    """One message addressed to the caller; another's is not found, as an absent one."""
    with audited(
        sessions=sessions,
        caller=caller,
        audit=audit,
        action="inbox.get",
        resource_type="inbox-message",
        resource_id=str(message_id),
    ) as access:
        caller.require_municipality()
        message = inbox_store.get_inbox_message(
            session=access.session, message_id=message_id, municipality_id=caller.organisation_id
        )
        if message is None:
            raise NotFound("no such inbox message")
        access.touches(message.episode_id)
        if message.payload_deleted_at is not None:
            raise Gone("the message was deleted on the retention schedule")
        return _with_episodes(access.session, [message])[0]


def acknowledge(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    message_id: uuid.UUID,
    accepted: bool,
    reason: str | None,
    audit: AuditContext,
    now: datetime,
) -> InboxMessage:
    """Record the municipality's answer. Idempotent: the same answer again changes nothing."""
    with audited(
        sessions=sessions,
        caller=caller,
        audit=audit,
        action="inbox.ack",
        resource_type="inbox-message",
        resource_id=str(message_id),
    ) as access:
        message = _answer(
            session=access.session,
            caller=caller,
            message_id=message_id,
            accepted=accepted,
            reason=reason,
            via="rest",
            now=now,
        )
        access.touches(message.episode_id)
        return message


def _answer(
    *,
    session: Session,
    caller: Caller,
    message_id: uuid.UUID,
    accepted: bool,
    reason: str | None,
    via: str,
    now: datetime,
) -> InboxMessage:
    caller.require_municipality()
    message = inbox_store.get_inbox_message(
        session=session,
        message_id=message_id,
        municipality_id=caller.organisation_id,
        for_update=True,
    )
    if message is None:
        raise NotFound("no such inbox message")
    status = "acknowledged" if accepted else "rejected"
    if message.status == status and (accepted or message.reject_reason == reason):
        return message
    if message.status in ("acknowledged", "rejected"):
        raise Unprocessable(f"the message was already {message.status}; an answer is final")
    message.status = status
    message.acknowledged_at = now
    message.reject_reason = None if accepted else reason
    session.add(
        Acknowledgement(
            inbox_message_id=message.id,
            api_client_id=caller.client_id,
            status=status,
            reason=message.reject_reason,
            via=via,
            received_at=now,
        )
    )
    session.flush()
    return message


def _with_episodes(session: Session, messages: list[InboxMessage]) -> list[InboxItem]:
    episodes = inbox_store.episodes_with_keys(
        session=session, episode_ids={message.episode_id for message in messages}
    )
    return [
        InboxItem(
            message=m,
            episode=episodes[m.episode_id][0],
            episode_identifier=episodes[m.episode_id][1],
        )
        for m in messages
    ]


def acknowledge_by_header(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    header_id: str,
    code: str,
    reason: str | None,
    audit: AuditContext,
    now: datetime,
) -> InboxMessage:
    """A MedCom Acknowledgement from the municipality: ok accepts, fatal-error rejects.

    A transient-error says the municipality could not take the message yet; it changes nothing
    and the message stays in the inbox to be fetched again.
    """
    with audited(
        sessions=sessions,
        caller=caller,
        audit=audit,
        action="inbox.ack-fhir",
        resource_type="message",
        resource_id=header_id,
    ) as access:
        caller.require_municipality()
        found = inbox_store.find_inbox_messages_by_header(
            session=access.session, header_id=header_id, municipality_id=caller.organisation_id
        )
        if not found:
            raise NotFound("no inbox message of this municipality has that MessageHeader.id")
        if len(found) > 1:
            raise Conflict(
                "two senders' messages in the inbox carry that MessageHeader.id: acknowledge "
                "the message by its inbox id (POST /api/v1/inbox/{id}/ack)"
            )
        message = found[0]
        access.touches(message.episode_id)
        if code == "transient-error":
            return message
        accepted = code == "ok"
        return _answer(
            session=access.session,
            caller=caller,
            message_id=message.id,
            accepted=accepted,
            reason=None if accepted else (reason or "fatal-error without details"),
            via="fhir",
            now=now,
        )
