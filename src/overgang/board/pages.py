"""Rendering the board's pages: the templates, Danish wording of codes and times, and the
headers every page carries."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
# Danish abbreviations of the months (Retskrivningsordbogen).
_MONTHS = [
    *("jan.", "feb.", "mar.", "apr.", "maj", "jun."),
    *("jul.", "aug.", "sep.", "okt.", "nov.", "dec."),
]

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

# Nothing from elsewhere, no framing, no inline script; personal data is never cached.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
        "font-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

# The board's pages, in the order of its menu: (path, Danish name).
NAVIGATION = [
    ("/board", "Indlagt nu"),
    ("/board/udskrivninger", "Forventede udskrivninger"),
    ("/board/venter", "Venter på kommunen"),
    ("/board/beskeder", "Beskeder"),
    ("/board/tal", "Tal"),
]

EVENT_NAMES = {
    "STIN": "Indlagt",
    "STAA": "Akut ambulant start",
    "STOR": "Orlov begyndt",
    "SLOR": "Orlov afsluttet",
    "SLHJ": "Udskrevet",
    "MORS": "Død",
    "discharge-plan": "Udskrivningsplan",
    "discharge-handover": "Overdragelse ved udskrivning",
}
STATE_NAMES = {
    "admitted": "Indlagt",
    "on-leave": "På orlov",
    "discharged": "Udskrevet",
    "deceased": "Død",
    "cancelled": "Annulleret",
}
MESSAGE_KINDS = {
    "hospital-notification": "Advis",
    "discharge-plan": "Udskrivningsplan",
    "handover": "Overdragelse",
}
MESSAGE_STATUSES = {
    "pending": "Ikke leveret",
    "delivered": "Leveret, ikke kvitteret",
    "acknowledged": "Kvitteret",
    "rejected": "Afvist",
}
ITEM_STATUSES = {"met": "Opfyldt", "missing": "Mangler", "not-applicable": "Ikke relevant"}
SEVERITIES = {"required": "Krav", "recommended": "Anbefaling"}


def event_name(code: str) -> str:
    if code.startswith("RE_"):
        return f"Rettelse: {event_name(code[3:]).lower()}"
    if code.startswith("AN_"):
        return f"Annulleret: {event_name(code[3:]).lower()}"
    return EVENT_NAMES.get(code, code)


def when(moment: datetime | None) -> str:
    """'12. mar. 2026 kl. 10.05' on the Copenhagen clock (Danish writes hours with a dot)."""
    if moment is None:
        return "–"
    local = moment.astimezone(COPENHAGEN)
    return f"{local.day}. {_MONTHS[local.month - 1]} {local.year} kl. {local:%H.%M}"


def day(value: date | None) -> str:
    return "–" if value is None else f"{value.day}. {_MONTHS[value.month - 1]} {value.year}"


def cpr(value: str | None) -> str:
    """DDMMYY-SSSS; a pseudonymised episode has none."""
    return "(pseudonymiseret)" if not value else f"{value[:6]}-{value[6:]}"


for _name, _filter in {
    "event_name": event_name,
    "when": when,
    "day": day,
    "cpr": cpr,
    "state_name": lambda code: STATE_NAMES.get(code, code),
    "message_kind": lambda code: MESSAGE_KINDS.get(code, code),
    "message_status": lambda code: MESSAGE_STATUSES.get(code, code),
    "item_status": lambda code: ITEM_STATUSES.get(code, code),
    "severity": lambda code: SEVERITIES.get(code, code),
}.items():
    templates.env.filters[_name] = _filter
templates.env.globals["navigation"] = NAVIGATION


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    response = templates.TemplateResponse(
        request, template, context, status_code=status_code, headers=HEADERS
    )
    return response
