"""The figures are computed in the background after new data, so a viewer seldom waits: the
warmer in the serving process catches up without any page being asked for, and stops with the
app. On SQLite and PostgreSQL."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from overgang import board
from overgang.api.app import create_app
from overgang.board.figure_routes import today_in_copenhagen
from overgang.config import Settings
from overgang.service.figures import FigureCache, current_version
from overgang.storage.db import create_db_engine, session_factory
from tests.api.test_board_figures_pages import month_row, send_stay, signed_in
from tests.conftest import Api, Partners
from tests.stays import at, stay


def caught_up(cache: FigureCache, database_url: str) -> bool:
    """Whether the cache reaches the data's current version; the warmer runs every 50 ms, so
    30 s is only a guard against hanging, never a measurement."""
    sessions = session_factory(create_db_engine(database_url))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if cache.version == current_version(sessions=sessions, today=today_in_copenhagen()):
            return True
        time.sleep(0.05)
    return False


def test_new_data_is_computed_without_a_page_and_the_warmer_stops_with_the_app(
    settings: Settings, tokens: Partners, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(board, "WARM_EVERY_SECONDS", 0.05)
    app = create_app(settings)
    cache, warmer = app.state.figure_cache, app.state.figure_warmer
    assert not warmer.is_running()  # only the app's lifespan starts it

    with TestClient(app, base_url="https://testserver") as client:
        site = Api(client, tokens)
        assert warmer.is_running()
        anne = signed_in(site, database_url, email="anne@aalborg.dk", org="0851")
        assert "Tal" in anne.get("/board/tal").text  # in use from now on
        assert cache.cached("readmission-30d", "region") == []

        send_stay(site, stay(discharge_at=at(2025, 3, 3, 10)))

        assert caught_up(cache, database_url)  # no page has been asked for since
        [computed] = cache.cached("readmission-30d", "region") or []
        assert (computed.month, computed.numerator, computed.denominator) == ("2025-03", 0, 1)
        assert not warmer.warm()  # nothing new: nothing computed again
        page = anne.get("/board/tal/readmission-30d").text
        assert month_row(page, "mar. 2025")[1:3] == ["0", "1"]

    assert not warmer.is_running()


def test_figures_nobody_looks_at_are_not_computed_in_the_background(
    settings: Settings, tokens: Partners, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(board, "WARM_EVERY_SECONDS", 0.05)
    app = create_app(settings)
    cache, warmer = app.state.figure_cache, app.state.figure_warmer

    with TestClient(app, base_url="https://testserver") as client:
        send_stay(Api(client, tokens), stay(discharge_at=at(2025, 3, 3, 10)))

        assert not warmer.warm()  # no page has used the figures: the intake server spends nothing
        assert cache.version is None and cache.cached("readmission-30d", "region") is None
