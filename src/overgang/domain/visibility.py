"""Which episodes a person or partner may see (profile §7 and §9): a municipality its residents',
a hospital or region those it owns. The one statement of that rule; storage turns a `Scope` into
a query condition."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from overgang.domain.people import Viewer


@dataclass(frozen=True, kw_only=True)
class Scope:
    """Whose episodes count: a municipality's residents, an owner's episodes, or all (None on
    both). Profile §9: a municipality sees its residents, a hospital or region what it owns."""

    municipality_ids: frozenset[uuid.UUID] | None = None
    owners: frozenset[str] | None = None

    @classmethod
    def everything(cls) -> Scope:
        return cls()

    @classmethod
    def residents_of(cls, municipality_id: uuid.UUID) -> Scope:
        return cls(municipality_ids=frozenset({municipality_id}))

    @classmethod
    def owned_by(cls, owner: str) -> Scope:
        """A region (DK-81 ...) or a hospital registered without a region (its SOR)."""
        return cls(owners=frozenset({owner}))

    @classmethod
    def nothing(cls) -> Scope:
        return cls(municipality_ids=frozenset())

    @classmethod
    def of(cls, viewer: Viewer) -> Scope:
        """What a signed-in person sees: their municipality's residents, or their owner's
        episodes; a person belonging to neither sees nothing."""
        if viewer.municipality_id is not None:
            return cls.residents_of(viewer.municipality_id)
        if viewer.owner:
            return cls.owned_by(viewer.owner)
        return cls.nothing()
