"""Taking one message in one transaction, safe against the same message arriving twice at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from overgang.checklist import ChecklistCatalog
from overgang.domain.messages import InboundMessage
from overgang.service.caller import Caller
from overgang.service.receive import RawMessage, Receipt, receive_message
from overgang.storage.db import transaction


def take_message(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    message: InboundMessage,
    raw: Callable[[Session], RawMessage],
    checklists: ChecklistCatalog,
    now: datetime,
) -> Receipt:
    """Receive the message; if a concurrent copy committed first, answer as to a resend."""

    def receive() -> Receipt:
        with transaction(sessions) as session:
            return receive_message(
                session=session,
                caller=caller,
                message=message,
                raw=raw(session),
                checklists=checklists,
                now=now,
            )

    try:
        return receive()
    except IntegrityError:
        # The unique MessageHeader.id caught the race; the stored copy now gives the answer.
        return receive()
