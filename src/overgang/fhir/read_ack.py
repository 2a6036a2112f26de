"""Reading a municipality's MedCom Acknowledgement of a message in its inbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from overgang.domain.issues import medcom_issue
from overgang.fhir import codes
from overgang.fhir.bundle import BundleIndex
from overgang.fhir.decode import MessageRejected
from overgang.fhir.validate import validate_with_fhir_resources

RESPONSE_CODES = frozenset({"ok", "transient-error", "fatal-error"})


@dataclass(frozen=True)
class InboundAcknowledgement:
    header_id: str
    acknowledged_header_id: str  # response.identifier: the MessageHeader.id it answers
    code: str  # ok | transient-error | fatal-error
    reason: str | None  # the OperationOutcome's diagnostics, for a negative answer


def is_acknowledgement(document: dict[str, Any]) -> bool:
    entries = document.get("entry") or []
    first = (
        (entries[0] or {}).get("resource") or {} if entries and isinstance(entries[0], dict) else {}
    )
    coding = first.get("eventCoding") or {} if isinstance(first, dict) else {}
    return isinstance(coding, dict) and coding.get("code") == codes.ACKNOWLEDGEMENT_EVENT


def read_acknowledgement(document: dict[str, Any]) -> InboundAcknowledgement:
    issues = validate_with_fhir_resources(document)
    if issues:
        raise MessageRejected(issues)
    index = BundleIndex(document)
    header = index.entries[0]
    response = header.get("response") or {}
    acknowledged = response.get("identifier")
    code = response.get("code")
    if not isinstance(acknowledged, str) or code not in RESPONSE_CODES:
        raise MessageRejected(
            [
                medcom_issue(
                    "required",
                    "an Acknowledgement needs response.identifier and response.code",
                    expression="Bundle.entry[0].resource.response",
                )
            ]
        )
    reason = None
    outcome = index.resolve(response.get("details"))
    if outcome is not None:
        texts = [_issue_text(issue) for issue in outcome.get("issue") or []]
        reason = "; ".join(text for text in texts if text) or None
    return InboundAcknowledgement(
        header_id=str(header.get("id") or ""),
        acknowledged_header_id=acknowledged,
        code=code,
        reason=reason,
    )


def _issue_text(issue: dict[str, Any]) -> str:
    """The most readable thing an issue says: its diagnostics, its text, or its MedCom code."""
    details = issue.get("details") or {}
    codings = details.get("coding") or [{}]
    return str(
        issue.get("diagnostics")
        or details.get("text")
        or codings[0].get("display")
        or codings[0].get("code")
        or ""
    )
