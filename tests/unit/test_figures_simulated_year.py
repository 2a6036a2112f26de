"""A simulated year of Region Nordjylland (the pure generator, no database) lands where the
published figure is: 23-26 % of index discharges readmitted within 30 days."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time

from overgang.figures.compute import discharges, figure_rows
from overgang.figures.rows import EpisodeRow
from overgang.simulate.region import build_region
from overgang.simulate.stays import COPENHAGEN, generate_stays
from overgang.simulate.story import Stay

END = datetime.combine(date(2026, 3, 1), time(0), COPENHAGEN)
STATE = {"discharged": "discharged", "died": "deceased", "cancelled": "cancelled"}


def as_row(stay: Stay) -> EpisodeRow:
    ended = stay.ended_at if stay.ended_at <= END else None
    return EpisodeRow(
        episode_id=uuid.uuid4(),
        citizen=stay.citizen.cpr,
        municipality=stay.municipality.code,
        ward=stay.ward.sor,
        state=STATE[stay.outcome] if ended else "admitted",
        admitted_at=stay.admitted_at,
        ended_at=ended,
    )


def test_a_simulated_year_readmits_23_to_26_percent_within_30_days() -> None:
    stays = generate_stays(
        build_region("DK-81"), start=date(2025, 3, 2), end=END, rng=random.Random(7)
    )
    facts = discharges(as_row(stay) for stay in stays)
    table = figure_rows(
        "readmission-30d", discharged=facts, planned=[], grouping="region", today=END.date()
    )
    closed = [row for row in table if not row.provisional]
    readmitted = sum(row.numerator or 0 for row in closed)
    index = sum(row.denominator or 0 for row in closed)
    assert len(closed) >= 10
    assert 0.23 <= readmitted / index <= 0.26, (readmitted, index)
