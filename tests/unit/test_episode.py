"""The episode's timeline rules, without a database: codes, corrections, state by the events' times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from overgang.domain.episode import (
    EpisodeState,
    TimelineEvent,
    UnknownActivity,
    add_event,
    admitted_at,
    current_events,
    derive_state,
    discharged_at,
    latest_notice,
    notification_code,
)
from overgang.domain.messages import ProvenanceStep

DAY_ONE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return DAY_ONE + timedelta(hours=hours)


def event(
    code: str,
    header_id: str,
    *,
    happened: float,
    sent: float | None = None,
    follows: str | None = None,
) -> TimelineEvent:
    """An event that happened `happened` hours after DAY_ONE and was sent `sent` hours after it."""
    return TimelineEvent(
        code=code,
        header_id=header_id,
        occurred_at=at(happened),
        message_timestamp=at(happened if sent is None else sent),
        target_header_id=follows,
    )


def timeline_of(*events: TimelineEvent) -> list[TimelineEvent]:
    """The timeline after the events arrived in the order given."""
    timeline: list[TimelineEvent] = []
    for new in events:
        timeline = add_event(timeline, new)
    return timeline


# notification_code: every row of brief.md §4 ------------------------------------------------


@pytest.mark.parametrize(
    ("activity", "role", "deceased", "followed", "expected"),
    [
        pytest.param("admit-emergency", None, False, None, "STAA", id="STAA"),
        pytest.param("admit-inpatient", None, False, None, "STIN", id="STIN"),
        pytest.param("start-leave-inpatient", "revision", False, "STIN", "STOR", id="STOR"),
        pytest.param("end-leave-inpatient", "revision", False, "STOR", "SLOR", id="SLOR"),
        pytest.param("discharge-inpatient-home", "revision", False, "STIN", "SLHJ", id="SLHJ"),
        pytest.param(
            "discharge-emergency-home", "revision", False, "STAA", "SLHJ", id="SLHJ-emergency"
        ),
        pytest.param("admit-inpatient", "revision", True, "STIN", "MORS", id="MORS"),
        pytest.param("admit-emergency", "revision", True, "STAA", "MORS", id="MORS-emergency"),
        pytest.param("start-leave-inpatient", "revision", True, "STOR", "MORS", id="MORS-on-leave"),
        pytest.param(
            "revise-admit-inpatient", "revision", True, "RE_STIN", "MORS", id="MORS-after-RE_STIN"
        ),
        pytest.param(
            "cancel-start-leave-inpatient",
            "revision",
            True,
            "AN_STOR",
            "MORS",
            id="MORS-after-AN_STOR",
        ),
        pytest.param("admit-inpatient", None, True, None, "MORS", id="MORS-on-arrival"),
        pytest.param("admit-inpatient", "revision", True, None, "MORS", id="MORS-of-unseen-stay"),
        pytest.param("revise-admit-inpatient", "revision", False, "STIN", "RE_STIN", id="RE_STIN"),
        pytest.param("revise-admit-emergency", "revision", False, "STAA", "RE_STAA", id="RE_STAA"),
        pytest.param(
            "revise-start-leave-inpatient", "revision", False, "STOR", "RE_STOR", id="RE_STOR"
        ),
        pytest.param(
            "revise-end-leave-inpatient", "revision", False, "SLOR", "RE_SLOR", id="RE_SLOR"
        ),
        pytest.param(
            "revise-discharge-inpatient-home", "revision", False, "SLHJ", "RE_SLHJ", id="RE_SLHJ"
        ),
        pytest.param(
            "revise-discharge-emergency-home",
            "revision",
            False,
            "SLHJ",
            "RE_SLHJ",
            id="RE_SLHJ-emergency",
        ),
        pytest.param("admit-inpatient", "revision", True, "MORS", "RE_MORS", id="RE_MORS"),
        pytest.param(
            "admit-inpatient", "revision", True, "RE_MORS", "RE_MORS", id="RE_MORS-of-RE_MORS"
        ),
        pytest.param(
            "revise-admit-inpatient",
            "revision",
            True,
            "MORS",
            "RE_MORS",
            id="RE_MORS-repeating-a-revise-activity",
        ),
        pytest.param("cancel-admit-inpatient", "removal", False, "STIN", "AN_STIN", id="AN_STIN"),
        pytest.param("cancel-admit-emergency", "removal", False, "STAA", "AN_STAA", id="AN_STAA"),
        pytest.param(
            "cancel-start-leave-inpatient", "removal", False, "STOR", "AN_STOR", id="AN_STOR"
        ),
        pytest.param(
            "cancel-end-leave-inpatient", "removal", False, "SLOR", "AN_SLOR", id="AN_SLOR"
        ),
        pytest.param(
            "cancel-discharge-inpatient-home", "removal", False, "SLHJ", "AN_SLHJ", id="AN_SLHJ"
        ),
        pytest.param("admit-inpatient", "removal", False, "MORS", "AN_MORS", id="AN_MORS"),
        pytest.param(
            "admit-inpatient", "removal", False, None, "AN_MORS", id="AN_MORS-of-unseen-MORS"
        ),
        pytest.param(
            "cancel-start-leave-inpatient",
            "removal",
            False,
            "MORS",
            "AN_MORS",
            id="AN_MORS-repeating-a-cancel-activity",
        ),
    ],
)
def test_notification_code_follows_medcoms_table(
    activity: str, role: str | None, deceased: bool, followed: str | None, expected: str
) -> None:
    step = ProvenanceStep(activity=activity, role=role, follows_header_id="h0" if role else None)

    assert notification_code(step=step, deceased=deceased, followed_code=followed) == expected


@pytest.mark.parametrize("activity", ["new-message", "revise-new-message", "acknowledgement"])
def test_an_activity_that_is_no_hospital_notification_is_unknown(activity: str) -> None:
    with pytest.raises(UnknownActivity):
        notification_code(
            step=ProvenanceStep(activity=activity), deceased=False, followed_code=None
        )


# add_event -------------------------------------------------------------------------------------


def test_a_correction_replaces_the_notice_it_follows() -> None:
    stin = event("STIN", "h1", happened=0)
    correction = event("RE_STIN", "h2", happened=1, sent=2, follows="h1")

    timeline = add_event([stin], correction)

    assert [(e.header_id, e.replaced_by_header_id) for e in timeline] == [
        ("h1", "h2"),
        ("h2", None),
    ]


def test_a_cancellation_replaces_the_notice_it_follows() -> None:
    timeline = timeline_of(
        event("STIN", "h1", happened=0), event("AN_STIN", "h2", happened=0, sent=1, follows="h1")
    )

    assert timeline[0].replaced_by_header_id == "h2"
    assert timeline[1].replaced_by_header_id is None


def test_a_follow_up_replaces_nothing() -> None:
    timeline = timeline_of(
        event("STIN", "h1", happened=0),
        event("STOR", "h2", happened=24, follows="h1"),
        event("SLHJ", "h3", happened=48, follows="h1"),
    )

    assert [e.replaced_by_header_id for e in timeline] == [None, None, None]


def test_a_notice_arriving_after_its_own_correction_is_replaced_all_the_same() -> None:
    correction = event("RE_STIN", "h2", happened=1, sent=2, follows="h1")
    late_stin = event("STIN", "h1", happened=0, sent=0)

    timeline = add_event([correction], late_stin)

    assert [(e.header_id, e.replaced_by_header_id) for e in timeline] == [
        ("h2", None),
        ("h1", "h2"),
    ]


def test_a_follower_citing_a_corrected_notice_applies_to_the_correction_in_force() -> None:
    timeline = timeline_of(
        event("STIN", "h1", happened=0),
        event("RE_STIN", "h2", happened=1, sent=2, follows="h1"),
        event("AN_STIN", "h3", happened=1, sent=3, follows="h1"),
    )

    assert [e.replaced_by_header_id for e in timeline] == ["h2", "h3", None]
    assert current_events(timeline) == []


def test_a_message_citing_itself_replaces_nothing() -> None:
    timeline = timeline_of(event("RE_STIN", "h1", happened=0, follows="h1"))

    assert timeline[0].replaced_by_header_id is None


# current_events and derive_state ---------------------------------------------------------------


def test_events_in_force_are_ordered_by_when_they_happened() -> None:
    timeline = timeline_of(
        event("STIN", "h1", happened=0),
        event("SLHJ", "h3", happened=48),
        event("STOR", "h2", happened=24, sent=50),
        event("AN_SLHJ", "h4", happened=49, follows="h3"),
    )

    assert [e.header_id for e in current_events(timeline)] == ["h1", "h2"]


def test_events_at_the_same_moment_keep_the_order_they_were_sent_in() -> None:
    timeline = timeline_of(
        event("SLOR", "h2", happened=5, sent=7), event("STOR", "h1", happened=5, sent=6)
    )

    assert [e.header_id for e in current_events(timeline)] == ["h1", "h2"]


@pytest.mark.parametrize(
    ("codes", "state"),
    [
        (["STIN"], EpisodeState.ADMITTED),
        (["STAA"], EpisodeState.ADMITTED),
        (["STIN", "STOR"], EpisodeState.ON_LEAVE),
        (["STIN", "STOR", "SLOR"], EpisodeState.ADMITTED),
        (["STIN", "STOR", "SLOR", "SLHJ"], EpisodeState.DISCHARGED),
        (["STIN", "discharge-plan"], EpisodeState.ADMITTED),
        (["STIN", "SLHJ", "discharge-handover"], EpisodeState.DISCHARGED),
        (["STIN", "STOR", "MORS"], EpisodeState.DECEASED),
        (["discharge-plan"], EpisodeState.ADMITTED),
    ],
)
def test_the_state_follows_the_stay(codes: list[str], state: EpisodeState) -> None:
    timeline = timeline_of(
        *(event(code, f"h{hour}", happened=hour) for hour, code in enumerate(codes))
    )

    assert derive_state(timeline) == state


def test_a_leave_told_after_the_discharge_leaves_the_episode_discharged() -> None:
    timeline = timeline_of(
        event("STIN", "h1", happened=0),
        event("SLHJ", "h3", happened=48),
        event("STOR", "h2", happened=24, sent=49),
    )

    assert derive_state(timeline) == EpisodeState.DISCHARGED


def test_a_cancelled_admission_cancels_the_episode() -> None:
    timeline = timeline_of(
        event("STIN", "h1", happened=0), event("AN_STIN", "h2", happened=0, sent=1, follows="h1")
    )

    assert derive_state(timeline) == EpisodeState.CANCELLED


def test_a_cancellation_of_an_unseen_admission_cancels_the_episode() -> None:
    timeline = timeline_of(event("AN_STAA", "h2", happened=0, follows="h1"))

    assert derive_state(timeline) == EpisodeState.CANCELLED


@pytest.mark.parametrize(
    ("codes", "state"),
    [
        (["STIN", "STOR", "AN_STOR"], EpisodeState.ADMITTED),
        (["STIN", "STOR", "SLOR", "AN_SLOR"], EpisodeState.ON_LEAVE),
        (["STIN", "SLHJ", "AN_SLHJ"], EpisodeState.ADMITTED),
        (["STIN", "MORS", "AN_MORS"], EpisodeState.ADMITTED),
        (["STIN", "STOR", "MORS", "AN_MORS"], EpisodeState.ON_LEAVE),
    ],
)
def test_a_cancelled_follow_up_gives_back_the_state_before_it(
    codes: list[str], state: EpisodeState
) -> None:
    *notices, cancellation = codes
    events = [event(code, f"h{hour}", happened=hour) for hour, code in enumerate(notices)]
    cancel = event(cancellation, "cancel", happened=50, follows=events[-1].header_id)

    assert derive_state(timeline_of(*events, cancel)) == state


def test_a_cancelled_discharge_of_an_unseen_stay_does_not_cancel_the_stay() -> None:
    timeline = timeline_of(
        event("SLHJ", "h1", happened=48), event("AN_SLHJ", "h2", happened=49, follows="h1")
    )

    assert derive_state(timeline) == EpisodeState.ADMITTED


def test_a_corrected_death_is_still_a_death() -> None:
    timeline = timeline_of(
        event("STIN", "h1", happened=0),
        event("MORS", "h2", happened=30),
        event("RE_MORS", "h3", happened=29, sent=31, follows="h2"),
    )

    assert derive_state(timeline) == EpisodeState.DECEASED
    assert [e.header_id for e in current_events(timeline)] == ["h1", "h3"]


# admitted_at and discharged_at ---------------------------------------------------------------


def test_a_correction_moves_the_admission_time() -> None:
    timeline = timeline_of(
        event("STIN", "h1", happened=0), event("RE_STIN", "h2", happened=1, sent=2, follows="h1")
    )

    assert admitted_at(timeline) == at(1)


def test_a_late_admission_notice_does_not_move_the_corrected_admission_time() -> None:
    timeline = timeline_of(
        event("RE_STIN", "h2", happened=1, sent=2, follows="h1"), event("STIN", "h1", happened=0)
    )

    assert admitted_at(timeline) == at(1)


def test_a_cancelled_discharge_reopens_the_stay() -> None:
    discharged = timeline_of(event("STIN", "h1", happened=0), event("SLHJ", "h2", happened=48))
    reopened = add_event(discharged, event("AN_SLHJ", "h3", happened=48, sent=49, follows="h2"))

    assert discharged_at(discharged) == at(48)
    assert discharged_at(reopened) is None
    assert admitted_at(reopened) == at(0)


# latest_notice ---------------------------------------------------------------------------------


def test_the_latest_notice_is_the_newest_sent_notice_in_force() -> None:
    timeline = timeline_of(
        event("STIN", "h1", happened=0),
        event("STOR", "h2", happened=24),
        event("RE_STOR", "h3", happened=23, sent=25, follows="h2"),
        event("discharge-plan", "h4", happened=26),
    )

    latest = latest_notice(timeline)

    assert latest is not None
    assert latest.header_id == "h3"


def test_a_cancellation_is_never_the_latest_notice() -> None:
    timeline = timeline_of(
        event("STIN", "h1", happened=0),
        event("STOR", "h2", happened=24),
        event("AN_STOR", "h3", happened=24, sent=25, follows="h2"),
    )

    latest = latest_notice(timeline)

    assert latest is not None
    assert latest.header_id == "h1"


def test_an_empty_timeline_has_no_latest_notice() -> None:
    assert latest_notice([]) is None
    assert latest_notice(timeline_of(event("discharge-plan", "h1", happened=0))) is None
