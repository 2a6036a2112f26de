"""A few simulated weeks end to end: the region registered in the database, Overgang served
in-process on a loopback port with its webhook sender, every stay sent through the HTTP API
and every message taken and acknowledged by its municipality (by webhook or by pull)."""

from __future__ import annotations

from datetime import datetime

import httpx
from sqlalchemy import func, select

from overgang.config import Settings
from overgang.simulate.partners import register
from overgang.simulate.region import build_region
from overgang.simulate.run import Plan, local_server, run
from overgang.simulate.stays import COPENHAGEN
from overgang.storage.db import create_db_engine, session_factory, transaction
from overgang.storage.models import InboxMessage

END = datetime(2026, 2, 1, tzinfo=COPENHAGEN)


def test_a_few_simulated_weeks_go_through_the_api_and_every_message_is_acknowledged(
    settings: Settings,
) -> None:
    plan = Plan(region=build_region("DK-81"), seed=4, weeks=2, end=END, share=0.3)
    credentials = register(settings, plan.region)
    served = settings.model_copy(update={"run_worker": True})

    with local_server(served) as url, httpx.Client(base_url=url, timeout=30) as client:
        result = run(plan, client=client, credentials=credentials)

    assert result.sent.refused == {}, result.sent.refused
    assert result.sent.messages >= 40
    assert result.sent.by_transport["json"] and result.sent.by_transport["readiness"]
    taken = result.taken.webhook + result.taken.pull
    assert taken == result.sent.messages  # each accepted message reached its municipality once
    assert result.observed.handovers == result.sent.by_label["discharge-handover"]
    engine = create_db_engine(settings.database_url)
    with transaction(session_factory(engine)) as session:
        statuses = dict(
            session.execute(
                select(InboxMessage.status, func.count()).group_by(InboxMessage.status)
            ).all()
        )
    engine.dispose()
    assert statuses == {"acknowledged": taken}


def test_registering_twice_keeps_the_partners_and_makes_new_tokens(settings: Settings) -> None:
    region = build_region("DK-85")
    first, second = register(settings, region), register(settings, region)

    assert first.addresses == second.addresses
    assert set(first.wards) == {w.sor for w in region.wards}
    assert first.wards.keys() == second.wards.keys()
    assert first.wards != second.wards
