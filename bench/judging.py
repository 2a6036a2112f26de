"""What judging costs per message, without a database or HTTP: the pure part of intake in a loop.

    .venv/bin/python -m bench.judging [--stays 100] [--rounds 5] [--profile]

The messages are `bench.ratio`'s (whole stays: admission, plan, handover), read once up front.
Each round then takes them in order through what intake does between reading the episode and
writing it: `apply_message`, the episode's new values, the snapshot, `evaluate_checklist`, the
issues for the answer, the stored and outbound forms of the result, and the handover package.
Episodes live in a dict, so only the pure functions are timed. `--profile` adds cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.messages import stays, take
from overgang.checklist import ChecklistCatalog, default_checklist_dir, load_checklists
from overgang.domain.episode import TimelineEvent
from overgang.domain.intake import EpisodeBefore, apply_message
from overgang.domain.messages import InboundMessage
from overgang.fhir.decode import decode_body
from overgang.fhir.read import read_message
from overgang.handover.package import package_for_municipality
from overgang.service import intake, intake_episode
from overgang.service.checklist import checklist_issues, judge
from overgang.storage.episodes import HeldEpisode

MUNICIPALITY_SOR = "1234561000016000"


def read_all(count: int) -> list[tuple[InboundMessage, bytes]]:
    now = datetime.now(UTC)
    read = []
    for message in take(stays(now=now, block=10), count):
        document = decode_body(message.body, "application/fhir+json", max_depth=64)
        inbound = read_message(document, now=now, max_future_skew=timedelta(minutes=5))
        read.append((inbound.message, message.body))
    return read


def one_round(
    messages: list[tuple[InboundMessage, bytes]], catalog: ChecklistCatalog, spent: Counter[str]
) -> None:
    """Every message through the pure steps of intake, the episodes kept in memory; CPU seconds
    of each step are added to `spent`."""
    episodes: dict[str, tuple[HeldEpisode, list[TimelineEvent]]] = {}
    now = datetime.now(UTC)
    clock = time.process_time
    for message, body in messages:
        key = message.encounter.episode_keys[0].value
        episode, timeline = episodes.get(key) or (
            HeldEpisode(
                id=uuid.uuid4(), cpr=message.cpr, municipality_organisation_id=uuid.uuid4()
            ),
            [],
        )
        began = clock()
        change = apply_message(
            message,
            EpisodeBefore(
                timeline=timeline,
                encounter_class=episode.encounter_class,
                planned_discharge_at=episode.planned_discharge_at,
            ),
        )
        spent["apply_message"] += (step := clock()) - began
        values: dict[str, Any] = {
            "state": change.state,
            "encounter_class": change.encounter_class,
            "admitted_at": change.admitted_at,
            "discharged_at": change.discharged_at,
            "planned_discharge_at": change.planned_discharge_at,
            "updated_at": now,
        }
        if change.content is not None:
            values["content"] = change.content.to_json()
        spent["episode values, content.to_json"] += (began := clock()) - step
        episode = replace(
            episode,
            planned_discharge_at=change.planned_discharge_at,
            discharged_at=change.discharged_at,
            content=values.get("content", episode.content),
        )
        intake_episode.event_row(episode.id, change.event, message, received_id=uuid.uuid4())
        spent["the episode after, the timeline row (ORM)"] += (step := clock()) - began
        issues = list(change.warnings)
        checklist = None
        if change.judged is not None:
            checklist = judge(
                session=None,  # type: ignore[arg-type]  # never read: events and SOR are given
                episode=episode,
                catalog=catalog,
                judged=change.judged,
                events=change.timeline,
                municipality_sor=MUNICIPALITY_SOR,
                content=change.content,
            )
            issues += checklist_issues(checklist)
        [intake._issue_json(issue) for issue in issues]
        stored = checklist.to_json() if checklist else None
        spent["judging: snapshot, evaluate, issues, result JSON"] += (began := clock()) - step
        outbound = stored if message.content is not None else None
        package_for_municipality(body, outbound)
        spent["handover package"] += clock() - began
        episodes[key] = (episode, change.timeline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stays", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="tottime", help="cProfile order: tottime, cumulative")
    args = parser.parse_args()
    catalog = load_checklists(default_checklist_dir())
    messages = read_all(3 * args.stays)
    one_round(messages, catalog, Counter())  # first-use costs
    profiler = cProfile.Profile() if args.profile else None
    spent: Counter[str] = Counter()
    for _ in range(args.rounds):
        if profiler:
            profiler.enable()
        one_round(messages, catalog, spent)
        if profiler:
            profiler.disable()
    count = args.rounds * len(messages)
    print(f"{len(messages)} messages x {args.rounds}, ms CPU per message:")
    for stage, seconds in [*spent.items(), ("total", sum(spent.values()))]:
        print(f"  {stage:<52} {seconds / count * 1000:.3f}")
    if profiler:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(35)


if __name__ == "__main__":
    main()
