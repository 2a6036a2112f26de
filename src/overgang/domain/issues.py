"""A problem found in a message or a request, in one shape for every layer that reports it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["fatal", "error", "warning", "information"]

# MedCom's acknowledgement error codes (Acknowledgement IG 2.0.3).
MEDCOM_ERROR_SYSTEM = (
    "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-acknowledgement-error-codes"
)
CHECKLIST_ITEM_SYSTEM = "https://fhir.overgang.dk/CodeSystem/checklist-item"


@dataclass(frozen=True)
class Issue:
    """One finding. `diagnostics` is shown to the caller: it never holds a CPR number or clinical text."""

    severity: Severity
    code: str  # FHIR issue-type: invalid, structure, required, value, business-rule, duplicate, ...
    diagnostics: str
    expression: str | None = None  # FHIRPath to the element, e.g. "Bundle.entry[0].resource"
    details_system: str | None = None
    details_code: str | None = None

    @property
    def is_blocking(self) -> bool:
        return self.severity in ("fatal", "error")


def medcom_issue(
    code: str,
    diagnostics: str,
    *,
    expression: str | None = None,
    medcom_code: str | None = None,
    severity: Severity = "error",
) -> Issue:
    """An issue that carries a MedCom acknowledgement error code where one fits."""
    return Issue(
        severity=severity,
        code=code,
        diagnostics=diagnostics,
        expression=expression,
        details_system=MEDCOM_ERROR_SYSTEM if medcom_code else None,
        details_code=medcom_code,
    )
