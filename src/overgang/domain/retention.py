"""What personal data Overgang keeps, and until when (brief §8: delete on a retention schedule).

Defaults follow NHS MESH, the nearest comparable mailbox service: a message not collected
within 5 days is reported back to its sender as undelivered and removed at 30 days. A delivered
(acknowledged) message's payload is kept 30 days after the acknowledgement, for questions from
either side. A closed episode keeps its CPR number and content 90 days, past the 30-day
readmission window (brief §3.6) and late corrections, then becomes a CPR-free record whose
`citizen_key` (an HMAC of the CPR number under a secret key) still links one citizen's episodes
for readmission and compliance figures. Audit rows are kept 2 years (accountability, GDPR art. 5(2)).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from overgang.domain.episode import EpisodeState

# An episode in one of these states receives no more messages in the normal course.
CLOSED_STATES = frozenset({EpisodeState.DISCHARGED, EpisodeState.DECEASED, EpisodeState.CANCELLED})


class RetentionKind(StrEnum):
    """What one retention run does, counted per kind (never naming a person)."""

    UNDELIVERED_REPORTED = "undelivered-reported"
    DELIVERED_PAYLOADS = "delivered-payloads-deleted"
    UNDELIVERED_PAYLOADS = "undelivered-payloads-deleted"
    RECEIVED_PAYLOADS = "received-payloads-deleted"
    EPISODES_PSEUDONYMISED = "episodes-pseudonymised"
    EPISODES_WAITING_FOR_KEY = "episodes-waiting-for-citizen-key"
    AUDIT_ROWS = "audit-rows-deleted"


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """The periods, in days; `cutoffs` turns them into the times a run compares against."""

    delivered_payload_days: int = 30
    undelivered_report_days: int = 5
    undelivered_payload_days: int = 30
    closed_episode_days: int = 90
    audit_days: int = 730

    def cutoffs(self, now: datetime) -> RetentionCutoffs:
        """Everything stamped strictly before these times is due at `now`."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return RetentionCutoffs(
            acknowledged_before=now - timedelta(days=self.delivered_payload_days),
            report_created_before=now - timedelta(days=self.undelivered_report_days),
            undelivered_created_before=now - timedelta(days=self.undelivered_payload_days),
            # A received message outlives its inbox messages' payloads, never the shortest period.
            received_before=now - timedelta(days=self.delivered_payload_days),
            episode_closed_before=now - timedelta(days=self.closed_episode_days),
            audit_before=now - timedelta(days=self.audit_days),
        )


@dataclass(frozen=True, slots=True)
class RetentionCutoffs:
    acknowledged_before: datetime
    report_created_before: datetime
    undelivered_created_before: datetime
    received_before: datetime
    episode_closed_before: datetime
    audit_before: datetime


def citizen_key(cpr: str, *, key: bytes) -> str:
    """The keyed hash that links one citizen's pseudonymised episodes: HMAC-SHA256, hex.

    Without the key it cannot be recomputed from a guessed CPR number (there are only about
    10^9 of them, so a plain hash would be reversed in minutes).
    """
    if not key:
        raise ValueError("the citizen key must not be empty")
    return hmac.new(key, cpr.encode("ascii"), hashlib.sha256).hexdigest()
