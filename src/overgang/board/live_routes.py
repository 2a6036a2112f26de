"""The board's live pages: who is admitted now, one stay."""

from __future__ import annotations

from itertools import groupby

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from overgang.api.deps import AuditDep, SessionsDep
from overgang.board import session as cookies
from overgang.board.pages import render
from overgang.errors import NotFound
from overgang.service import board

router = APIRouter(include_in_schema=False)


@router.get("/board")
def admitted_now(request: Request, sessions: SessionsDep, audit: AuditDep) -> HTMLResponse:
    """Who is admitted now, per ward and municipality, those on leave apart."""
    viewer = cookies.current_viewer(request)
    stays = board.admitted_now(sessions=sessions, viewer=viewer, audit=audit)
    groups = {
        on_leave: [
            (ward, municipality, list(rows))
            for (ward, municipality), rows in groupby(
                (stay for stay in stays if stay.on_leave == on_leave),
                key=lambda stay: (stay.ward, stay.municipality),
            )
        ]
        for on_leave in (False, True)
    }
    return render(
        request,
        "admitted.html",
        {
            "viewer": viewer,
            "csrf": cookies.csrf_for_session(request),
            "admitted": groups[False],
            "on_leave": groups[True],
            "count": sum(not stay.on_leave for stay in stays),
            "count_on_leave": sum(stay.on_leave for stay in stays),
        },
    )


@router.get("/board/ophold/{episode_id}")
def stay(request: Request, episode_id: str, sessions: SessionsDep, audit: AuditDep) -> Response:
    """One stay: timeline, checklist, what was sent and what the municipality did."""
    viewer = cookies.current_viewer(request)
    context = {"viewer": viewer, "csrf": cookies.csrf_for_session(request)}
    try:
        view = board.open_stay(sessions=sessions, viewer=viewer, episode_id=episode_id, audit=audit)
    except NotFound:
        return render(
            request,
            "message.html",
            {
                **context,
                "title": "Opholdet findes ikke",
                "text": "Der er intet ophold med dette link blandt din organisations borgere.",
                "link": ("/board", "Til oversigten"),
            },
            status_code=404,
        )
    return render(request, "stay.html", {**context, "view": view})
