"""The board's live pages: who is admitted now, who goes home within a week, who waits for the
municipality, which messages nobody has taken, one stay, and a citizen found by CPR number.

Each list page works without JavaScript. With it, htmx asks for the same path every
REFRESH_SECONDS with the `HX-Request` header and gets the list alone, to put in place of the old
one; every answer, whole page or list alone, is audited by the service.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from overgang.api.deps import AuditDep, ChecklistsDep, SessionsDep
from overgang.board import session as cookies
from overgang.board.pages import HEADERS, render
from overgang.checklist.calendar import local_date
from overgang.domain.people import Viewer
from overgang.errors import NotFound
from overgang.service import board

router = APIRouter(include_in_schema=False)

REFRESH_SECONDS = 20
PAUSED = "opdater=nej"  # the query that shows a list page without refreshing it (WCAG 2.2.2)
# No max_length: FastAPI's refusal of a longer value would repeat it; the service checks length.
FormText = Annotated[str, Form()]
NOT_A_CPR = "Skriv et gyldigt CPR-nummer: 10 cifre, fx 010190-1234."


def _live_page(
    request: Request, *, title: str, fragment: str, lists: Callable[[Viewer], dict[str, Any]]
) -> Response:
    """A list page, or its list alone for htmx's refresh. A refresh whose session has ended
    sends the browser to sign-in (HX-Redirect) instead of pasting the sign-in page into it."""
    refresh = request.headers.get("HX-Request") == "true"
    try:
        viewer = cookies.current_viewer(request)
    except cookies.SignInNeeded:
        if refresh:
            return Response(headers={**HEADERS, "HX-Redirect": "/login"})
        raise
    except cookies.PasswordNeeded:
        if refresh:
            return Response(headers={**HEADERS, "HX-Redirect": "/login/adgangskode"})
        raise
    context = {"viewer": viewer, **lists(viewer)}
    if refresh:
        return render(request, fragment, context)
    return render(
        request,
        "live_page.html",
        {
            **context,
            "csrf": cookies.csrf_for_session(request),
            "title": title,
            "fragment": fragment,
            "paused": request.url.query == PAUSED,
            "paused_query": PAUSED,
            "refresh_seconds": REFRESH_SECONDS,
        },
    )


@router.get("/board")
def admitted_now(request: Request, sessions: SessionsDep, audit: AuditDep) -> Response:
    """Who is admitted now, per ward and municipality, those on leave apart."""

    def lists(viewer: Viewer) -> dict[str, Any]:
        shown = board.admitted_now(sessions=sessions, viewer=viewer, audit=audit)
        return {
            "admitted": shown.admitted_by_place,
            "on_leave": shown.on_leave_by_place,
            "count": len(shown.admitted),
            "count_on_leave": len(shown.on_leave),
        }

    return _live_page(request, title="Indlagt nu", fragment="lists/admitted.html", lists=lists)


@router.get("/board/udskrivninger")
def expected_discharges(
    request: Request, sessions: SessionsDep, audit: AuditDep, checklists: ChecklistsDep
) -> Response:
    """Who is planned to go home within seven days, with what is late or missing."""

    def lists(viewer: Viewer) -> dict[str, Any]:
        now = datetime.now(UTC)
        shown = board.expected_discharges(sessions=sessions, viewer=viewer, audit=audit, now=now)
        return {"discharges": shown, "titles": board.item_titles(checklists)}

    return _live_page(
        request, title="Forventede udskrivninger", fragment="lists/discharges.html", lists=lists
    )


@router.get("/board/venter")
def waiting_for_municipality(request: Request, sessions: SessionsDep, audit: AuditDep) -> Response:
    """Plans the municipality has not answered; citizens past their planned date."""

    def lists(viewer: Viewer) -> dict[str, Any]:
        today = local_date(datetime.now(UTC))
        shown = board.waiting_for_municipality(
            sessions=sessions, viewer=viewer, audit=audit, today=today
        )
        return {"unanswered": shown.unanswered, "past": shown.past_planned_date}

    return _live_page(
        request, title="Venter på kommunen", fragment="lists/waiting.html", lists=lists
    )


@router.get("/board/beskeder")
def undelivered_messages(request: Request, sessions: SessionsDep, audit: AuditDep) -> Response:
    """Messages not delivered, or delivered and not acknowledged."""

    def lists(viewer: Viewer) -> dict[str, Any]:
        shown = board.undelivered_messages(sessions=sessions, viewer=viewer, audit=audit)
        return {"messages": shown}

    return _live_page(
        request,
        title="Beskeder uden levering eller kvittering",
        fragment="lists/messages.html",
        lists=lists,
    )


@router.get("/board/ophold/{episode_id}")
def stay(
    request: Request,
    episode_id: str,
    sessions: SessionsDep,
    audit: AuditDep,
    checklists: ChecklistsDep,
) -> HTMLResponse:
    """One stay: timeline, checklist, what was sent and what the municipality did."""
    viewer = cookies.current_viewer(request)
    context = {"viewer": viewer, "csrf": cookies.csrf_for_session(request)}
    try:
        view = board.open_stay(
            sessions=sessions,
            viewer=viewer,
            episode_id=episode_id,
            checklists=checklists,
            audit=audit,
        )
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


@router.get("/board/soeg")
def search_form(request: Request) -> HTMLResponse:
    """The search form alone: a search is sent by POST, so no CPR number is ever in a URL."""
    viewer = cookies.current_viewer(request)
    context = {"viewer": viewer, "csrf": cookies.csrf_for_session(request), "typed": ""}
    return render(request, "search.html", context)


@router.post("/board/soeg")
def search(
    request: Request,
    sessions: SessionsDep,
    audit: AuditDep,
    *,
    cpr: FormText = "",
    csrf_token: FormText = "",
) -> HTMLResponse:
    """A citizen's stays among the viewer's own citizens, found by CPR number."""
    viewer = cookies.current_viewer(request)
    cookies.check_session_csrf(request, csrf_token)
    context = {"viewer": viewer, "csrf": cookies.csrf_for_session(request), "typed": cpr}
    digits = board.cpr_to_search(cpr)
    if digits is None:
        return render(request, "search.html", {**context, "error": NOT_A_CPR}, status_code=422)
    stays = board.search_citizen(sessions=sessions, viewer=viewer, audit=audit, cpr=digits)
    return render(request, "search.html", {**context, "searched": digits, "stays": stays})
