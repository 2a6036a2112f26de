"""Bearer tokens are remembered for a few seconds: revoking one takes effect within that time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from fastapi import FastAPI
from sqlalchemy import update

from overgang.config import Settings
from overgang.service.caller import CallerCache, hash_token
from overgang.storage.db import create_db_engine, session_factory, transaction
from overgang.storage.models import ApiClient
from tests.conftest import Api


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def use_cache(api: Api, cache: CallerCache) -> None:
    cast(FastAPI, api.client.app).state.callers = cache


def revoke(settings: Settings, token: str) -> None:
    engine = create_db_engine(settings.database_url)
    with transaction(session_factory(engine)) as session:
        session.execute(
            update(ApiClient)
            .where(ApiClient.token_hash == hash_token(token))
            .values(revoked_at=datetime.now(UTC))
        )
    engine.dispose()


def test_a_revoked_token_works_until_the_cache_forgets_it(api: Api, settings: Settings) -> None:
    clock = Clock()
    use_cache(api, CallerCache(ttl_seconds=10, clock=clock))
    assert api.inbox().status_code == 200

    revoke(settings, api.tokens.aalborg)
    clock.now += 9.9
    still_remembered = api.inbox()
    clock.now += 0.1
    forgotten = api.inbox()

    assert still_remembered.status_code == 200
    assert forgotten.status_code == 401
    assert forgotten.headers["www-authenticate"] == "Bearer"


def test_without_the_cache_a_revoked_token_stops_at_once(api: Api, settings: Settings) -> None:
    use_cache(api, CallerCache(ttl_seconds=0))
    assert api.inbox().status_code == 200

    revoke(settings, api.tokens.aalborg)

    assert api.inbox().status_code == 401


def test_the_cache_lasts_as_configured() -> None:
    assert Settings(token_cache_seconds=2.5).token_cache_seconds == 2.5
    assert Settings().token_cache_seconds == 10
