"""Danish wording of the figures pages: numbers with a decimal comma, months, parts and
groupings. Registered as Jinja filters on the board's templates."""

from __future__ import annotations

from typing import Final

from overgang.board.pages import templates
from overgang.figures.compute import FigureRow, Grouping

_MONTHS: Final = (
    *("jan.", "feb.", "mar.", "apr.", "maj", "jun."),
    *("jul.", "aug.", "sep.", "okt.", "nov.", "dec."),
)
# The query's Danish word for each grouping a page offers, in the order of its menu.
GROUPINGS: Final[dict[str, Grouping]] = {
    "region": "region",
    "kommune": "municipality",
    "afdeling": "ward",
}
GROUPING_NAMES: Final = {
    "region": "Hele regionen",
    "kommune": "Pr. kommune",
    "afdeling": "Pr. afdeling",
}
PART_NAMES: Final = {
    "all": "Alle",
    "agreed": "Aftalt med kommunen",
    "not-agreed": "Ikke aftalt",
    "weekend": "Udskrevet fredag eftermiddag, weekend eller helligdag",
    "weekday": "Udskrevet på en hverdag",
}

MONTH_OF: Final = {
    "discharge": "udskrivningens måned",
    "answer": "måneden kommunen svarede",
    "first plan's arrival": "måneden den første udskrivningsplan kom",
}


def decimal(value: float | None, digits: int = 1) -> str:
    """2.5 as '2,5' (Danish decimal comma, thousands with a dot); None as a dash."""
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def percent(share: float | None) -> str:
    """0.234 as '23,4 %'."""
    return "–" if share is None else f"{decimal(share * 100)} %"


def month_name(month: str) -> str:
    """'2026-01' as 'jan. 2026'."""
    year, number = month.split("-")
    return f"{_MONTHS[int(number) - 1]} {year}"


def rate(row: FigureRow) -> str:
    """'12 af 52 (23,1 %)'; under 10 in the denominator only the two numbers (figures.md)."""
    counted = f"{row.numerator} af {row.denominator}"
    return counted if row.rate is None else f"{counted} ({percent(row.rate)})"


for _name, _filter in {
    "decimal": decimal,
    "percent": percent,
    "month_name": month_name,
    "rate": rate,
    "month_of": lambda event: MONTH_OF.get(event, event),
}.items():
    templates.env.filters[_name] = _filter
