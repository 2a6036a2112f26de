"""figures.md's definitions at their edges, computed from hand-made rows (no database)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

from overgang.checklist.calendar import WorkCalendar
from overgang.figures.compute import FigureRow, discharges, figure_rows, percentile, plans
from overgang.figures.export import to_csv
from overgang.figures.rows import Appointment, ChecklistOutcome, EpisodeRow
from overgang.figures.stays import closed_day_discharge, merge_stays

CPH = ZoneInfo("Europe/Copenhagen")
TODAY = date(2026, 6, 1)


def at(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=CPH)


def episode(
    admitted: datetime,
    ended: datetime | None,
    *,
    citizen: str = "0101801234",
    state: str | None = None,
    **more: object,
) -> EpisodeRow:
    return EpisodeRow(
        episode_id=uuid.uuid4(),
        citizen=citizen,
        municipality="0851",
        ward="W1",
        state=state or ("discharged" if ended else "admitted"),
        admitted_at=admitted,
        ended_at=ended,
        **more,  # type: ignore[arg-type]
    )


def rows(figure: str, episodes: list[EpisodeRow], **kw: object) -> list[FigureRow]:
    return figure_rows(
        figure,
        discharged=discharges(episodes),
        planned=plans(episodes, today=TODAY),
        grouping="region",
        today=TODAY,
        **kw,  # type: ignore[arg-type]
    )


def counts(figure: str, episodes: list[EpisodeRow]) -> list[tuple[str, int | None, int | None]]:
    return [(r.month, r.numerator, r.denominator) for r in rows(figure, episodes)]


def test_a_transfer_within_4_hours_is_one_stay_and_never_a_readmission() -> None:
    first = episode(at(2025, 3, 1), at(2025, 3, 5, 10))
    second = episode(at(2025, 3, 5, 14), at(2025, 3, 10))  # 4 hours later: a transfer
    assert [len(s.episodes) for s in merge_stays([first, second])[0]] == [2]
    assert counts("readmission-30d", [first, second]) == [("2025-03", 0, 1)]


def test_an_admission_4_hours_and_a_minute_after_is_a_readmission() -> None:
    first = episode(at(2025, 3, 1), at(2025, 3, 5, 10))
    second = episode(at(2025, 3, 5, 14, 1), at(2025, 3, 10))
    assert counts("readmission-30d", [first, second]) == [("2025-03", 1, 2)]
    assert counts("readmission-3d", [first, second]) == [("2025-03", 1, 2)]


def test_a_stay_under_12_hours_is_no_index_discharge() -> None:
    short = episode(at(2025, 3, 1, 8), at(2025, 3, 1, 19, 59))
    long = episode(at(2025, 3, 2, 8), at(2025, 3, 2, 20), citizen="0202801234")
    assert counts("readmission-30d", [short, long]) == [("2025-03", 0, 1)]
    # ...but it is a discharge: the checklist and weekend figures count it.
    assert counts("weekend-discharge", [short, long])[0] == ("2025-03", 0, 2)


def test_a_death_is_never_an_index_discharge() -> None:
    died = episode(at(2025, 3, 1), at(2025, 3, 20), state="deceased")
    assert counts("readmission-30d", [died]) == []
    assert counts("weekend-discharge", [died]) == []


def test_readmission_counts_local_dates_up_to_30_days_after() -> None:
    # Discharged 23:30 on 1 March (local), readmitted 00:30 on 31 March: 30 local days, 25 hours
    # less than 30 days by the clock... and a day more in UTC terms across the DST change.
    first = episode(at(2025, 2, 20), at(2025, 3, 1, 23, 30))
    again = episode(at(2025, 3, 31, 0, 30), at(2025, 4, 10))
    late = [episode(at(2025, 2, 20), at(2025, 3, 1, 23, 30)), episode(at(2025, 4, 1, 0, 30), None)]
    assert counts("readmission-30d", [first, again])[0] == ("2025-03", 1, 1)
    assert counts("readmission-30d", late) == [("2025-03", 0, 1)]


def test_the_month_is_the_local_month_of_the_discharge() -> None:
    # 31 January 23:30 UTC is 1 February 00:30 in Copenhagen.
    utc_end = datetime(2025, 1, 31, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert counts("readmission-30d", [episode(at(2025, 1, 20), utc_end)]) == [("2025-02", 0, 1)]


def test_follow_up_within_7_days_is_on_the_wall_clock_across_dst() -> None:
    ended = at(2025, 3, 27, 10)  # DST begins on 30 March: 7 wall-clock days are 167 hours
    booked = Appointment(kind="follow-up", start=at(2025, 4, 3, 10), status="booked")
    too_late = Appointment(kind="follow-up", start=at(2025, 4, 3, 10, 1), status="booked")
    cancelled = Appointment(kind="follow-up", start=at(2025, 4, 1), status="cancelled")
    stays = [
        episode(at(2025, 3, 20), ended, appointments=(booked,)),
        episode(at(2025, 3, 20), ended, citizen="2", appointments=(too_late,)),
        episode(at(2025, 3, 20), ended, citizen="3", appointments=(cancelled,)),
    ]
    assert counts("follow-up-7d", stays) == [("2025-03", 1, 3)]
    assert counts("follow-up-30d", stays) == [("2025-03", 2, 3)]


def test_friday_from_noon_and_the_afternoon_before_a_holiday_are_weekend_discharges() -> None:
    calendar = WorkCalendar()
    assert closed_day_discharge(at(2025, 3, 7, 11, 59), calendar) is None  # Friday morning
    assert closed_day_discharge(at(2025, 3, 7, 12), calendar)  # Friday 12:00
    assert closed_day_discharge(at(2025, 3, 8, 9), calendar) == "lørdag"
    # Wednesday 16 April 2025 is the day before Maundy Thursday.
    assert closed_day_discharge(at(2025, 4, 16, 11), calendar) is None
    assert (
        closed_day_discharge(at(2025, 4, 16, 13), calendar)
        == "eftermiddag før helligdag (Skærtorsdag)"
    )
    assert closed_day_discharge(at(2025, 4, 17, 9), calendar) == "helligdag (Skærtorsdag)"


def test_weekend_discharges_are_split_by_agreement_and_readmission_by_kind_of_day() -> None:
    friday = episode(at(2025, 3, 1), at(2025, 3, 7, 14), weekend_discharge_agreed=True)
    monday = episode(at(2025, 3, 1), at(2025, 3, 10, 10), citizen="2")
    back = episode(at(2025, 3, 12), at(2025, 3, 20, 10), citizen="2")
    table = {
        r.part: (r.numerator, r.denominator)
        for r in rows("weekend-discharge", [friday, monday, back])
    }
    assert table == {"all": (1, 3), "agreed": (1, 3), "not-agreed": (0, 3)}
    split = {
        r.part: (r.numerator, r.denominator)
        for r in rows("readmission-after-weekend", [friday, monday, back])
    }
    assert split == {"weekend": (0, 1), "weekday": (1, 2)}


def test_checklist_items_count_only_where_they_applied() -> None:
    def judged(complete: bool, coercion: str) -> ChecklistOutcome:
        return ChecklistOutcome(
            complete=complete, items=(("medication-list", "met"), ("coercion-handover", coercion))
        )

    stays = [
        episode(at(2025, 3, 1), at(2025, 3, 9), checklist=judged(True, "not-applicable")),
        episode(at(2025, 3, 1), at(2025, 3, 9), citizen="2", checklist=judged(False, "missing")),
        episode(at(2025, 3, 1), at(2025, 3, 9), citizen="3"),  # no result: not counted
    ]
    items = {r.part: (r.numerator, r.denominator) for r in rows("checklist-item", stays)}
    assert items == {"medication-list": (2, 2), "coercion-handover": (0, 1)}
    assert counts("checklist-complete", stays) == [("2025-03", 1, 2)]


def test_waiting_days_run_from_the_planned_date_to_readiness_or_discharge() -> None:
    planned = at(2025, 3, 3)  # Monday
    ready = episode(at(2025, 3, 1), at(2025, 3, 7), planned_discharge_at=planned, ready=True,
                    ready_from=date(2025, 3, 5))  # fmt: skip
    silent = episode(at(2025, 3, 1), at(2025, 3, 7), citizen="2", planned_discharge_at=planned)
    early = episode(at(2025, 3, 1), at(2025, 3, 7), citizen="3", planned_discharge_at=planned,
                    ready=True, ready_from=date(2025, 3, 1))  # fmt: skip
    [row] = rows("waiting-days", [ready, silent, early])
    assert (row.total, row.denominator) == (2 + 4 + 0, 3)


def test_answer_time_in_working_days_and_unanswered_plans() -> None:
    answered = episode(at(2025, 3, 1), None, first_plan_at=at(2025, 3, 7, 9),  # Friday
                       first_answer_at=at(2025, 3, 11, 9), planned_discharge_at=at(2025, 3, 12))  # fmt: skip
    unanswered = episode(at(2025, 3, 1), None, citizen="2", first_plan_at=at(2025, 3, 7),
                         planned_discharge_at=at(2025, 3, 12))  # fmt: skip
    [time] = rows("answer-time", [answered, unanswered])
    assert (time.denominator, time.median, time.p90) == (1, 2.0, 2.0)  # Monday and Tuesday
    assert counts("unanswered-plans", [answered, unanswered]) == [("2025-03", 1, 2)]
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9


def test_a_rate_under_10_is_shown_as_two_numbers_and_the_csv_has_no_personal_data() -> None:
    stays = [episode(at(2025, 3, 1), at(2025, 3, 10), citizen=f"01018012{i:02d}") for i in range(9)]
    [row] = rows("readmission-30d", stays)
    assert (row.numerator, row.denominator, row.rate) == (0, 9, None)
    text = to_csv(rows("readmission-30d", stays))
    assert text.splitlines()[0].startswith("figure,month,municipality,ward,part,numerator")
    assert "0101801200" not in text and "set af Overgang" in text


def test_a_month_is_provisional_until_30_days_after_its_last_day() -> None:
    stay = discharges([episode(at(2026, 4, 1), at(2026, 4, 10))])

    def provisional(today: date) -> bool:
        [row] = figure_rows("readmission-30d", discharged=stay, planned=[], grouping="region",
                            today=today)  # fmt: skip
        return row.provisional

    assert provisional(date(2026, 5, 30))  # 30 April + 30 days
    assert not provisional(date(2026, 5, 31))
