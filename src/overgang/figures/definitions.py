"""Every figure of figures.md: what it counts, over what, in which window, and the source it
follows. The page, the CSV export and the tests read these; the arithmetic is in `compute`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Kind = Literal["rate", "distribution", "total"]
READMISSION_LABEL: Final = "set af Overgang"  # only stays Overgang has seen count
CHECKLIST_TARGET: Final = 0.9  # RKKP-style standard, drawn as a target line


@dataclass(frozen=True, kw_only=True)
class FigureDefinition:
    id: str
    title: str
    kind: Kind
    numerator: str
    denominator: str
    window_days: int | None  # how long after the index event the numerator may still change
    month_of: str  # which event's local month a row belongs to
    source: str
    label: str | None = None
    target: float | None = None


def _readmission(days: int, source: str) -> FigureDefinition:
    return FigureDefinition(
        id=f"readmission-{days}d",
        title=f"Genindlæggelse inden for {days} dage",
        kind="rate",
        numerator=(
            "index discharges followed by an admission of the same citizen starting on a "
            f"local date <= discharge date + {days}"
        ),
        denominator="index discharges",
        window_days=30,
        month_of="discharge",
        source=source,
        label=READMISSION_LABEL,
    )


def _follow_up(days: int) -> FigureDefinition:
    return FigureDefinition(
        id=f"follow-up-{days}d",
        title=f"Opfølgning booket inden for {days} dage",
        kind="rate",
        numerator=(
            "index discharges with a follow-up Appointment, booked or fulfilled, starting after "
            f"discharge and no later than the same wall-clock time {days} days later"
        ),
        denominator="index discharges",
        window_days=days,
        month_of="discharge",
        source="RKKP discharge indicators; NHS 72-hour / Ontario 7-day follow-up",
    )


SDS_2017 = "Sundhedsdatastyrelsen 2017, Akutte psykiatriske genindlæggelser"
SAMARBEJDSAFTALE = "Region Hovedstadens samarbejdsaftale (varsling -> svar)"

FIGURES: Final[dict[str, FigureDefinition]] = {
    definition.id: definition
    for definition in (
        _readmission(
            30, f"eSundhed, 30 dages akutte psykiatriske genindlæggelser; {SDS_2017} (23 %)"
        ),
        _readmission(7, SDS_2017),
        _readmission(3, f"{SDS_2017} (a quarter of readmissions within 3 days)"),
        _follow_up(7),
        _follow_up(30),
        FigureDefinition(
            id="checklist-item",
            title="Tjeklistepunkt opfyldt",
            kind="rate",
            numerator="discharges where the item was met in the result current at discharge",
            denominator="discharges where the item applied (not not-applicable)",
            window_days=None,
            month_of="discharge",
            source="RKKP-style 90 % standard",
            target=CHECKLIST_TARGET,
        ),
        FigureDefinition(
            id="checklist-complete",
            title="Alle krævede tjeklistepunkter opfyldt",
            kind="rate",
            numerator="discharges whose result current at discharge is complete",
            denominator="discharges with a checklist result",
            window_days=None,
            month_of="discharge",
            source="RKKP-style 90 % standard",
            target=CHECKLIST_TARGET,
        ),
        FigureDefinition(
            id="weekend-discharge",
            title="Udskrivning fredag eftermiddag, weekend eller helligdag",
            kind="rate",
            numerator=(
                "discharges Friday from 12:00, on a weekend or holiday, or the afternoon before "
                "a holiday; parts: all, agreed, not-agreed (weekend-discharge-agreed)"
            ),
            denominator="discharges",
            window_days=None,
            month_of="discharge",
            source=f"{SDS_2017}: such discharges are readmitted more often",
        ),
        FigureDefinition(
            id="readmission-after-weekend",
            title="Genindlæggelse inden for 30 dage efter slags udskrivningsdag",
            kind="rate",
            numerator="readmission-30d, computed apart for weekend/holiday and other discharges",
            denominator="each part's index discharges (parts: weekend, weekday)",
            window_days=30,
            month_of="discharge",
            source=f"{SDS_2017} §4.4",
            label=READMISSION_LABEL,
        ),
        FigureDefinition(
            id="answer-time",
            title="Kommunens svartid (arbejdsdage)",
            kind="distribution",
            numerator=(
                "working days from the first discharge plan's arrival to the first readiness "
                "answer's arrival (median and 90th percentile)"
            ),
            denominator="plans answered in the month",
            window_days=None,
            month_of="answer",
            source=SAMARBEJDSAFTALE,
        ),
        FigureDefinition(
            id="unanswered-plans",
            title="Planer uden svar",
            kind="rate",
            numerator="plans with no readiness answer by the planned discharge date",
            denominator="plans of the month whose planned discharge date has passed",
            window_days=None,
            month_of="first plan's arrival",
            source=SAMARBEJDSAFTALE,
        ),
        FigureDefinition(
            id="waiting-days",
            title="Dage på at vente på kommunen",
            kind="total",
            numerator=(
                "per discharged stay with planned date P, discharge date D and ready_from R "
                "(R = D without a ready answer): max(0, min(D, R) - P), summed as bed-days"
            ),
            denominator="discharged stays with a planned date (shown beside the total)",
            window_days=None,
            month_of="discharge",
            source=(
                "Public Health Scotland delayed discharges; NHS Discharge Ready Date; "
                "færdigbehandlingsdage"
            ),
        ),
    )
}
