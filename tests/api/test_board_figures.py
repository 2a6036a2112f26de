"""The board's figures and live lists over stays sent through the real API, on SQLite and
PostgreSQL: the numbers figures.md defines, and each viewer sees only its own citizens."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from overgang.domain.visibility import Scope
from overgang.service import live_lists as board
from overgang.service.figures import board_figures, figure_csv
from overgang.storage.db import create_db_engine, session_factory
from overgang.storage.models import Organisation
from tests.conftest import COPENHAGEN_GLN, COPENHAGEN_SOR, Api
from tests.messages import AALBORG_GLN, AALBORG_SOR, HOSPITAL_SOR
from tests.stays import Citizen, at, stay

OTHER = Citizen("0101802345", "Ida", "Holm")


def to_copenhagen(bundle: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(bundle).replace(AALBORG_SOR, COPENHAGEN_SOR)
    return dict(json.loads(text.replace(AALBORG_GLN, COPENHAGEN_GLN)))


def accepted(response: Any) -> None:
    assert response.status_code == 200, response.text


def test_figures_and_live_lists_through_the_api(api: Api, database_url: str) -> None:
    # Aalborg's citizen: discharged Monday 3 March, back on Thursday 6 March (a readmission
    # within 3 days), discharged again; Copenhagen's citizen admitted and still in hospital.
    first = stay(discharge_at=at(2025, 3, 3, 10))
    again = stay(discharge_at=at(2025, 3, 14, 10), admitted_at=at(2025, 3, 6, 9))
    for one in (first, again):
        for bundle in (one.admission, one.plan, one.discharge, one.handover):
            assert bundle is not None
            accepted(api.send(bundle))
    elsewhere = stay(discharge_at=at(2025, 3, 20, 10), citizen=OTHER)
    assert elsewhere.admission is not None and elsewhere.plan is not None
    accepted(api.send(to_copenhagen(elsewhere.admission)))
    accepted(api.send(to_copenhagen(elsewhere.plan)))

    sessions = session_factory(create_db_engine(database_url))
    with sessions() as session:
        orgs = {o.sor: o for o in session.query(Organisation)}
    aalborg, copenhagen = orgs[AALBORG_SOR].id, orgs[COPENHAGEN_SOR].id

    figures = board_figures(sessions=sessions, scope=Scope.everything(), today=date(2025, 6, 1))
    [readmitted] = figures["readmission-3d"]
    assert (readmitted.month, readmitted.numerator, readmitted.denominator) == ("2025-03", 1, 2)
    [complete] = figures["checklist-complete"]
    assert complete.denominator == 2
    by_ward = board_figures(
        sessions=sessions, scope=Scope.everything(), today=date(2025, 6, 1), by="ward"
    )
    assert {row.ward for row in by_ward["readmission-30d"]} == {HOSPITAL_SOR}
    csv_text = figure_csv(
        sessions=sessions, scope=Scope.everything(), figure_id="readmission-30d",
        today=date(2025, 6, 1),
    )  # fmt: skip
    assert ",0851," in csv_text and "2509479989" not in csv_text

    # The live lists on 18 March: Copenhagen's citizen is in hospital, due home on the 20th.
    now = datetime(2025, 3, 18, 12, tzinfo=at(2025, 3, 18).tzinfo)
    with sessions() as session:
        for scope, expected in (
            (Scope.residents_of(aalborg), []),
            (Scope.residents_of(copenhagen), [OTHER.cpr]),
        ):
            admitted = board.admitted_now(session=session, scope=scope)
            assert [e.cpr for e in admitted.admitted] == expected
            soon = board.expected_discharges(session=session, scope=scope, now=now)
            assert [e.episode.cpr for e in soon] == expected
            waiting = board.waiting_for_municipality(session=session, scope=scope, today=now.date())
            assert [w.episode.cpr for w in waiting.unanswered] == expected
            messages = board.undelivered_messages(session=session, scope=scope)
            assert {m.municipality_code for m in messages} <= {
                "0851" if scope.municipality_ids == {aalborg} else "0101"
            }
        [due] = board.expected_discharges(
            session=session, scope=Scope.owned_by(HOSPITAL_SOR), now=now
        )
        assert due.episode.cpr == OTHER.cpr and not due.plan_missing and due.closed_day is None
        later = board.waiting_for_municipality(
            session=session, scope=Scope.everything(), today=now.date() + timedelta(days=5)
        )
        assert [(p.episode.cpr, p.days_waiting) for p in later.past_planned_date] == [
            (OTHER.cpr, 3)
        ]
