"""Finding resources inside a message Bundle, whichever reference style the sender used."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Resource = dict[str, Any]


class BundleIndex:
    """Resolves references to Bundle entries.

    Senders use three styles: absolute fullUrls with relative references (MedCom today),
    relative fullUrls (older MedCom examples) and `urn:uuid:` fullUrls and references.
    """

    def __init__(self, bundle: Resource) -> None:
        self.entries: list[Resource] = [
            entry.get("resource") or {}
            for entry in bundle.get("entry") or []
            if isinstance(entry, dict)
        ]
        self._by_reference: dict[str, Resource] = {}
        for entry in bundle.get("entry") or []:
            if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
                continue
            resource = entry["resource"]
            full_url = entry.get("fullUrl")
            if isinstance(full_url, str) and full_url:
                self._by_reference[full_url] = resource
            resource_type, resource_id = resource.get("resourceType"), resource.get("id")
            if isinstance(resource_type, str) and isinstance(resource_id, str):
                self._by_reference.setdefault(f"{resource_type}/{resource_id}", resource)

    def resolve(self, reference: Any) -> Resource | None:
        """The entry a Reference (or its `reference` string) points at, or None."""
        if isinstance(reference, dict):
            reference = reference.get("reference")
        if not isinstance(reference, str) or not reference:
            return None
        found = self._by_reference.get(reference)
        if found is not None:
            return found
        # An absolute reference whose tail matches a relative `Type/id` entry.
        parts = reference.rstrip("/").split("/")
        if len(parts) >= 2:
            return self._by_reference.get(f"{parts[-2]}/{parts[-1]}")
        return None

    def of_type(self, resource_type: str) -> Iterator[Resource]:
        return (r for r in self.entries if r.get("resourceType") == resource_type)

    def first_of_type(self, resource_type: str) -> Resource | None:
        return next(self.of_type(resource_type), None)
