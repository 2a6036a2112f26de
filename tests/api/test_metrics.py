"""Prometheus metrics for the operator: counts and queue state, never personal data."""

from __future__ import annotations

import re

from tests.conftest import Api
from tests.messages import EXAMPLE_EPISODE, EXAMPLE_STAY, TEST_CPR, example


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


def test_metrics_count_messages_and_show_the_outbox(api: Api) -> None:
    before = api.client.get("/metrics").text
    api.client.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook"},
        headers=api.auth(api.tokens.aalborg),
    )
    for name in EXAMPLE_STAY:
        api.send(example(name))
    api.send(example(EXAMPLE_STAY[0]))  # a resend
    api.send(b"{broken")

    response = api.client.get("/metrics")
    after = response.text

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    accepted = {"kind": "hospital-notification", "outcome": "accepted"}
    name = "overgang_messages_received_total"
    assert sample(after, name, **accepted) - sample(before, name, **accepted) == 2
    duplicate = {"kind": "hospital-notification", "outcome": "duplicate"}
    assert sample(after, name, **duplicate) - sample(before, name, **duplicate) == 1
    refused = {"kind": "unknown", "outcome": "refused"}
    assert sample(after, name, **refused) - sample(before, name, **refused) == 1
    assert sample(after, "overgang_outbox_pending", municipality="0851") == 4
    assert sample(after, "overgang_outbox_oldest_pending_seconds", municipality="0851") >= 0
    assert TEST_CPR not in after
    assert EXAMPLE_EPISODE not in after
