"""The transition board (profile §9): server-rendered pages for people, at /login and /board.

Not part of the API: no bearer token (RequestGuard lets these paths through to the pages' own
cookie sign-in), not in the OpenAPI document. Plain HTML in Det Fælles Designsystem's look,
working without JavaScript; every page is a thin view over one service function.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from overgang.board import figure_routes, live_routes, pages, sign_in_routes
from overgang.board.session import CsrfRefused, PasswordNeeded, SignInNeeded
from overgang.domain.people import SESSION_IDLE
from overgang.service.figures import FigureCache, FigureWarmer

STATIC_PATH = "/board/static"
WARM_EVERY_SECONDS = 5.0  # how soon after new data the figures are computed without a viewer
# Kept warm while someone may still be looking: as long as an idle board session lasts.
WARM_WHILE_VIEWED_SECONDS = SESSION_IDLE.total_seconds()


def install(app: FastAPI) -> None:
    """Add the board's pages, its assets and the answers to a missing sign-in or CSRF token."""
    app.include_router(sign_in_routes.router)
    app.include_router(live_routes.router)
    app.include_router(figure_routes.router)
    key = app.state.settings.citizen_key  # links a citizen's stays across pseudonymisation
    app.state.figure_cache = FigureCache(
        citizen_key=key.get_secret_value().encode() if key is not None else None
    )
    app.state.figure_warmer = FigureWarmer(
        cache=app.state.figure_cache,
        sessions=app.state.sessions,
        today=figure_routes.today_in_copenhagen,
        every_seconds=WARM_EVERY_SECONDS,
        in_use_seconds=WARM_WHILE_VIEWED_SECONDS,
    )
    _run_during_lifespan(app, app.state.figure_warmer)
    app.mount(
        STATIC_PATH, StaticFiles(packages=[("overgang.board", "static")]), name="board-static"
    )
    app.add_exception_handler(SignInNeeded, _to_sign_in)
    app.add_exception_handler(PasswordNeeded, _to_password)
    app.add_exception_handler(CsrfRefused, _csrf_refused)


def _run_during_lifespan(app: FastAPI, warmer: FigureWarmer) -> None:
    """Start the warmer once the app's own start-up is done and stop it before its shut-down
    (which closes the database engine), as the app's lifespan does for the delivery worker."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[Any]:
        async with inner(running) as state:
            warmer.start()
            try:
                yield state
            finally:
                warmer.stop()

    app.router.lifespan_context = lifespan


async def _to_sign_in(_request: Request, _error: Exception) -> Response:
    return RedirectResponse("/login", status_code=303)


async def _to_password(_request: Request, _error: Exception) -> Response:
    return RedirectResponse("/login/adgangskode", status_code=303)


async def _csrf_refused(request: Request, _error: Exception) -> Response:
    return pages.render(
        request,
        "message.html",
        {
            "title": "Formularen kunne ikke sendes",
            "text": "Siden var for gammel, eller formularen kom ikke fra Overgang. "
            "Intet er gemt. Gå tilbage, genindlæs siden og prøv igen.",
            "link": ("/board", "Til oversigten"),
        },
        status_code=403,
    )
