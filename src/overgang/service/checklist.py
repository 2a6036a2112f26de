"""Judging an episode against the agreed checklist, and keeping every judgement.

The newest evaluation is current; each one records its time, the checklist version that judged
it, what triggered it, and whether it judged the planned or the actual discharge time.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from overgang.checklist import ChecklistCatalog, ChecklistResult, evaluate_checklist
from overgang.domain.content import DischargeContent
from overgang.domain.issues import CHECKLIST_ITEM_SYSTEM, Issue
from overgang.domain.judging import JudgedTime, judged_discharge_at
from overgang.domain.judging import judged_time_for as judged_time_for_trigger
from overgang.domain.snapshot import EpisodeSnapshot, Readiness
from overgang.storage import episodes as episode_store
from overgang.storage.models import ChecklistEvaluation, Episode, Organisation
from overgang.storage.rows import insert_new

ADMISSION_CODES = frozenset({"STIN", "STAA", "RE_STIN", "RE_STAA"})


class JudgedEpisode(Protocol):
    """What judging reads of an episode: a loaded `Episode`, or intake's `HeldEpisode`."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def municipality_organisation_id(self) -> uuid.UUID: ...
    @property
    def planned_discharge_at(self) -> datetime | None: ...
    @property
    def discharged_at(self) -> datetime | None: ...
    @property
    def content(self) -> dict[str, Any] | None: ...
    @property
    def readiness_ready(self) -> bool | None: ...
    @property
    def readiness_from(self) -> date | None: ...
    @property
    def readiness_reason(self) -> str | None: ...
    @property
    def readiness_answered_at(self) -> datetime | None: ...


class TimelineEntry(Protocol):
    """What judging reads of a timeline event: a stored row or a `TimelineEvent`."""

    @property
    def code(self) -> str: ...
    @property
    def message_timestamp(self) -> datetime: ...


def judged_time_for(trigger: str, episode: JudgedEpisode) -> JudgedTime:
    """Which of the episode's discharge times a judgement triggered so measures against."""
    return judged_time_for_trigger(trigger, discharged=episode.discharged_at is not None)


def discharge_at(episode: JudgedEpisode, judged: JudgedTime) -> datetime | None:
    return judged_discharge_at(
        judged, planned_at=episode.planned_discharge_at, discharged_at=episode.discharged_at
    )


def snapshot_of(
    *,
    session: Session,
    episode: JudgedEpisode,
    judged: JudgedTime,
    events: Sequence[TimelineEntry] | None = None,
    municipality_sor: str | None = None,
    content: DischargeContent | None = None,
) -> EpisodeSnapshot:
    """The episode's whole state, as the checklist rules see it.

    `events` is the whole timeline when the caller already holds it (in any order, rows not yet
    flushed included), and `municipality_sor` its municipality's SOR; otherwise they are read.
    `content` is the episode's content when the caller has it as read from the message (the
    stored form round-trips exactly), so it is not read back from the column.
    """
    if events is None:
        events = episode_store.episode_events(session=session, episode_id=episode.id)
    if municipality_sor is None:
        municipality_sor = session.get_one(Organisation, episode.municipality_organisation_id).sor
    plan_times = [e.message_timestamp for e in events if e.code == "discharge-plan"]
    readiness = None
    if episode.readiness_ready is not None and episode.readiness_answered_at is not None:
        readiness = Readiness(
            ready=episode.readiness_ready,
            ready_from=episode.readiness_from,
            reason=episode.readiness_reason,
            answered_at=episode.readiness_answered_at,
        )
    return EpisodeSnapshot(
        discharge_at=discharge_at(episode, judged),
        admission_notified=any(e.code in ADMISSION_CODES for e in events),
        first_plan_sent_at=min(plan_times, default=None),
        content=content if content is not None else _stored_content(episode),
        readiness=readiness,
        municipality_sors=frozenset({municipality_sor}),
    )


def _stored_content(episode: JudgedEpisode) -> DischargeContent:
    return DischargeContent.from_json(episode.content) if episode.content else DischargeContent()


def judge(
    *,
    session: Session,
    episode: JudgedEpisode,
    catalog: ChecklistCatalog,
    judged: JudgedTime,
    events: Sequence[TimelineEntry] | None = None,
    municipality_sor: str | None = None,
    content: DischargeContent | None = None,
) -> ChecklistResult:
    """Evaluate without storing: the pre-flight a ward asks for."""
    snapshot = snapshot_of(
        session=session,
        episode=episode,
        judged=judged,
        events=events,
        municipality_sor=municipality_sor,
        content=content,
    )
    return evaluate_checklist(catalog.for_pathway(snapshot.content.pathway), snapshot)


def evaluate_episode(
    *, session: Session, episode: Episode, catalog: ChecklistCatalog, trigger: str, now: datetime
) -> ChecklistResult:
    """Judge the episode now and keep the result as its current one."""
    judged = judged_time_for(trigger, episode)
    result = judge(session=session, episode=episode, catalog=catalog, judged=judged)
    keep_evaluation(
        session=session, episode=episode, result=result, trigger=trigger, judged=judged, now=now
    )
    return result


def keep_evaluation(
    *,
    session: Session,
    episode: JudgedEpisode,
    result: ChecklistResult,
    trigger: str,
    judged: JudgedTime,
    now: datetime,
    result_json: dict[str, Any] | None = None,
) -> None:
    """Keep a judgement of the episode as its current one (`result_json`: its stored form,
    when the caller has made it already)."""
    insert_new(
        session,
        ChecklistEvaluation(
            episode_id=episode.id,
            evaluated_at=now,
            trigger=trigger,
            judged_time=judged,
            discharge_at=discharge_at(episode, judged),
            checklist_id=result.id,
            checklist_version=result.version,
            complete=result.complete,
            result=result_json or result.to_json(),
        ),
    )


def latest_evaluation(*, session: Session, episode: Episode) -> ChecklistEvaluation | None:
    return session.scalars(
        select(ChecklistEvaluation)
        .where(ChecklistEvaluation.episode_id == episode.id)
        .order_by(ChecklistEvaluation.evaluated_at.desc())
        .limit(1)
    ).first()


def checklist_issues(result: ChecklistResult) -> list[Issue]:
    """One issue per unmet item: an error when required, a warning when recommended."""
    return [
        Issue(
            severity="error" if item.severity == "required" else "warning",
            code="business-rule",
            diagnostics=item.explanation or item.title_da or item.id,
            details_system=CHECKLIST_ITEM_SYSTEM,
            details_code=item.id,
        )
        for item in result.missing
    ]
