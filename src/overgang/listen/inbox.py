"""The municipality's side of Overgang's HTTP API, as a case system calls it (profile §3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from overgang.listen.reading import Summary

PAGE = 100


class ApiError(Exception):
    """Overgang answered something other than success; the status says what."""

    def __init__(self, what: str, response: httpx.Response) -> None:
        super().__init__(f"{what}: HTTP {response.status_code}")
        self.status_code = response.status_code


@dataclass(frozen=True)
class InboxItem:
    id: str
    sequence: int
    kind: str
    summary: Summary  # from the item's JSON: no need to fetch the Bundle just to print a line


class InboxApi:
    """One municipality's calls, with its bearer token, on a shared `httpx.Client`."""

    def __init__(self, client: httpx.Client, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def page(self, *, after: int, limit: int = PAGE) -> list[InboxItem]:
        """The messages after a sequence number, oldest first."""
        response = self.client.get(
            "/api/v1/inbox", params={"after": after, "limit": limit}, headers=self.headers
        )
        _check("reading the inbox", response)
        return [
            InboxItem(
                id=item["id"],
                sequence=item["sequence"],
                kind=item["kind"],
                summary=Summary(
                    code=item.get("notification_code"),
                    episode=item.get("episode"),
                    cpr=item.get("cpr"),
                    missing=tuple(
                        i["id"]
                        for i in (item.get("checklist") or {}).get("items", [])
                        if i.get("status") == "missing"
                    ),
                ),
            )
            for item in response.json()["items"]
        ]

    def fhir(self, message_id: str) -> bytes:
        """The message as the FHIR Bundle a push would have carried (the same bytes)."""
        response = self.client.get(
            f"/api/v1/inbox/{message_id}",
            headers={**self.headers, "Accept": "application/fhir+json"},
        )
        _check("reading a message", response)
        return response.content

    def acknowledge(self, message_id: str) -> None:
        response = self.client.post(
            f"/api/v1/inbox/{message_id}/ack", json={"status": "accepted"}, headers=self.headers
        )
        _check("acknowledging", response)

    def register_webhook(self, url: str) -> tuple[str, str]:
        """A new push endpoint: its id and signing secret."""
        response = self.client.post("/api/v1/webhooks", json={"url": url}, headers=self.headers)
        _check("registering the webhook", response)
        created: dict[str, Any] = response.json()
        return str(created["id"]), str(created["secret"])

    def remove_webhook(self, endpoint_id: str) -> None:
        response = self.client.delete(f"/api/v1/webhooks/{endpoint_id}", headers=self.headers)
        if response.status_code != 404:
            _check("removing the webhook", response)


def _check(what: str, response: httpx.Response) -> None:
    if not response.is_success:
        raise ApiError(what, response)
