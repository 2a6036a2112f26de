"""The figures of a simulation, defined as figures.md defines them, and the summary table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.console import Console
from rich.table import Table

from overgang.simulate.run import Result
from overgang.simulate.stays import COPENHAGEN
from overgang.simulate.story import Stay


@dataclass(frozen=True)
class Readmissions:
    index_discharges: int  # discharged alive after 12 hours or more, 30 days before the end
    within_30_days: int
    within_3_days: int


def readmissions(stays: list[Stay], *, end: datetime) -> Readmissions:
    """figures.md `readmission-30d` and `-3d`: index discharges followed by an admission of
    the same citizen on a local date at most 30 (3) days after the discharge date. Only
    discharges whose 30 days are over by `end` count (the month is no longer provisional)."""
    admissions: dict[str, list[datetime]] = {}
    for stay in stays:
        if stay.outcome != "cancelled":
            admissions.setdefault(stay.citizen.cpr, []).append(stay.admitted_at)
    index = within_30 = within_3 = 0
    for stay in stays:
        discharged = stay.discharged_at
        if discharged is None or discharged - stay.admitted_at < timedelta(hours=12):
            continue
        if discharged > end - timedelta(days=30):
            continue
        index += 1
        day = discharged.astimezone(COPENHAGEN).date()
        later = [
            (a.astimezone(COPENHAGEN).date() - day).days
            for a in admissions[stay.citizen.cpr]
            if a > discharged
        ]
        if later and min(later) <= 30:
            within_30 += 1
            within_3 += min(later) <= 3
    return Readmissions(index, within_30, within_3)


def print_summary(result: Result, *, end: datetime, console: Console) -> None:
    stays = result.stays
    outcomes = Counter(s.outcome if s.ended_at <= end else "open" for s in stays)
    re = readmissions(stays, end=end)
    table = Table(title="Simulated region", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    rows = [
        ("stays", f"{len(stays)} ({outcomes['discharged']} discharged, {outcomes['died']} died, "
         f"{outcomes['cancelled']} cancelled, {outcomes['open']} still in hospital at the end)"),
        ("readmissions (figures.md)", f"{re.within_30_days}/{re.index_discharges} within 30 days "
         f"({_pct(re.within_30_days, re.index_discharges)}), {re.within_3_days} of them within 3"),
        ("weekend discharges", str(sum(s.weekend_discharge for s in stays))),
        ("plans", _counts(Counter(s.plan for s in stays if s.plan))),
        ("readiness answers", _counts(Counter(s.answer for s in stays if s.answer))),
        ("messages sent", f"{result.sent.messages} ({_counts(result.sent.by_transport)})"),
        ("by kind", _counts(result.sent.by_label)),
        ("refused by Overgang", _counts(result.sent.refused) or "none"),
        ("taken by municipalities", f"{result.taken.webhook} by webhook, {result.taken.pull} "
         f"by pull ({result.taken.gaps} gaps filled, {result.taken.duplicates} duplicates), "
         "each acknowledged"),
        ("handovers seen", str(result.observed.handovers)),
        ("gaps in handovers", _counts(result.observed.handover_missing) or "none"),
        ("time", f"{result.seconds:.1f} s, "
         f"{result.sent.messages / max(result.seconds, 1e-9):.0f} messages/s"),
    ]  # fmt: skip
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{key} {count}" for key, count in counter.most_common())


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"
