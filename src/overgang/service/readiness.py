"""The municipality's readiness answer, and the ward's pre-flight: what is still missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from overgang.checklist import ChecklistCatalog, ChecklistResult
from overgang.domain.judging import JudgedTime
from overgang.service.audit import AuditContext, audited
from overgang.service.caller import Caller
from overgang.service.checklist import discharge_at, evaluate_episode, judge, judged_time_for
from overgang.service.episodes import find_visible_episode


@dataclass(frozen=True)
class Preflight:
    episode_identifier: str
    judged: JudgedTime
    discharge_at: datetime | None
    result: ChecklistResult


def answer_readiness(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    identifier: str,
    ready: bool,
    ready_from: date | None,
    reason: str | None,
    checklists: ChecklistCatalog,
    audit: AuditContext,
    now: datetime,
) -> ChecklistResult:
    """Record the addressed municipality's answer and judge the episode again."""
    with audited(
        sessions=sessions,
        caller=caller,
        audit=audit,
        action="episode.readiness",
        resource_type="episode",
        resource_id=identifier,
    ) as access:
        caller.require_municipality()
        session = access.session
        episode = find_visible_episode(session=session, caller=caller, identifier=identifier)
        access.touches(episode.id)
        episode.readiness_ready = ready
        episode.readiness_from = ready_from if ready else None
        episode.readiness_reason = reason
        episode.readiness_answered_at = now
        episode.updated_at = now
        session.flush()
        return evaluate_episode(
            session=session, episode=episode, catalog=checklists, trigger="readiness", now=now
        )


def preflight(
    *,
    sessions: sessionmaker[Session],
    caller: Caller,
    identifier: str,
    checklists: ChecklistCatalog,
    audit: AuditContext,
) -> Preflight:
    """What would be missing if the ward discharged at the planned time (or, once discharged,
    what was missing at the actual time). Nothing is stored but the audit row."""
    with audited(
        sessions=sessions,
        caller=caller,
        audit=audit,
        action="episode.preflight",
        resource_type="episode",
        resource_id=identifier,
    ) as access:
        episode = find_visible_episode(session=access.session, caller=caller, identifier=identifier)
        access.touches(episode.id)
        judged = judged_time_for("preflight", episode)
        return Preflight(
            episode_identifier=identifier,
            judged=judged,
            discharge_at=discharge_at(episode, judged),
            result=judge(
                session=access.session, episode=episode, catalog=checklists, judged=judged
            ),
        )
