"""A figure as CSV text: one row per month x municipality x ward (and part), no personal data.
The columns carry the definition's numerator and denominator as numbers, never only a share."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from overgang.figures.compute import FigureRow
from overgang.figures.definitions import FIGURES

COLUMNS = (
    "figure",
    "month",
    "municipality",
    "ward",
    "part",
    "numerator",
    "denominator",
    "rate",
    "median",
    "p90",
    "total",
    "provisional",
    "label",
    "source",
)


def _number(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def to_csv(rows: Iterable[FigureRow]) -> str:
    """CSV text (RFC 4180, comma, CRLF) of figure rows; a rate under 10 is left empty."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        definition = FIGURES[row.figure]
        writer.writerow(
            [
                row.figure,
                row.month,
                row.municipality or "",
                row.ward or "",
                row.part or "",
                _number(row.numerator),
                _number(row.denominator),
                _number(row.rate),
                _number(row.median),
                _number(row.p90),
                _number(row.total),
                "yes" if row.provisional else "no",
                definition.label or "",
                definition.source,
            ]
        )
    return out.getvalue()
