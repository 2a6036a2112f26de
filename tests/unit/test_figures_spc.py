"""The SPC charts of the board's trends, checked against numbers worked by hand."""

from __future__ import annotations

import math

import pytest

from overgang.figures.spc import SHIFT_RUN, p_chart, xmr_chart


def test_the_first_months_have_no_limits_until_three_precede_them() -> None:
    points = p_chart([(10, 100), (20, 100), (30, 100)])
    assert [p.value for p in points] == [0.1, 0.2, 0.3]
    assert all(p.centre is None and p.upper is None and p.signal is None for p in points)


def test_a_p_chart_pools_the_preceding_months_and_uses_the_months_own_denominator() -> None:
    # Baseline 10+20+30 of 300 = 0.2. For n = 100: 3·√(0.2·0.8/100) = 3·0.04 = 0.12, limits
    # 0.08 to 0.32, so 45 % is a high signal. For n = 400: 3·0.02 = 0.06, limits 0.14 to 0.26.
    high = p_chart([(10, 100), (20, 100), (30, 100), (45, 100)])[3]
    assert high.centre == pytest.approx(0.2)
    assert (high.lower, high.upper) == (pytest.approx(0.08), pytest.approx(0.32))
    assert (high.signal, high.rule) == ("high", "limit")

    wide = p_chart([(10, 100), (20, 100), (30, 100), (100, 400)])[3]
    assert (wide.lower, wide.upper) == (pytest.approx(0.14), pytest.approx(0.26))
    assert wide.value == 0.25 and wide.signal is None


def test_limits_stay_between_nought_and_one() -> None:
    # Baseline 1 of 30: p = 1/30, 3·√(p(1−p)/10) ≈ 0.170 exceeds p, so the lower limit is 0.
    point = p_chart([(0, 10), (1, 10), (0, 10), (0, 10)])[3]
    assert point.lower == 0.0
    assert point.upper == pytest.approx(1 / 30 + 3 * math.sqrt((1 / 30) * (29 / 30) / 10))


def test_a_small_month_has_no_value_but_counts_in_the_next_months_baseline() -> None:
    points = p_chart([(1, 4), (20, 100), (30, 100), (20, 100), (25, 100)], smallest=10)
    assert points[0].value is None and points[0].signal is None
    # Baseline of month 5: 1+20+30+20 = 71 of 304.
    assert points[4].centre == pytest.approx(71 / 304)


def test_seven_months_on_one_side_are_a_shift_six_are_not() -> None:
    steady = [(20, 100)] * 3
    shifted = p_chart([*steady, *[(22, 100)] * SHIFT_RUN, (10, 100)])
    assert [p.rule for p in shifted[3 : 3 + SHIFT_RUN]] == ["shift"] * SHIFT_RUN
    assert {p.signal for p in shifted[3 : 3 + SHIFT_RUN]} == {"high"}
    six = p_chart([*steady, *[(22, 100)] * (SHIFT_RUN - 1), (10, 100)])
    assert all(p.rule is None for p in six[:-1])


def test_an_xmr_chart_uses_the_mean_and_the_mean_moving_range() -> None:
    # Baseline 2, 4, 3: mean 3, moving ranges 2 and 1, mean 1.5, limits 3 ± 2.66·1.5 = 3 ± 3.99.
    points = xmr_chart([2.0, 4.0, 3.0, 7.5, 3.0])
    assert points[3].centre == pytest.approx(3.0)
    assert (points[3].lower, points[3].upper) == (0.0, pytest.approx(6.99))
    assert (points[3].signal, points[3].rule) == ("high", "limit")
    # Month 5: baseline 2, 4, 3, 7.5, mean 4.125; ranges 2, 1, 4.5, mean 2.5; upper 10.775.
    assert points[4].centre == pytest.approx(4.125)
    assert points[4].upper == pytest.approx(4.125 + 2.66 * 2.5)
    assert points[4].signal is None


def test_an_xmr_chart_skips_months_without_a_value() -> None:
    points = xmr_chart([1.0, None, 2.0, 3.0, None, 2.0])
    assert points[1].value is None and points[4].centre is None
    assert points[5].centre == pytest.approx(2.0)  # baseline 1, 2, 3
