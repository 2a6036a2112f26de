"""Queries for the board's live lists: the open episodes and the unacknowledged messages of a
scope. Personal data: the service hands them only to a viewer of the scope's organisation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.orm import Session, aliased

from overgang.domain.visibility import Scope
from overgang.storage.episodes import in_scope
from overgang.storage.figures import first_plan_arrivals
from overgang.storage.models import (
    Acknowledgement,
    ChecklistEvaluation,
    Episode,
    EpisodeIdentifier,
    InboxMessage,
    Organisation,
)

OPEN_STATES: Final = ("admitted", "on-leave")
WAITING_STATUSES: Final = ("pending", "delivered")  # not delivered, or not acknowledged


@dataclass(frozen=True, kw_only=True)
class OpenEpisodeRow:
    episode_id: uuid.UUID
    identifier: str | None
    cpr: str | None
    state: str  # admitted | on-leave
    ward_sor: str
    ward_name: str
    municipality_code: str
    municipality_name: str
    admitted_at: datetime | None
    planned_discharge_at: datetime | None
    pathway: str | None
    weekend_discharge_agreed: bool
    ready: bool | None
    ready_from: date | None
    answered_at: datetime | None
    first_plan_at: datetime | None
    checklist_items: tuple[tuple[str, str], ...]  # the newest judgement: (item id, status)


@dataclass(frozen=True, kw_only=True)
class WaitingMessageRow:
    message_id: uuid.UUID
    kind: str
    status: str
    created_at: datetime
    delivered_at: datetime | None
    follow_up_flagged_at: datetime | None
    municipality_code: str
    municipality_name: str
    episode_id: uuid.UUID
    identifier: str | None
    cpr: str | None


def _identifier() -> ScalarSelect[str]:
    return (
        select(func.min(EpisodeIdentifier.value))
        .where(EpisodeIdentifier.episode_id == Episode.id)
        .correlate(Episode)
        .scalar_subquery()
    )


def open_episodes(*, session: Session, scope: Scope) -> list[OpenEpisodeRow]:
    """The scope's episodes still in hospital (admitted or on leave)."""
    ward = aliased(Organisation)
    municipality = aliased(Organisation)
    rows = session.execute(
        in_scope(
            select(
                Episode.id,
                _identifier(),
                Episode.cpr,
                Episode.state,
                ward.sor,
                ward.name,
                municipality.municipality_code,
                municipality.name,
                Episode.admitted_at,
                Episode.planned_discharge_at,
                Episode.content["pathway"].as_string(),
                Episode.content["weekend_discharge_agreed"].as_boolean(),
                Episode.readiness_ready,
                Episode.readiness_from,
                Episode.readiness_answered_at,
            )
            .join(ward, ward.id == Episode.hospital_organisation_id)
            .join(municipality, municipality.id == Episode.municipality_organisation_id)
            .where(Episode.state.in_(OPEN_STATES)),
            scope,
        )
    ).all()
    ids = [row[0] for row in rows]
    plans = first_plan_arrivals(session=session, scope=scope, states=OPEN_STATES)
    judged = _newest_judgements(session, ids)
    return [
        OpenEpisodeRow(
            episode_id=row[0],
            identifier=row[1],
            cpr=row[2],
            state=row[3],
            ward_sor=row[4],
            ward_name=row[5],
            municipality_code=row[6] or "",
            municipality_name=row[7],
            admitted_at=row[8],
            planned_discharge_at=row[9],
            pathway=row[10],
            weekend_discharge_agreed=bool(row[11]),
            ready=row[12],
            ready_from=row[13],
            answered_at=row[14],
            first_plan_at=plans.get(row[0]),
            checklist_items=judged.get(row[0], ()),
        )
        for row in rows
    ]


def _newest_judgements(
    session: Session, episode_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[tuple[str, str], ...]]:
    found: dict[uuid.UUID, tuple[datetime, tuple[tuple[str, str], ...]]] = {}
    for chunk in (episode_ids[i : i + 500] for i in range(0, len(episode_ids), 500)):
        rows = session.execute(
            select(
                ChecklistEvaluation.episode_id,
                ChecklistEvaluation.evaluated_at,
                ChecklistEvaluation.result["items"],
            ).where(ChecklistEvaluation.episode_id.in_(chunk))
        ).all()
        for episode_id, at, items in rows:
            if episode_id not in found or at > found[episode_id][0]:
                statuses = tuple((str(i["id"]), str(i["status"])) for i in items or ())
                found[episode_id] = (at, statuses)
    return {episode_id: items for episode_id, (_, items) in found.items()}


