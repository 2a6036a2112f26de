"""What the transition board shows a signed-in person, scoped to their organisation (profile §9)
and audited as an API read is.

`admitted_now` is the board's own minimal query until the figures package's live lists land
(branch `figures`): replace its body with theirs, keeping the scope and the audit here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from overgang.domain.episode import EpisodeState
from overgang.domain.people import Viewer
from overgang.errors import NotFound
from overgang.service.audit import AuditContext, audited
from overgang.service.episodes import EpisodeView, episode_view
from overgang.storage.models import Episode, Organisation

IN_HOSPITAL = (EpisodeState.ADMITTED.value, EpisodeState.ON_LEAVE.value)


@dataclass(frozen=True)
class AdmittedStay:
    """One citizen in a ward now, as a row of the list."""

    episode_id: uuid.UUID
    cpr: str | None
    on_leave: bool
    ward: str
    municipality: str
    admitted_at: datetime | None
    planned_discharge_at: datetime | None
    readiness_ready: bool | None


def visible_to(viewer: Viewer) -> ColumnElement[bool]:
    """The one rule of which episodes a person sees: a municipality its residents', a hospital
    or region those it owns. The same rule as the API's (service.episodes)."""
    if viewer.municipality_id is not None:
        return Episode.municipality_organisation_id == viewer.municipality_id
    if viewer.owner:
        return Episode.owner == viewer.owner
    return Episode.id.is_(None)  # belongs nowhere: sees nothing


def admitted_now(
    *, sessions: sessionmaker[Session], viewer: Viewer, audit: AuditContext
) -> list[AdmittedStay]:
    """The viewer's citizens admitted now (on leave too), by ward, municipality and admission."""
    ward, municipality = aliased(Organisation), aliased(Organisation)
    with audited(
        sessions=sessions,
        caller=viewer,
        audit=audit,
        action="board.admitted-now",
        resource_type="episode-list",
    ) as access:
        rows = access.session.execute(
            select(Episode, ward.name, municipality.name)
            .join(ward, ward.id == Episode.hospital_organisation_id)
            .join(municipality, municipality.id == Episode.municipality_organisation_id)
            .where(visible_to(viewer), Episode.state.in_(IN_HOSPITAL))
            .order_by(ward.name, municipality.name, Episode.admitted_at, Episode.id)
        ).all()
        access.touches(*(episode.id for episode, _, _ in rows))
        return [
            AdmittedStay(
                episode_id=episode.id,
                cpr=episode.cpr,
                on_leave=episode.state == EpisodeState.ON_LEAVE.value,
                ward=ward_name,
                municipality=municipality_name,
                admitted_at=episode.admitted_at,
                planned_discharge_at=episode.planned_discharge_at,
                readiness_ready=episode.readiness_ready,
            )
            for episode, ward_name, municipality_name in rows
        ]


def open_stay(
    *, sessions: sessionmaker[Session], viewer: Viewer, episode_id: str, audit: AuditContext
) -> EpisodeView:
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
        episode = access.session.scalars(
            select(Episode).where(Episode.id == key, visible_to(viewer))
        ).first()
        if episode is None:
            raise NotFound("no such stay")
        access.touches(episode.id)
        return episode_view(session=access.session, episode=episode)
