"""The board's figures, for the page and the CSV export alike: read the scope's episodes once,
compute every figure of figures.md from them. No personal data leaves here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from overgang.domain.retention import citizen_key as keyed
from overgang.domain.visibility import Scope
from overgang.figures.compute import (
    Discharge,
    FigureRow,
    Grouping,
    PlanFacts,
    discharges,
    figure_rows,
    plans,
)
from overgang.figures.definitions import FIGURES
from overgang.figures.export import to_csv
from overgang.storage import figures as figures_store


@dataclass(frozen=True)
class FigureFacts:
    """What every figure is counted from: the scope's discharges and plans."""

    discharges: Sequence[Discharge]
    plans: Sequence[PlanFacts]
    today: date


def load_facts(
    *,
    sessions: sessionmaker[Session],
    scope: Scope,
    today: date,
    citizen_key: bytes | None = None,
) -> FigureFacts:
    """Read the scope's episodes once. With the retention key, a citizen's episodes before and
    after pseudonymisation are one citizen's; without it, the CPR number links them."""
    with sessions() as session:
        rows = figures_store.episode_rows(
            session=session, scope=scope, citizen=_citizen_namer(citizen_key)
        )
    return FigureFacts(discharges=discharges(rows), plans=plans(rows, today=today), today=today)


def _citizen_namer(key: bytes | None) -> Callable[[str | None, str | None], str | None]:
    def name(cpr: str | None, pseudonym: str | None) -> str | None:
        if key is not None and cpr is not None:
            return keyed(cpr, key=key)
        return cpr or pseudonym

    return name


def figure(facts: FigureFacts, figure_id: str, *, by: Grouping = "region") -> list[FigureRow]:
    """One figure per month of its index event, for the whole scope or per municipality, ward,
    or municipality and ward. Raises KeyError for an id figures.md does not define."""
    return figure_rows(
        figure_id, discharged=facts.discharges, planned=facts.plans, grouping=by, today=facts.today
    )


def board_figures(
    *,
    sessions: sessionmaker[Session],
    scope: Scope,
    today: date,
    by: Grouping = "region",
    citizen_key: bytes | None = None,
) -> dict[str, list[FigureRow]]:
    """Every figure of figures.md, by id, from one read of the scope's episodes."""
    facts = load_facts(sessions=sessions, scope=scope, today=today, citizen_key=citizen_key)
    return {figure_id: figure(facts, figure_id, by=by) for figure_id in FIGURES}


def figure_table(
    *,
    sessions: sessionmaker[Session],
    scope: Scope,
    figure_id: str,
    today: date,
    by: Grouping = "region",
    citizen_key: bytes | None = None,
) -> list[FigureRow]:
    """One figure, per month and the grouping asked for."""
    if figure_id not in FIGURES:
        raise KeyError(figure_id)
    facts = load_facts(sessions=sessions, scope=scope, today=today, citizen_key=citizen_key)
    return figure(facts, figure_id, by=by)


def figure_csv(
    *,
    sessions: sessionmaker[Session],
    scope: Scope,
    figure_id: str,
    today: date,
    citizen_key: bytes | None = None,
) -> str:
    """One figure as CSV: one row per month x municipality x ward (figures.md), same numbers."""
    rows = figure_table(
        sessions=sessions,
        scope=scope,
        figure_id=figure_id,
        today=today,
        by="municipality-ward",
        citizen_key=citizen_key,
    )
    return to_csv(rows)
