"""Every figure of figures.md: what it counts, over what, in which window, and the source it
follows. The page, the CSV export and the tests read these; the arithmetic is in `compute`.

The wording is Danish, as the board shows it to coordinators; a source keeps its own name
(English for NHS and Public Health Scotland). Ids stay English: they are in URLs and the CSV."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Kind = Literal["rate", "distribution", "total"]
READMISSION_LABEL: Final = "set af Overgang"  # only stays Overgang has seen count
CHECKLIST_TARGET: Final = 0.9  # RKKP-style standard, drawn as a target line
# An index discharge (figures.md): the end of a stay of at least 12 hours, the citizen alive.
INDEX_DISCHARGES: Final = "indeksudskrivninger (ophold på mindst 12 timer, borgeren i live)"


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
            "indeksudskrivninger, hvor samme borger blev indlagt igen senest "
            f"{days} dage efter udskrivningsdagen (genindlæggelse inden for {days} dage)"
        ),
        denominator=INDEX_DISCHARGES,
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
            "indeksudskrivninger med en opfølgningsaftale, booket eller gennemført, der "
            f"begynder efter udskrivningen og senest samme klokkeslæt {days} dage senere "
            f"(opfølgning booket inden for {days} dage)"
        ),
        denominator=INDEX_DISCHARGES,
        window_days=days,
        month_of="discharge",
        source=(
            "RKKP's indikatorer for udskrivning; NHS 72-hour follow-up; Ontario 7-day follow-up"
        ),
    )


SDS_2017 = "Sundhedsdatastyrelsen 2017, Akutte psykiatriske genindlæggelser"
SAMARBEJDSAFTALE = "Region Hovedstadens samarbejdsaftale (varsling → svar)"
RKKP_STANDARD = "RKKP's standard på 90 %"

FIGURES: Final[dict[str, FigureDefinition]] = {
    definition.id: definition
    for definition in (
        _readmission(
            30, f"eSundhed, 30 dages akutte psykiatriske genindlæggelser; {SDS_2017} (23 %)"
        ),
        _readmission(7, SDS_2017),
        _readmission(3, f"{SDS_2017} (en fjerdedel af genindlæggelserne inden for 3 dage)"),
        _follow_up(7),
        _follow_up(30),
        FigureDefinition(
            id="checklist-item",
            title="Tjeklistepunkt opfyldt",
            kind="rate",
            numerator="udskrivninger, hvor punktet var opfyldt i tjeklisten ved udskrivningen",
            denominator="udskrivninger, hvor punktet gjaldt (ikke »ikke relevant«)",
            window_days=None,
            month_of="discharge",
            source=RKKP_STANDARD,
            target=CHECKLIST_TARGET,
        ),
        FigureDefinition(
            id="checklist-complete",
            title="Alle krævede tjeklistepunkter opfyldt",
            kind="rate",
            numerator="udskrivninger, hvor tjeklisten ved udskrivningen var komplet",
            denominator="udskrivninger med en tjekliste",
            window_days=None,
            month_of="discharge",
            source=RKKP_STANDARD,
            target=CHECKLIST_TARGET,
        ),
        FigureDefinition(
            id="weekend-discharge",
            title="Udskrevet fredag eftermiddag, weekend eller helligdag",
            kind="rate",
            numerator=(
                "udskrivninger fredag eftermiddag (fra kl. 12), i weekenden, på en helligdag "
                "eller eftermiddagen før en helligdag; delt i alle, aftalt med kommunen og "
                "ikke aftalt"
            ),
            denominator="udskrivninger",
            window_days=None,
            month_of="discharge",
            source=f"{SDS_2017}: de udskrevne genindlægges oftere",
        ),
        FigureDefinition(
            id="readmission-after-weekend",
            title="Genindlæggelse inden for 30 dage efter udskrivning i weekenden eller på hverdage",
            kind="rate",
            numerator=(
                "genindlæggelse inden for 30 dage, talt for sig for udskrivninger fredag "
                "eftermiddag, weekend eller helligdag og for udskrivninger på hverdage"
            ),
            denominator="hver dels indeksudskrivninger",
            window_days=30,
            month_of="discharge",
            source=f"{SDS_2017}, afsnit 4.4",
            label=READMISSION_LABEL,
        ),
        FigureDefinition(
            id="answer-time",
            title="Kommunens svartid i arbejdsdage",
            kind="distribution",
            numerator=(
                "arbejdsdage fra den første udskrivningsplan kom, til kommunens første svar "
                "kom (median og 90. percentil)"
            ),
            denominator="planer besvaret i måneden",
            window_days=None,
            month_of="answer",
            source=SAMARBEJDSAFTALE,
        ),
        FigureDefinition(
            id="unanswered-plans",
            title="Udskrivningsplaner uden svar fra kommunen",
            kind="rate",
            numerator="planer uden svar fra kommunen på den planlagte udskrivningsdato",
            denominator="månedens planer, hvis planlagte udskrivningsdato er passeret",
            window_days=None,
            month_of="first plan's arrival",
            source=SAMARBEJDSAFTALE,
        ),
        FigureDefinition(
            id="waiting-days",
            title="Dage på færdigmelding/venter på kommunen",
            kind="total",
            numerator=(
                "for hvert udskrevet ophold med planlagt udskrivningsdato P, udskrivningsdato "
                "U og dagen kommunen var klar K (K = U uden et klar-svar): max(0, min(U, K) − P), "
                "lagt sammen som sengedage"
            ),
            denominator="udskrevne ophold med en planlagt udskrivningsdato (vist ved summen)",
            window_days=None,
            month_of="discharge",
            source=(
                "Public Health Scotland, Delayed Discharges; NHS Discharge Ready Date; "
                "de danske færdigbehandlingsdage"
            ),
        ),
    )
}
