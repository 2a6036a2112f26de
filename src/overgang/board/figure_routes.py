"""The board's figures (figures.md): an overview at /board/tal, one figure with its SPC chart
and every month at /board/tal/{id}, and its CSV.

Figures hold no personal data and are the same for every signed-in person (profile §9), so, as
the CSV export always did, reading them is not audited: the audit trail records views of
citizens, and these pages show none.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from overgang.api.deps import SessionsDep
from overgang.board import figure_text
from overgang.board import session as cookies
from overgang.board.pages import COPENHAGEN, HEADERS, render
from overgang.figures.definitions import FIGURES
from overgang.figures.series import parts_of, series_of
from overgang.service.figures import FigureCache, group_names

router = APIRouter(include_in_schema=False)


def _cache(request: Request) -> FigureCache:
    cache: FigureCache = request.app.state.figure_cache
    return cache


def _signed_in(request: Request) -> dict[str, Any]:
    """The page's person (SignInNeeded sends anyone else to /login) and the sign-out form."""
    return {"viewer": cookies.current_viewer(request), "csrf": cookies.csrf_for_session(request)}


def _context(request: Request, sessions: SessionsDep) -> dict[str, Any]:
    """A figures page's context: the person, and names for the codes of groups and parts."""
    # Every version's items, oldest first: an item a newer version dropped keeps its title.
    checklists = request.app.state.checklists
    titles = {item.id: item.title_da for d in checklists.definitions for item in d.items}
    return {
        **_signed_in(request),
        "names": group_names(sessions=sessions),
        "part_names": {**titles, **figure_text.PART_NAMES},
    }


def today_in_copenhagen() -> date:
    """Today's local date: provisional months and overdue plans depend on it."""
    return datetime.now(COPENHAGEN).date()


@router.get("/board/tal")
def overview(request: Request, sessions: SessionsDep) -> HTMLResponse:
    """Each figure's latest months for the whole region, with a small chart."""
    context = _context(request, sessions)
    today = today_in_copenhagen()
    every = _cache(request).many(
        sessions=sessions, figure_ids=list(FIGURES), by="region", today=today
    )
    cards = []
    for figure_id, rows in every.items():
        parts = parts_of(rows)
        headline = series_of(rows, part=parts[0] if parts else None, today=today)
        latest_month = rows[-1].month if rows else None
        cards.append(
            {
                "definition": FIGURES[figure_id],
                "series": headline[0] if headline else None,
                "part": parts[0] if parts else None,
                # Many parts (the checklist's items, kinds of weekend discharge): the latest
                # month of each, beside the first part's chart.
                "by_part": [r for r in rows if r.month == latest_month] if len(parts) > 2 else [],
            }
        )
    return render(request, "figures.html", {**context, "cards": cards})


@router.get("/board/tal/{figure_id}")
def one_figure(
    request: Request,
    figure_id: str,
    sessions: SessionsDep,
    gruppe: str = "region",
    part: Annotated[str | None, Query(alias="del")] = None,
) -> HTMLResponse:
    """One figure: its SPC chart and every month, for the region or per municipality or ward."""
    context = _context(request, sessions)
    if figure_id not in FIGURES or gruppe not in figure_text.GROUPINGS:
        return _not_found(request, context)
    today = today_in_copenhagen()
    rows = _cache(request).rows(
        sessions=sessions, figure_id=figure_id, by=figure_text.GROUPINGS[gruppe], today=today
    )
    parts = parts_of(rows)
    if part is not None and part not in parts:
        return _not_found(request, context)
    chosen = part or (parts[0] if parts else None)
    return render(
        request,
        "figures_one.html",
        {
            **context,
            "definition": FIGURES[figure_id],
            "grouping": gruppe,
            "groupings": figure_text.GROUPING_NAMES,
            "parts": parts,
            "part": chosen,
            "series": series_of(rows, part=chosen, today=today),
        },
    )


@router.get("/board/tal/{figure_id}/csv")
def figure_csv(request: Request, figure_id: str, sessions: SessionsDep) -> Response:
    """The figure as CSV: one row per month x municipality x ward (and part)."""
    context = _signed_in(request)
    if figure_id not in FIGURES:
        return _not_found(request, context)
    text = _cache(request).csv(sessions=sessions, figure_id=figure_id, today=today_in_copenhagen())
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            **HEADERS,
            "Content-Disposition": f'attachment; filename="overgang-{figure_id}.csv"',
        },
    )


def _not_found(request: Request, context: dict[str, Any]) -> HTMLResponse:
    return render(
        request,
        "message.html",
        {
            **context,
            "title": "Tallet findes ikke",
            "text": "Der er intet tal med dette link. Se alle tal på oversigten.",
            "link": ("/board/tal", "Til tallene"),
        },
        status_code=404,
    )
