"""The pure stay generator: a simulated year of Region Nordjylland looks like the published one
(figures.py names the sources), and the region's partners have valid identifiers."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from overgang.domain.identifiers import gln_is_valid, sor_check_digit_ok
from overgang.simulate.region import build_region
from overgang.simulate.stays import COPENHAGEN, generate_stays
from overgang.simulate.story import Document, Notice, Readiness, Stay
from overgang.simulate.summary import readmissions

END = datetime(2026, 3, 1, tzinfo=COPENHAGEN)


@pytest.fixture(scope="module")
def year() -> list[Stay]:
    region = build_region("DK-81")
    return generate_stays(region, start=date(2025, 3, 2), end=END, rng=random.Random(2026))


def test_a_year_of_nordjylland_has_about_4700_admissions(year: list[Stay]) -> None:
    admitted = [s for s in year if s.outcome != "cancelled"]
    assert 4_400 <= len(admitted) <= 5_000


def test_stays_last_about_15_days_on_average(year: list[Stay]) -> None:
    ended = [s for s in year if s.outcome == "discharged" and s.ended_at <= END]
    days = [(s.ended_at - s.admitted_at) / timedelta(days=1) for s in ended]
    assert 13 <= sum(days) / len(days) <= 17
    assert sorted(days)[len(days) // 2] < 12  # a long tail: the median is well below the mean


def test_a_quarter_are_readmitted_within_30_days_and_a_quarter_of_those_within_3(
    year: list[Stay],
) -> None:
    figures = readmissions(year, end=END)

    assert 0.23 <= figures.within_30_days / figures.index_discharges <= 0.26
    assert 0.20 <= figures.within_3_days / figures.within_30_days <= 0.30


def test_the_year_has_the_gaps_the_agreement_worries_about(year: list[Stay]) -> None:
    discharged = [s for s in year if s.outcome == "discharged"]
    plans = Counter(s.plan for s in discharged)
    answers = Counter(s.answer for s in discharged if s.answer)
    gaps = Counter(gap for s in discharged for gap in s.gaps)

    assert 0.05 <= sum(s.weekend_discharge for s in discharged) / len(discharged) <= 0.15
    assert plans["late"] > 0.1 * plans["in-time"]
    assert plans["missing"] > 0
    assert answers["in-time"] > answers["late"] + answers["not-ready"] + answers["none"]
    assert answers["late"] and answers["not-ready"]
    for item in ("medication-list", "follow-up-booked", "hospital-contact", "housing-arranged"):
        assert 0 < gaps[item] < 0.25 * len(discharged), item
    assert 0 < Counter(s.outcome for s in year)["died"] < 0.01 * len(year)


def test_every_kind_of_notice_occurs_and_each_stay_is_sent_in_time_order(
    year: list[Stay],
) -> None:
    codes = Counter(step.code for s in year for step in s.steps if isinstance(step, Notice))
    kinds = Counter(type(step).__name__ for s in year for step in s.steps)

    for code in ("STIN", "STAA", "STOR", "SLOR", "SLHJ", "MORS", "RE_STIN", "AN_STIN", "RE_SLHJ"):
        assert codes[code], code
    assert kinds[Document.__name__] and kinds[Readiness.__name__]
    for stay in year:
        times = [step.sent_at for step in stay.steps]
        assert times == sorted(times)
        assert all(t.utcoffset() is not None for t in times)


def test_readmissions_are_the_same_citizen_at_least_six_hours_after_discharge(
    year: list[Stay],
) -> None:
    by_key = {s.key: s for s in year}
    readmitted = [s for s in year if s.readmission_of in by_key]

    assert readmitted
    for stay in readmitted:
        before = by_key[stay.readmission_of or ""]
        assert stay.citizen == before.citizen
        assert stay.admitted_at - before.ended_at >= timedelta(hours=6)


@pytest.mark.parametrize("code", ["DK-81", "DK-82", "DK-83", "DK-84", "DK-85"])
def test_each_region_has_several_wards_and_all_its_municipalities(code: str) -> None:
    region = build_region(code)

    assert len(region.adult_wards) >= 4 and len(region.child_youth_wards) == 1
    parties = [*region.wards, *region.municipalities]
    assert all(sor_check_digit_ok(p.sor) and gln_is_valid(p.gln) for p in parties)
    assert len({p.sor for p in parties}) == len(parties)
    assert {m.code for m in build_region("DK-81").municipalities} >= {"0851", "0813", "0825"}
