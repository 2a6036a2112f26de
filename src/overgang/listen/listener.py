"""Taking a municipality's messages once each, in sequence order.

Pushes are queued as they arrive (the receiver answers at once) and taken in the listener's
own thread by `drain()`. The next sequence number is taken from the push; a push beyond it
means a gap, and `catch_up()` pulls everything after the last sequence taken from the inbox
(a pushed body already at hand is not fetched again). Taking a message: forward it (when
asked), acknowledge it, print its line, then remember its sequence: a crash in between takes it
again after a restart (at least once), never skips it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import httpx

from overgang.listen.inbox import InboxApi
from overgang.listen.reading import Summary, line, summarise
from overgang.listen.receiver import Pushed
from overgang.listen.state import SequenceState

Via = Literal["webhook", "pull"]


class ForwardFailed(Exception):
    """The local URL did not take the message: it is taken again on the next round."""


@dataclass(frozen=True)
class Taken:
    message_id: str
    sequence: int
    kind: str
    via: Via
    summary: Summary


@dataclass
class Counts:
    webhook: int = 0
    pull: int = 0
    gaps: int = 0  # times a push showed a gap that a pull then filled
    duplicates: int = 0


@dataclass
class Listener:
    inbox: InboxApi
    state: SequenceState
    print_line: Callable[[str], None] = print
    show_cpr: bool = False
    forward: Callable[[Pushed], None] | None = None
    observe: Callable[[Taken], None] | None = None
    counts: Counts = field(default_factory=Counts)
    _queue: queue.Queue[Pushed] = field(default_factory=queue.Queue)
    _held: dict[int, Pushed] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def push(self, pushed: Pushed) -> None:
        """Called by the receiver's threads: queue a verified push."""
        self._queue.put(pushed)

    def wait(self, timeout: float) -> bool:
        """Wait for a push up to `timeout` seconds; True if one came (it stays queued)."""
        try:
            pushed = self._queue.get(timeout=timeout)
        except queue.Empty:
            return False
        self._queue.put(pushed)
        return True

    def drain(self) -> int:
        """Take the queued pushes in sequence order, pulling to fill any gap; how many taken."""
        with self._lock:
            while True:
                try:
                    pushed = self._queue.get_nowait()
                except queue.Empty:
                    break
                if pushed.sequence <= self.state.last_sequence:
                    self.counts.duplicates += 1
                else:
                    self._held[pushed.sequence] = pushed
            taken = 0
            while (following := self._held.pop(self.state.last_sequence + 1, None)) is not None:
                self._take(
                    following.message_id,
                    following.sequence,
                    following.kind,
                    "webhook",
                    body=following.body,
                )
                taken += 1
            if self._held:
                self.counts.gaps += 1
                taken += self._pull()
            return taken

    def catch_up(self) -> int:
        """Pull everything after the last sequence taken (at start, on a timer, at the end)."""
        self.drain()
        with self._lock:
            return self._pull()

    def _pull(self) -> int:
        taken = 0
        while items := self.inbox.page(after=self.state.last_sequence):
            for item in items:
                if item.sequence <= self.state.last_sequence:
                    continue
                held = self._held.pop(item.sequence, None)
                if held is not None:
                    self._take(item.id, item.sequence, item.kind, "webhook", body=held.body)
                elif self.forward is not None:
                    self._take(
                        item.id, item.sequence, item.kind, "pull", body=self.inbox.fhir(item.id)
                    )
                else:  # nothing to forward: the item itself says what the line needs
                    self._take(
                        item.id, item.sequence, item.kind, "pull", body=None, summary=item.summary
                    )
                taken += 1
        self._held = {s: p for s, p in self._held.items() if s > self.state.last_sequence}
        return taken

    def _take(
        self,
        message_id: str,
        sequence: int,
        kind: str,
        via: Via,
        *,
        body: bytes | None,
        summary: Summary | None = None,
    ) -> None:
        if self.forward is not None and body is not None:
            self.forward(Pushed(message_id, sequence, kind, body))
        self.inbox.acknowledge(message_id)
        summary = summary or summarise(body or b"{}")
        self.print_line(
            line(sequence=sequence, kind=kind, via=via, summary=summary, show_cpr=self.show_cpr)
        )
        self.state.advance(sequence)
        setattr(self.counts, via, getattr(self.counts, via) + 1)
        if self.observe is not None:
            self.observe(Taken(message_id, sequence, kind, via, summary))


def forwarder(client: httpx.Client, url: str) -> Callable[[Pushed], None]:
    """POST each message's exact bytes to a local URL; anything but 2xx stops the round."""

    def forward(message: Pushed) -> None:
        try:
            response = client.post(
                url,
                content=message.body,
                headers={
                    "Content-Type": "application/fhir+json",
                    "Overgang-Inbox-Id": message.message_id,
                    "Overgang-Sequence": str(message.sequence),
                    "Overgang-Kind": message.kind,
                },
            )
        except httpx.HTTPError as error:
            raise ForwardFailed(f"{url}: {type(error).__name__}") from None
        if not response.is_success:
            raise ForwardFailed(f"{url}: HTTP {response.status_code}")

    return forward
