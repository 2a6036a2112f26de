"""The board's live lists (personal data): who is admitted now, who is expected home within a
week and what is still missing, who waits for the municipality, and which messages nobody has
taken. Each reads, in the caller's transaction, the episodes of one scope (profile §9:
`Scope.of(viewer)`); service/board.py audits the episodes a page shows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import groupby

from sqlalchemy.orm import Session

from overgang.checklist.calendar import WorkCalendar, local_date
from overgang.domain.visibility import Scope
from overgang.figures.stays import closed_day_discharge
from overgang.storage import board as board_store
from overgang.storage.board import OpenEpisodeRow, WaitingMessageRow

CALENDAR = WorkCalendar()
PLAN_ITEM = "discharge-plan-shared-early"
_NEVER = datetime.max.replace(tzinfo=UTC)  # an admission time not known yet sorts last


@dataclass(frozen=True)
class AdmittedNow:
    """In the ward, and on leave apart; each sorted by ward, municipality and admission."""

    admitted: list[OpenEpisodeRow]
    on_leave: list[OpenEpisodeRow]

    @property
    def episode_ids(self) -> list[uuid.UUID]:
        return [e.episode_id for e in (*self.admitted, *self.on_leave)]

    @property
    def admitted_by_place(self) -> list[Place]:
        return _grouped(self.admitted)

    @property
    def on_leave_by_place(self) -> list[Place]:
        return _grouped(self.on_leave)


Place = tuple[str, str, list[OpenEpisodeRow]]  # ward, municipality, their episodes


def _grouped(episodes: list[OpenEpisodeRow]) -> list[Place]:
    """Episodes sorted by ward and municipality, in one group per pair."""
    return [
        (ward, municipality, list(group))
        for (ward, municipality), group in groupby(
            episodes, key=lambda e: (e.ward_name, e.municipality_name)
        )
    ]


@dataclass(frozen=True, kw_only=True)
class ExpectedDischarge:
    episode: OpenEpisodeRow
    plan_missing: bool
    plan_late: bool  # the checklist's lead time is not met at the planned time
    closed_day: str | None  # Friday afternoon, weekend, holiday or the afternoon before one
    weekend_agreed: bool
    missing_items: tuple[str, ...]  # what the newest checklist result still misses

    @property
    def needs_attention(self) -> bool:
        return bool(self.plan_missing or self.plan_late or self.closed_day or self.missing_items)


@dataclass(frozen=True, kw_only=True)
class UnansweredPlan:
    episode: OpenEpisodeRow
    plan_sent_at: datetime
    working_days_waiting: int


@dataclass(frozen=True, kw_only=True)
class PastPlannedDate:
    episode: OpenEpisodeRow
    days_waiting: int  # local days since the planned discharge date


@dataclass(frozen=True)
class WaitingForMunicipality:
    unanswered: list[UnansweredPlan]
    past_planned_date: list[PastPlannedDate]

    @property
    def episode_ids(self) -> list[uuid.UUID]:
        return [i.episode.episode_id for i in self.unanswered] + [
            i.episode.episode_id for i in self.past_planned_date
        ]


def _by_place(episode: OpenEpisodeRow) -> tuple[str, str, datetime]:
    return (episode.ward_name, episode.municipality_name, episode.admitted_at or _NEVER)


def admitted_now(*, session: Session, scope: Scope) -> AdmittedNow:
    """The scope's citizens in hospital now, per ward and municipality; those on leave apart."""
    episodes = sorted(board_store.open_episodes(session=session, scope=scope), key=_by_place)
    return AdmittedNow(
        admitted=[e for e in episodes if e.state != "on-leave"],
        on_leave=[e for e in episodes if e.state == "on-leave"],
    )


def expected_discharges(
    *, session: Session, scope: Scope, now: datetime, days: int = 7
) -> list[ExpectedDischarge]:
    """Planned discharges from today to `days` days ahead, soonest first, with their flags."""
    first, last = local_date(now), local_date(now) + timedelta(days=days)
    found = []
    for episode in board_store.open_episodes(session=session, scope=scope):
        planned = episode.planned_discharge_at
        if planned is None or not first <= local_date(planned) <= last:
            continue
        statuses = dict(episode.checklist_items)
        found.append(
            ExpectedDischarge(
                episode=episode,
                plan_missing=episode.first_plan_at is None,
                plan_late=statuses.get(PLAN_ITEM) == "missing",
                closed_day=closed_day_discharge(planned, CALENDAR),
                weekend_agreed=episode.weekend_discharge_agreed,
                missing_items=tuple(i for i, s in episode.checklist_items if s == "missing"),
            )
        )
    return sorted(found, key=lambda e: e.episode.planned_discharge_at or now)


def waiting_for_municipality(
    *, session: Session, scope: Scope, today: date
) -> WaitingForMunicipality:
    """Plans sent with no readiness answer yet; and citizens past their planned discharge date
    whom the municipality is not ready to take (no ready answer, or ready only later)."""
    unanswered: list[UnansweredPlan] = []
    past: list[PastPlannedDate] = []
    for episode in sorted(board_store.open_episodes(session=session, scope=scope), key=_by_place):
        if episode.first_plan_at is not None and episode.answered_at is None:
            sent = local_date(episode.first_plan_at)
            unanswered.append(
                UnansweredPlan(
                    episode=episode,
                    plan_sent_at=episode.first_plan_at,
                    working_days_waiting=CALENDAR.working_days_between(sent, today),
                )
            )
        planned = episode.planned_discharge_at
        ready_by_today = bool(episode.ready and episode.ready_from and episode.ready_from <= today)
        if planned is not None and local_date(planned) < today and not ready_by_today:
            past.append(
                PastPlannedDate(episode=episode, days_waiting=(today - local_date(planned)).days)
            )
    past.sort(key=lambda item: -item.days_waiting)
    return WaitingForMunicipality(unanswered=unanswered, past_planned_date=past)


def undelivered_messages(*, session: Session, scope: Scope) -> list[WaitingMessageRow]:
    """The scope's messages not delivered yet, or delivered and not acknowledged, oldest first."""
    return board_store.waiting_messages(session=session, scope=scope)
