"""What the transition board shows a signed-in person: the live lists, one stay and a search for
a citizen, each limited to `Scope.of(viewer)` (profile §9) and audited as an API read is, with
the episodes shown; a page that shows nobody is audited too."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from overgang.checklist import ChecklistCatalog, ChecklistResult
from overgang.domain.identifiers import InvalidIdentifier, normalise_cpr
from overgang.domain.people import Viewer
from overgang.domain.visibility import Scope
from overgang.errors import NotFound
from overgang.service import live_lists
from overgang.service.audit import AuditContext, audited
from overgang.service.episodes import EpisodeView, episode_view
from overgang.service.live_lists import AdmittedNow, ExpectedDischarge, WaitingForMunicipality
from overgang.storage import board as board_store
from overgang.storage.board import AcknowledgementRow, CitizenStayRow, WaitingMessageRow
from overgang.storage.models import ChecklistEvaluation

Shown = TypeVar("Shown")


@dataclass(frozen=True)
class StayView:
    """One stay: the episode as the API shows it, the checklist result with its Danish titles,
    and what the municipality did (readiness answers, acknowledgements)."""

    episode: EpisodeView
    checklist: ChecklistResult | None
    readiness_answered: list[datetime]
    acknowledgements: list[AcknowledgementRow]


def _audited_list(
    *,
    sessions: sessionmaker[Session],
    viewer: Viewer,
    audit: AuditContext,
    action: str,
    read: Callable[[Session, Scope], Shown],
    episodes_of: Callable[[Shown], Iterable[uuid.UUID]],
) -> Shown:
    with audited(
        sessions=sessions, caller=viewer, audit=audit, action=action, resource_type="episode-list"
    ) as access:
        shown = read(access.session, Scope.of(viewer))
        access.touches(*episodes_of(shown))
        return shown


def admitted_now(
    *, sessions: sessionmaker[Session], viewer: Viewer, audit: AuditContext
) -> AdmittedNow:
    """The viewer's citizens in hospital now, per ward and municipality, those on leave apart."""
    return _audited_list(
        sessions=sessions,
        viewer=viewer,
        audit=audit,
        action="board.admitted-now",
        read=lambda session, scope: live_lists.admitted_now(session=session, scope=scope),
        episodes_of=lambda shown: shown.episode_ids,
    )


def expected_discharges(
    *, sessions: sessionmaker[Session], viewer: Viewer, audit: AuditContext, now: datetime
) -> list[ExpectedDischarge]:
    """The viewer's citizens planned to go home within seven days, with their flags."""
    return _audited_list(
        sessions=sessions,
        viewer=viewer,
        audit=audit,
        action="board.expected-discharges",
        read=lambda session, scope: live_lists.expected_discharges(
            session=session, scope=scope, now=now
        ),
        episodes_of=lambda shown: (item.episode.episode_id for item in shown),
    )


def waiting_for_municipality(
    *, sessions: sessionmaker[Session], viewer: Viewer, audit: AuditContext, today: date
) -> WaitingForMunicipality:
    """Plans with no answer yet, and citizens past their planned date whom nobody takes yet."""
    return _audited_list(
        sessions=sessions,
        viewer=viewer,
        audit=audit,
        action="board.waiting",
        read=lambda session, scope: live_lists.waiting_for_municipality(
            session=session, scope=scope, today=today
        ),
        episodes_of=lambda shown: shown.episode_ids,
    )


def undelivered_messages(
    *, sessions: sessionmaker[Session], viewer: Viewer, audit: AuditContext
) -> list[WaitingMessageRow]:
    """The viewer's messages not delivered yet, or delivered and not acknowledged."""
    return _audited_list(
        sessions=sessions,
        viewer=viewer,
        audit=audit,
        action="board.messages",
        read=lambda session, scope: live_lists.undelivered_messages(session=session, scope=scope),
        episodes_of=lambda shown: (message.episode_id for message in shown),
    )


def cpr_to_search(typed: str) -> str | None:
    """The 10 digits of a CPR number typed as DDMMYY-SSSS or DDMMYYSSSS, spaces allowed; None
    when it is not one (nothing is then looked up)."""
    if len(typed) > 40:  # a CPR number with generous spacing is far shorter
        return None
    try:
        return normalise_cpr("".join(typed.split()))
    except InvalidIdentifier:
        return None


def search_citizen(
    *, sessions: sessionmaker[Session], viewer: Viewer, audit: AuditContext, cpr: str
) -> list[CitizenStayRow]:
    """The viewer's stays of the citizen with this CPR number, newest first. Another's citizen
    is not found, exactly as an unknown one; the audit row names the stays found, never the
    number searched for."""
    return _audited_list(
        sessions=sessions,
        viewer=viewer,
        audit=audit,
        action="board.search",
        read=lambda session, scope: board_store.stays_of_citizen(
            session=session, scope=scope, cpr=cpr
        ),
        episodes_of=lambda shown: (stay.episode_id for stay in shown),
    )


def open_stay(
    *,
    sessions: sessionmaker[Session],
    viewer: Viewer,
    episode_id: str,
    checklists: ChecklistCatalog,
    audit: AuditContext,
) -> StayView:
    """One stay of the viewer's: timeline, checklist, what was sent and what the municipality
    did. Another's stay is not found, exactly as one that does not exist."""
    with audited(
        sessions=sessions,
        caller=viewer,
        audit=audit,
        action="board.stay",
        resource_type="episode",
        resource_id=episode_id,
    ) as access:
        try:
            key = uuid.UUID(episode_id)
        except ValueError:
            raise NotFound("no such stay") from None
        session = access.session
        episode = board_store.episode_in_scope(
            session=session, scope=Scope.of(viewer), episode_id=key
        )
        if episode is None:
            raise NotFound("no such stay")
        access.touches(episode.id)
        view = episode_view(session=session, episode=episode)
        return StayView(
            episode=view,
            checklist=(
                None if view.evaluation is None else _with_titles(view.evaluation, checklists)
            ),
            readiness_answered=board_store.readiness_answer_times(
                session=session, episode_id=episode.id
            ),
            acknowledgements=board_store.acknowledgements(session=session, episode_id=episode.id),
        )


def _with_titles(evaluation: ChecklistEvaluation, checklists: ChecklistCatalog) -> ChecklistResult:
    """The stored result, with the Danish titles of the checklist version that judged it."""
    try:
        definition = checklists.get(evaluation.checklist_id, evaluation.checklist_version)
    except KeyError:  # a version no longer installed: the item ids stand in for titles
        definition = None
    return ChecklistResult.from_json(evaluation.result, definition=definition)


def item_titles(checklists: ChecklistCatalog) -> dict[str, str]:
    """Each active checklist item's Danish title, by item id."""
    return {item.id: item.title_da for d in checklists.active() for item in d.items}
