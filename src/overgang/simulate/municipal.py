"""The municipalities' side of a simulated region: each one takes its messages with the
listener of `overgang listen`, most by webhook (one local receiver, a path and a secret each),
some by pulling their inbox once a simulated day. Every message is acknowledged."""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from dataclasses import dataclass, field

import httpx

from overgang.listen.inbox import ApiError, InboxApi
from overgang.listen.listener import Counts, Listener, Taken
from overgang.listen.receiver import WebhookReceiver
from overgang.listen.state import SequenceState
from overgang.simulate import figures
from overgang.simulate.partners import Credentials
from overgang.simulate.region import Region


@dataclass
class Observed:
    """What the municipalities saw: messages by kind, and the checklist items each handover
    (the verdict at discharge) flagged as missing."""

    kinds: Counter[str] = field(default_factory=Counter)
    handover_missing: Counter[str] = field(default_factory=Counter)
    handovers: int = 0

    def __call__(self, taken: Taken) -> None:
        self.kinds[taken.kind] += 1
        if taken.kind == "handover":
            self.handovers += 1
            self.handover_missing.update(taken.summary.missing)


class MunicipalSide:
    """Start with `open()`, `tick()` once a simulated day, `finish()` at the end."""

    def __init__(
        self,
        *,
        client: httpx.Client,
        region: Region,
        credentials: Credentials,
        rng: random.Random,
        webhooks: bool,
        skip: frozenset[str] = frozenset(),
    ) -> None:
        self.observed = Observed()
        self.listeners: dict[str, Listener] = {}
        self.pulling: set[str] = set()
        self.endpoints: dict[str, str] = {}
        self._webhooks = webhooks
        self._receiver: WebhookReceiver | None = None
        for town in region.municipalities:
            if town.code in skip:
                continue
            inbox = InboxApi(client, credentials.municipalities[town.code])
            self.listeners[town.code] = Listener(
                inbox=inbox, state=SequenceState(), print_line=lambda _: None, observe=self.observed
            )
            if not webhooks or rng.random() < figures.PULLING_MUNICIPALITIES:
                self.pulling.add(town.code)

    def open(self) -> None:
        """Register a webhook for each pushing municipality on one local receiver, then
        take what is already in the inboxes."""
        if len(self.pulling) < len(self.listeners):
            self._receiver = WebhookReceiver()
        for code, listener in self.listeners.items():
            if self._receiver is not None and code not in self.pulling:
                path = f"/{code}"
                endpoint, secret = listener.inbox.register_webhook(self._receiver.base_url + path)
                self.endpoints[code] = endpoint
                self._receiver.route(path, secret=secret, take=listener.push)
            listener.catch_up()

    def tick(self) -> None:
        for code, listener in self.listeners.items():
            if code in self.pulling:
                listener.catch_up()
            else:
                listener.drain()

    def finish(self) -> None:
        """Take everything still outstanding (a push not yet sent is pulled instead), then
        remove the webhooks, so that a server left running does not push to nobody."""
        try:
            for listener in self.listeners.values():
                listener.catch_up()
        finally:
            self.close()

    def close(self) -> None:
        for code, endpoint in self.endpoints.items():
            # When the server is going away too, nothing is left to push to anyway.
            with contextlib.suppress(httpx.HTTPError, ApiError):
                self.listeners[code].inbox.remove_webhook(endpoint)
        self.endpoints.clear()
        if self._receiver is not None:
            self._receiver.close()
            self._receiver = None

    def totals(self) -> Counts:
        total = Counts()
        for listener in self.listeners.values():
            for name in ("webhook", "pull", "gaps", "duplicates"):
                setattr(total, name, getattr(total, name) + getattr(listener.counts, name))
        return total