def waiting_messages(*, session: Session, scope: Scope) -> list[WaitingMessageRow]:
    """The scope's inbox messages not yet delivered, or delivered and not acknowledged."""
    municipality = aliased(Organisation)
    rows = session.execute(
        in_scope(
            select(
                InboxMessage.id,
                InboxMessage.kind,
                InboxMessage.status,
                InboxMessage.created_at,
                InboxMessage.delivered_at,
                InboxMessage.follow_up_flagged_at,
                municipality.municipality_code,
                municipality.name,
                Episode.id,
                _identifier(),
                Episode.cpr,
            )
            .join(Episode, Episode.id == InboxMessage.episode_id)
            .join(municipality, municipality.id == InboxMessage.municipality_organisation_id)
            .where(InboxMessage.status.in_(WAITING_STATUSES))
            .order_by(InboxMessage.created_at),
            scope,
        )
    ).all()
    return [
        WaitingMessageRow(
            message_id=row[0],
            kind=row[1],
            status=row[2],
            created_at=row[3],
            delivered_at=row[4],
            follow_up_flagged_at=row[5],
            municipality_code=row[6] or "",
            municipality_name=row[7],
            episode_id=row[8],
            identifier=row[9],
            cpr=row[10],
        )
        for row in rows
    ]


def episode_in_scope(*, session: Session, scope: Scope, episode_id: uuid.UUID) -> Episode | None:
    """The episode with this id if it is the scope's; else None, as if there were none."""
    return session.scalars(in_scope(select(Episode).where(Episode.id == episode_id), scope)).first()


@dataclass(frozen=True, kw_only=True)
class AcknowledgementRow:
    inbox_message_id: uuid.UUID
    kind: str
    status: str  # acknowledged | rejected
    reason: str | None
    via: str  # rest | fhir
    received_at: datetime


def acknowledgements(*, session: Session, episode_id: uuid.UUID) -> list[AcknowledgementRow]:
    """The municipality's answers to the episode's inbox messages, oldest first."""
    rows = session.execute(
        select(
            Acknowledgement.inbox_message_id,
            InboxMessage.kind,
            Acknowledgement.status,
            Acknowledgement.reason,
            Acknowledgement.via,
            Acknowledgement.received_at,
        )
        .join(InboxMessage, InboxMessage.id == Acknowledgement.inbox_message_id)
        .where(InboxMessage.episode_id == episode_id)
        .order_by(Acknowledgement.received_at, Acknowledgement.id)
    ).all()
    return [
        AcknowledgementRow(
            inbox_message_id=row[0],
            kind=row[1],
            status=row[2],
            reason=row[3],
            via=row[4],
            received_at=row[5],
        )
        for row in rows
    ]


def readiness_answer_times(*, session: Session, episode_id: uuid.UUID) -> list[datetime]:
    """When the municipality answered the discharge plan: each answer is judged once, so the
    checklist's judgements triggered by readiness keep the times (only the newest answer's
    content is kept, on the episode)."""
    return list(
        session.scalars(
            select(ChecklistEvaluation.evaluated_at)
            .where(
                ChecklistEvaluation.episode_id == episode_id,
                ChecklistEvaluation.trigger == "readiness",
            )
            .order_by(ChecklistEvaluation.evaluated_at)
        )
    )


@dataclass(frozen=True, kw_only=True)
class CitizenStayRow:
    episode_id: uuid.UUID
    cpr: str
    state: str
    ward_name: str
    municipality_name: str
    admitted_at: datetime | None
    discharged_at: datetime | None


def stays_of_citizen(*, session: Session, scope: Scope, cpr: str) -> list[CitizenStayRow]:
    """The scope's episodes of the citizen with this CPR number (10 digits), newest first.
    Episodes whose CPR number retention has removed are not among them."""
    ward = aliased(Organisation)
    municipality = aliased(Organisation)
    rows = session.execute(
        in_scope(
            select(
                Episode.id,
                Episode.cpr,
                Episode.state,
                ward.name,
                municipality.name,
                Episode.admitted_at,
                Episode.discharged_at,
            )
            .join(ward, ward.id == Episode.hospital_organisation_id)
            .join(municipality, municipality.id == Episode.municipality_organisation_id)
            .where(Episode.cpr == cpr)
            .order_by(func.coalesce(Episode.admitted_at, Episode.created_at).desc(), Episode.id),
            scope,
        )
    ).all()
    return [
        CitizenStayRow(
            episode_id=row[0],
            cpr=row[1] or cpr,
            state=row[2],
            ward_name=row[3],
            municipality_name=row[4],
            admitted_at=row[5],
            discharged_at=row[6],
        )
        for row in rows
    ]
