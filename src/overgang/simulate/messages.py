"""The wire form of a stay's steps: FHIR message Bundles (as an EPJ sends them) or JSON events,
and the municipality's readiness answers. Every id is a uuid5 of the seed and the step, so the
same seed gives byte-identical messages.

The Bundle is written by `overgang.fhir.build.build_message_bundle` (Overgang's own writer of
MedCom-shaped messages) and then given what an EPJ adds and the domain objects do not keep: the
patient's name, the Provenances of the episode's earlier notices, and the report-of-admission
extensions of a first STIN or STAA.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson

from overgang.domain.messages import (
    EncounterFacts,
    EpisodeKey,
    InboundMessage,
    MessageKind,
    OrganisationRef,
    ProvenanceStep,
)
from overgang.fhir import codes
from overgang.fhir.build import build_message_bundle
from overgang.simulate.story import Document, Notice, Readiness, Stay

EPJ_BASE = "https://epj.region.example/fhir"
_HN = "http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/"
ACTIVITY = {
    ("STIN", "IMP"): "admit-inpatient",
    ("STAA", "EMER"): "admit-emergency",
    ("STOR", "IMP"): "start-leave-inpatient",
    ("SLOR", "IMP"): "end-leave-inpatient",
    ("SLHJ", "IMP"): "discharge-inpatient-home",
    ("SLHJ", "EMER"): "discharge-emergency-home",
}
EVENT_TYPE = {
    "STIN": "admission",
    "STAA": "admission",
    "STOR": "leave-start",
    "SLOR": "leave-end",
    "SLHJ": "discharge",
    "MORS": "death",
}


@dataclass(frozen=True)
class Outgoing:
    """One HTTP request of the simulation, at its simulated time."""

    at: datetime
    stay: str
    step: int
    sender: str  # a ward's SOR, or a municipality's code
    path: str
    body: bytes
    content_type: str
    label: str  # STIN, RE_SLHJ, discharge-plan, readiness, ...
    transport: Literal["fhir", "json", "readiness"]
    episode: str


class MessageBuilder:
    """Builds the requests of each stay; ids derive from the seed."""

    def __init__(self, seed: int) -> None:
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"https://fhir.overgang.dk/simulate/{seed}")

    def id(self, *parts: object) -> str:
        return str(uuid.uuid5(self.namespace, "/".join(map(str, parts))))

    def episode(self, stay: Stay) -> str:
        return self.id("stay", stay.key, "episode")

    def requests(self, stay: Stay) -> Iterator[Outgoing]:
        """The stay's requests in the order they are sent (built as they are asked for)."""
        episode = self.episode(stay)
        chain: list[dict[str, Any]] = []  # the Provenances of the notices sent so far
        activities: dict[int, str] = {}
        for index, step in enumerate(stay.steps):
            common: dict[str, Any] = {
                "at": step.sent_at,
                "stay": stay.key,
                "step": index,
                "episode": episode,
            }
            if isinstance(step, Readiness):
                answer: dict[str, Any] = {"ready": step.ready}
                if step.ready_from is not None:
                    answer["ready_from"] = step.ready_from.isoformat()
                if step.reason is not None:
                    answer["reason"] = step.reason
                yield Outgoing(
                    **common, sender=stay.municipality.code,
                    path=f"/api/v1/episodes/{episode}/readiness", body=orjson.dumps(answer),
                    content_type="application/json", label="readiness", transport="readiness",
                )  # fmt: skip
                continue
            message = self._message(stay, step, episode, activities)
            label = step.code if isinstance(step, Notice) else step.kind
            if stay.transport == "json":
                body, path, content_type = self._event(stay, step, message), "/api/v1/events", (
                    "application/json")  # fmt: skip
            else:
                bundle = build_message_bundle(message, base_url=EPJ_BASE)
                self._as_an_epj(bundle, stay, step, chain)
                body, path, content_type = bundle, "/fhir/$process-message", "application/fhir+json"
            yield Outgoing(
                **common, sender=stay.ward.sor, path=path, body=orjson.dumps(body),
                content_type=content_type, label=label, transport=stay.transport,
            )  # fmt: skip

    def _header(self, stay: Stay, notice: int) -> str:
        return self.id("stay", stay.key, "notice", notice)

    def _message(
        self, stay: Stay, step: Notice | Document, episode: str, activities: dict[int, str]
    ) -> InboundMessage:
        ward, town = stay.ward, stay.municipality
        if isinstance(step, Notice):
            header_id = self._header(stay, step.number)
            kind, deceased, end = MessageKind.HOSPITAL_NOTIFICATION, step.deceased, step.end
            provenance = self._provenance(stay, step, activities)
            activities[step.number] = provenance.activity
            status, content = step.status, None
        else:
            header_id = self.id("stay", stay.key, step.kind, step.sent_at.isoformat())
            kind, deceased, end = MessageKind(step.kind), False, None
            provenance = ProvenanceStep(activity=step.kind, occurred_at=step.sent_at)
            status = "finished" if step.kind == "discharge-handover" else "in-progress"
            content = step.content
        return InboundMessage(
            kind=kind,
            bundle_id=self.id("bundle", header_id),
            header_id=header_id,
            timestamp=step.sent_at,
            sender=OrganisationRef(sor=ward.sor, gln=ward.gln, name=ward.name),
            receiver=OrganisationRef(sor=town.sor, gln=town.gln, name=town.name),
            cpr=stay.citizen.cpr,
            deceased=deceased,
            encounter=EncounterFacts(
                status=status,
                encounter_class=step.encounter_class,
                episode_keys=(EpisodeKey(system=codes.SOR_ENDPOINT_PREFIX + ward.sor, value=episode),),
                period_start=step.start,
                period_end=end,
                leave_start=step.leave_start if isinstance(step, Notice) else None,
                leave_end=step.leave_end if isinstance(step, Notice) else None,
            ),
            provenance=provenance,
            content=content,
        )  # fmt: skip

    def _provenance(self, stay: Stay, notice: Notice, activities: dict[int, str]) -> ProvenanceStep:
        """MedCom's activity for the notice; a correction or cancellation names the activity of
        the notice it replaces, a death repeats the current one (brief §4)."""
        code, follows = notice.code, notice.follows
        base = code.removeprefix("RE_").removeprefix("AN_")
        previous = activities.get(follows, "") if follows is not None else ""
        current = previous.removeprefix("revise-").removeprefix("cancel-")
        activity = ACTIVITY.get((base, notice.encounter_class), current)
        role = None if follows is None else "revision"
        if code.startswith("RE_"):
            activity = "revise-" + current
        elif code.startswith("AN_"):
            activity, role = "cancel-" + current, "removal"
        follows_id = None if follows is None else self._header(stay, follows)
        return ProvenanceStep(
            activity=activity, role=role, follows_header_id=follows_id, occurred_at=notice.sent_at
        )

    def _as_an_epj(
        self, bundle: dict[str, Any], stay: Stay, step: Notice | Document, chain: list[Any]
    ) -> None:
        """What an EPJ's message has beyond the domain facts (module docstring)."""
        resources = [entry["resource"] for entry in bundle["entry"]]
        patient = next(r for r in resources if r["resourceType"] == "Patient")
        citizen = stay.citizen
        patient["name"] = [{"use": "official", "family": citizen.family, "given": [citizen.given]}]
        if not isinstance(step, Notice):
            return
        own = bundle["entry"].pop()  # build_message_bundle writes the Provenance last
        header = resources[0]
        if step.number == 0:
            sender = header["sender"]
            header["extension"] = [
                {"url": _HN + "medcom-messaging-reportOfAdmissionExtension", "valueBoolean": True},
                {"url": _HN + "medcom-messaging-reportOfAdmissionRecipientExtension",
                 "valueReference": sender},
            ]  # fmt: skip
        bundle["entry"].extend([*chain, own])
        chain.append(own)

    def _event(
        self, stay: Stay, step: Notice | Document, message: InboundMessage
    ) -> dict[str, Any]:
        """The same facts as a plain JSON event (`POST /api/v1/events`)."""
        encounter: dict[str, Any] = {"class": step.encounter_class, "start": step.start.isoformat()}
        event: dict[str, Any] = {
            "event_id": message.header_id,
            "timestamp": step.sent_at.isoformat(),
            "receiver": {"sor": stay.municipality.sor, "gln": stay.municipality.gln},
            "cpr": stay.citizen.cpr,
            "episode_identifiers": [
                {"system": key.system, "value": key.value} for key in message.encounter.episode_keys
            ],
            "encounter": encounter,
        }
        if isinstance(step, Document):
            event["type"] = step.kind
            content = step.content.to_json()
            content.pop("version")
            encounter["end"] = content.pop("discharge_at")
            event["content"] = content
            return event
        event["type"] = EVENT_TYPE[step.code.removeprefix("RE_").removeprefix("AN_")]
        for name in ("end", "leave_start", "leave_end"):
            if (value := getattr(step, name)) is not None:
                encounter[name] = value.isoformat()
        if step.follows is not None:
            relation = {"RE_": "corrects", "AN_": "cancels"}.get(step.code[:3], "follows")
            event[relation] = self._header(stay, step.follows)
        if step.deceased:
            event["deceased"] = True
        return event
