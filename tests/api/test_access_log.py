"""The access log: one line a request, naming who called from where, never what was asked for."""

from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.messages import EXAMPLE_EPISODE


def test_each_request_is_logged_with_its_client_address_and_organisation(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="overgang.access"):
        api.episode(EXAMPLE_EPISODE)
        api.client.get("/api/v1/inbox")  # no token

    lines = [r for r in caplog.records if r.name == "overgang.access"]
    assert [r.__dict__["status"] for r in lines] == [404, 401]
    # Starlette's test client calls from "testclient"; a real server logs the peer's IP.
    assert {r.__dict__["client_address"] for r in lines} == {"testclient"}
    assert lines[0].__dict__["organisation_id"] is not None
    assert lines[1].__dict__["organisation_id"] is None
    assert all(EXAMPLE_EPISODE not in str(r.__dict__) for r in lines)
