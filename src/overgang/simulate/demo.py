"""The demo's history: a few simulated weeks of Region Nordjylland before `overgang demo`
serves, so that the inbox, the episodes and the board have something to show on first start."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import httpx

from overgang.config import Settings
from overgang.service import partners
from overgang.service.database import dispose, sessions_for
from overgang.simulate.partners import register
from overgang.simulate.region import build_region
from overgang.simulate.run import Plan, local_server, run
from overgang.simulate.stays import COPENHAGEN

WEEKS = 3
SHARE = 0.15  # of the region: a few seconds to play, enough to look like one


def seed_history(settings: Settings, *, leave_for_the_reader: frozenset[str]) -> str | None:
    """Play the history once per database (None when it is there already); the municipalities
    in `leave_for_the_reader` keep their messages unacknowledged, for the walkthrough."""
    region = build_region("DK-81")
    sessions = sessions_for(settings)
    try:
        if partners.find_partner(sessions=sessions, org=region.wards[0].sor) is not None:
            return None
    finally:
        dispose(sessions)
    credentials = register(settings, region)
    # Up to a few minutes ago: Overgang refuses what is stamped in the future.
    end = datetime.now(COPENHAGEN).replace(second=0, microsecond=0) - timedelta(minutes=5)
    plan = Plan(region=region, seed=1, weeks=WEEKS, end=end, share=SHARE)
    local = settings.model_copy(update={"run_worker": False})
    quiet = logging.getLogger("overgang")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with local_server(local) as url, httpx.Client(base_url=url, timeout=30) as client:
            result = run(
                plan, client=client, credentials=credentials, webhooks=False,
                skip=leave_for_the_reader,
            )  # fmt: skip
    finally:
        quiet.setLevel(level)
    return (
        f"{len(result.stays)} simulated stays of {WEEKS} weeks in Region Nordjylland "
        f"({result.sent.messages} messages) are in the inboxes"
    )
