"""Sending the simulated requests through the HTTP API, in simulated-time order, and counting
what came back."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

import httpx

from overgang.simulate.messages import Outgoing
from overgang.simulate.municipal import MunicipalSide
from overgang.simulate.partners import Credentials

BUSY_RETRIES = 20


@dataclass
class Sent:
    """What was sent and what Overgang answered."""

    by_label: Counter[str] = field(default_factory=Counter)
    by_transport: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)  # "label: status"
    busy_retries: int = 0

    @property
    def messages(self) -> int:
        """Hospital messages (FHIR and JSON), readiness answers aside."""
        return self.by_transport["fhir"] + self.by_transport["json"]


def drive(
    requests: Iterable[Outgoing],
    *,
    client: httpx.Client,
    credentials: Credentials,
    municipalities: MunicipalSide,
    progress: Callable[[Outgoing], None] = lambda _: None,
) -> Sent:
    """Send every request; the municipalities take their messages once a simulated day."""
    sent = Sent()
    day: date | None = None
    for request in requests:
        if request.at.date() != day:
            municipalities.tick()
            day = request.at.date()
        token = credentials.wards.get(request.sender) or credentials.municipalities[request.sender]
        response = _post(client, request, token, sent)
        sent.by_label[request.label] += 1
        sent.by_transport[request.transport] += 1
        if not response.is_success:
            sent.refused[f"{request.label}: {response.status_code}"] += 1
        progress(request)
    return sent


def _post(client: httpx.Client, request: Outgoing, token: str, sent: Sent) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": request.content_type}
    for _ in range(BUSY_RETRIES):
        response = client.post(request.path, content=request.body, headers=headers)
        if response.status_code != 503:
            return response
        # Overgang sheds load with 503 and Retry-After: the sender resends, as an EPJ would.
        sent.busy_retries += 1
        time.sleep(min(float(response.headers.get("retry-after", "1")), 5.0))
    return response
