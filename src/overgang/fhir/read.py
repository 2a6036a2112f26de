"""Reading an inbound message Bundle: FHIR JSON in, validated plain facts out.

`read_message` runs every check before anything is stored and raises `MessageRejected` with
all the blocking issues it found; oddities that MedCom's own traffic has come back as warnings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from overgang.domain import identifiers, limits
from overgang.domain.issues import Issue, medcom_issue
from overgang.domain.messages import (
    EncounterFacts,
    EpisodeKey,
    InboundMessage,
    MessageKind,
    OrganisationRef,
    ProvenanceStep,
)
from overgang.fhir import codes
from overgang.fhir.acknowledgement import (
    MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE,
    MSG_VALUESET_VALUE_UNKNOWN,
    AcknowledgedMessage,
)
from overgang.fhir.bundle import BundleIndex, Resource
from overgang.fhir.content import ContentError, extract_discharge_content
from overgang.fhir.decode import MessageRejected
from overgang.fhir.validate import unresolved_references, validate_with_fhir_resources


@dataclass(frozen=True)
class ReadMessage:
    message: InboundMessage
    envelope: AcknowledgedMessage


def read_message(
    document: dict[str, Any], *, now: datetime, max_future_skew: timedelta
) -> ReadMessage:
    """Validate a hospital's message Bundle and reduce it to an InboundMessage."""
    if document.get("resourceType") != "Bundle":
        raise MessageRejected(
            [medcom_issue("structure", "the resource must be a Bundle", expression="Bundle")],
            status=400,
        )
    if document.get("type") != "message":
        raise MessageRejected(
            [medcom_issue("value", "Bundle.type must be 'message'", expression="Bundle.type")],
            status=400,
        )
    index = BundleIndex(document)
    if not index.entries:
        raise MessageRejected(
            [medcom_issue("required", "the Bundle has no entries", expression="Bundle.entry")],
            status=400,
        )
    header = index.entries[0]
    if header.get("resourceType") != "MessageHeader":
        raise MessageRejected(
            [
                medcom_issue(
                    "structure",
                    "the first entry must be the MessageHeader",
                    expression="Bundle.entry[0].resource",
                )
            ],
            status=400,
        )
    envelope = _envelope(header, index)
    issues = validate_with_fhir_resources(document)
    if issues:
        # Not valid FHIR R4: a malformed request (400), unlike a MedCom rule it breaks (422).
        raise MessageRejected(issues, envelope=envelope, status=400)
    reader = _Reader(document, index, header)
    message = reader.read(now=now, max_future_skew=max_future_skew)
    blocking = [issue for issue in reader.issues if issue.is_blocking]
    if blocking or message is None:
        raise MessageRejected(blocking, envelope=envelope)
    if envelope is None:
        raise MessageRejected(
            [
                medcom_issue(
                    "required",
                    "the sender Organization needs an id to be acknowledged",
                    expression="Bundle.entry[0].resource.sender",
                )
            ]
        )
    return ReadMessage(message=message, envelope=envelope)


def _envelope(header: Resource, index: BundleIndex) -> AcknowledgedMessage | None:
    # Runs before the Bundle is validated, so every element may have the wrong shape.
    header_id = header.get("id")
    if not isinstance(header_id, str) or not header_id:
        return None
    sender = index.resolve(header.get("sender")) or {}
    if sender.get("resourceType") != "Organization" or not isinstance(sender.get("id"), str):
        return None  # an acknowledgement must name the sender's Organization entry
    source = header.get("source")
    endpoint = source.get("endpoint") if isinstance(source, dict) else None
    return AcknowledgedMessage(
        header_id=header_id,
        sender_organization=sender,
        source_endpoint=endpoint if isinstance(endpoint, str) else "",
        new_provenance=_new_provenance(header_id, index),
    )


def _new_provenance(header_id: str, index: BundleIndex) -> Resource | None:
    """The Provenance whose target is this message's own MessageHeader (entry order means nothing)."""
    for provenance in index.of_type("Provenance"):
        targets = provenance.get("target")
        for target in targets if isinstance(targets, list) else []:
            reference = target.get("reference") if isinstance(target, dict) else None
            if not isinstance(reference, str):
                continue
            if reference == f"MessageHeader/{header_id}" or reference.endswith(
                f"/MessageHeader/{header_id}"
            ):
                return provenance
    return None


def parse_datetime(value: Any) -> datetime | None:
    """A FHIR dateTime/instant with its timezone; None when it is absent or carries none."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


class _Reader:
    """Collects issues while reading one Bundle, so the sender sees all of them at once."""

    def __init__(self, document: dict[str, Any], index: BundleIndex, header: Resource) -> None:
        self.document = document
        self.index = index
        self.header = header
        self.issues: list[Issue] = []

    def error(self, code: str, text: str, expression: str, medcom_code: str | None = None) -> None:
        self.issues.append(medcom_issue(code, text, expression=expression, medcom_code=medcom_code))

    def warning(self, text: str, expression: str) -> None:
        self.issues.append(
            medcom_issue("informational", text, expression=expression, severity="warning")
        )

    def path(self, resource: Resource) -> str:
        """The FHIRPath of an entry's resource, so an issue names which of several it is."""
        position = next(
            (i for i, entry in enumerate(self.index.entries) if entry is resource), None
        )
        return f"Bundle.entry[{position}].resource" if position is not None else "Bundle.entry"

    def read(self, *, now: datetime, max_future_skew: timedelta) -> InboundMessage | None:
        kind = self._kind()
        timestamp = self._timestamp(now, max_future_skew)
        header_id = str(self.header.get("id") or "")
        if not header_id:
            self.error("required", "MessageHeader.id is required", "Bundle.entry[0].resource.id")
        bundle_id = str(self.document.get("id") or "")
        if not bundle_id:
            self.error("required", "Bundle.id is required", "Bundle.id")
        sender = self._sender()
        receiver = self._receiver()
        cpr, deceased = self._patient()
        encounter, encounter_resource = self._encounter()
        provenance = self._provenance(header_id)
        content = None
        if kind in (MessageKind.DISCHARGE_PLAN, MessageKind.DISCHARGE_HANDOVER) and encounter:
            try:
                content = extract_discharge_content(self.index, encounter_resource)
            except ContentError as error:
                self.error("value", str(error), "Bundle")
        self._id_shape_warnings(bundle_id, header_id)
        self._reference_issues()
        if (
            kind is None
            or timestamp is None
            or sender is None
            or receiver is None
            or cpr is None
            or encounter is None
            or provenance is None
        ):
            return None
        return InboundMessage(
            kind=kind,
            bundle_id=bundle_id,
            header_id=header_id,
            timestamp=timestamp,
            sender=sender,
            receiver=receiver,
            cpr=cpr,
            deceased=deceased,
            encounter=encounter,
            provenance=provenance,
            content=content,
            warnings=tuple(issue for issue in self.issues if not issue.is_blocking),
        )

    def _kind(self) -> MessageKind | None:
        coding = self.header.get("eventCoding") or {}
        system, code = coding.get("system"), coding.get("code")
        if system == codes.MEDCOM_EVENT_SYSTEM and code == codes.HOSPITAL_NOTIFICATION_EVENT:
            return MessageKind.HOSPITAL_NOTIFICATION
        if system == codes.OVERGANG_EVENT_SYSTEM and code in (
            MessageKind.DISCHARGE_PLAN,
            MessageKind.DISCHARGE_HANDOVER,
        ):
            return MessageKind(code)
        self.error(
            "not-supported",
            "MessageHeader.eventCoding is not a message kind Overgang accepts",
            "Bundle.entry[0].resource.eventCoding",
            MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE,
        )
        return None

    def _timestamp(self, now: datetime, max_future_skew: timedelta) -> datetime | None:
        timestamp = parse_datetime(self.document.get("timestamp"))
        if timestamp is None:
            self.error(
                "required", "Bundle.timestamp is required, with a timezone", "Bundle.timestamp"
            )
            return None
        if timestamp > now + max_future_skew:
            self.error(
                "value",
                f"Bundle.timestamp is more than {int(max_future_skew.total_seconds())} s in the future",
                "Bundle.timestamp",
            )
        return timestamp

    def _organisation(self, reference: Any, expression: str) -> OrganisationRef | None:
        organisation = self.index.resolve(reference)
        if organisation is None or organisation.get("resourceType") != "Organization":
            self.error("structure", "must reference an Organization in the Bundle", expression)
            return None
        sor = gln = None
        for position, identifier in enumerate(organisation.get("identifier") or []):
            system, value = identifier.get("system"), str(identifier.get("value") or "")
            where = f"{self.path(organisation)}.identifier[{position}].value"
            if system == codes.SOR_SYSTEM:
                sor = value
                if not identifiers.sor_is_well_formed(value):
                    self.error("value", "SOR identifier is not well-formed", where)
                elif not identifiers.sor_check_digit_ok(value):
                    self.warning("SOR identifier fails its check digit", where)
            elif system in codes.GLN_SYSTEMS:
                gln = value
                if not identifiers.gln_is_valid(value):
                    self.error("value", "GLN must be 13 digits with a valid check digit", where)
        if sor is None:
            self.error("required", "the Organization has no SOR identifier", expression)
            return None
        return OrganisationRef(sor=sor, gln=gln, name=organisation.get("name"))

    def _sender(self) -> OrganisationRef | None:
        return self._organisation(self.header.get("sender"), "Bundle.entry[0].resource.sender")

    def _receiver(self) -> OrganisationRef | None:
        destinations = self.header.get("destination") or []
        primary = [d for d in destinations if _is_primary(d)]
        if len(primary) != 1:
            self.error(
                "structure",
                "exactly one primary destination is required",
                "Bundle.entry[0].resource.destination",
            )
            return None
        position = destinations.index(primary[0])
        return self._organisation(
            primary[0].get("receiver"), f"Bundle.entry[0].resource.destination[{position}].receiver"
        )

    def _patient(self) -> tuple[str | None, bool]:
        patients = list(self.index.of_type("Patient"))
        if len(patients) != 1:
            self.error("structure", "exactly one Patient is required", "Bundle.entry")
            return None, False
        patient = patients[0]
        deceased = patient.get("deceasedBoolean") is True or "deceasedDateTime" in patient
        for position, identifier in enumerate(patient.get("identifier") or []):
            if identifier.get("system") == codes.CPR_SYSTEM:
                try:
                    return identifiers.normalise_cpr(str(identifier.get("value") or "")), deceased
                except identifiers.InvalidIdentifier as error:
                    # MedCom's error codes have none for a CPR number: the text says it.
                    where = f"{self.path(patient)}.identifier[{position}].value"
                    self.error("value", str(error), where)
                    return None, deceased
        self.error(
            "required", "the Patient has no CPR identifier", f"{self.path(patient)}.identifier"
        )
        return None, deceased

    def _encounter(self) -> tuple[EncounterFacts | None, Resource]:
        focus = self.header.get("focus") or []
        encounter = self.index.resolve(focus[0]) if focus else None
        if encounter is None or encounter.get("resourceType") != "Encounter":
            self.error(
                "structure",
                "MessageHeader.focus must reference the Encounter",
                "Bundle.entry[0].resource.focus",
            )
            return None, {}
        where = self.path(encounter)
        status = encounter.get("status")
        if status not in codes.ENCOUNTER_STATUSES:
            self.error(
                "code-invalid",
                "Encounter.status is not an allowed code",
                f"{where}.status",
                MSG_VALUESET_VALUE_UNKNOWN,
            )
        encounter_class = (encounter.get("class") or {}).get("code")
        if encounter_class not in codes.ENCOUNTER_CLASSES:
            self.error(
                "code-invalid",
                "Encounter.class must be IMP or EMER",
                f"{where}.class.code",
                MSG_VALUESET_VALUE_UNKNOWN,
            )
        keys = self._episode_keys(encounter, where)
        period = encounter.get("period") or {}
        start, end = (
            self._datetime(
                period, "start", f"{where}.period.start", required_as="Encounter.period.start"
            ),
            (self._datetime(period, "end", f"{where}.period.end")),
        )
        leave: Resource = {}
        leave_where = f"{where}.extension"
        for position, extension in enumerate(encounter.get("extension") or []):
            if extension.get("url") == codes.MEDCOM_LEAVE_PERIOD_EXTENSION:
                leave = extension.get("valuePeriod") or {}
                leave_where = f"{where}.extension[{position}].valuePeriod"
        facts = EncounterFacts(
            status=str(status),
            encounter_class=str(encounter_class),
            episode_keys=keys,
            period_start=start,
            period_end=end,
            leave_start=self._datetime(leave, "start", f"{leave_where}.start"),
            leave_end=self._datetime(leave, "end", f"{leave_where}.end"),
        )
        return facts, encounter

    def _episode_keys(self, encounter: Resource, where: str) -> tuple[EpisodeKey, ...]:
        keys = []
        for item in encounter.get("episodeOfCare") or []:
            identifier = (item or {}).get("identifier") or {}
            system, value = identifier.get("system"), identifier.get("value")
            if isinstance(system, str) and isinstance(value, str) and value.strip():
                normalised = identifiers.normalise_episode_identifier_value(value)
                keys.append(EpisodeKey(system=system, value=normalised))
        if not keys:
            self.error(
                "required",
                "Encounter.episodeOfCare needs an identifier with system and value",
                f"{where}.episodeOfCare",
            )
        return tuple(keys)

    def _datetime(
        self, holder: Resource, name: str, expression: str, *, required_as: str | None = None
    ) -> datetime | None:
        raw = holder.get(name)
        if raw is None:
            if required_as:
                self.error("required", f"{required_as} is required", expression)
            return None
        parsed = parse_datetime(raw)
        if parsed is None:
            self.error("value", "must be a dateTime with a timezone", expression)
        return parsed

    def _provenance(self, header_id: str) -> ProvenanceStep | None:
        provenance = _new_provenance(header_id, self.index) if header_id else None
        if provenance is None:
            self.error(
                "required",
                "a Provenance whose target is this MessageHeader is required",
                "Bundle.entry.resource.ofType(Provenance)",
            )
            return None
        codings = (provenance.get("activity") or {}).get("coding") or []
        activity = next((c.get("code") for c in codings if c.get("code")), None)
        if not isinstance(activity, str):
            self.error(
                "required", "Provenance.activity needs a code", f"{self.path(provenance)}.activity"
            )
            return None
        entity = (provenance.get("entity") or [None])[0] or {}
        what = str((entity.get("what") or {}).get("reference") or "")
        follows = what.rsplit("MessageHeader/", 1)[1] if "MessageHeader/" in what else None
        if follows is not None and (problem := limits.id_problem(follows)):
            # It is stored as the id of the message this one follows.
            where = f"{self.path(provenance)}.entity[0].what.reference"
            self.error("value", f"the MessageHeader id {problem}", where)
            return None
        return ProvenanceStep(
            activity=activity,
            role=entity.get("role"),
            follows_header_id=follows,
            occurred_at=parse_datetime(provenance.get("occurredDateTime")),
        )

    def _id_shape_warnings(self, bundle_id: str, header_id: str) -> None:
        for value, expression in (
            (bundle_id, "Bundle.id"),
            (header_id, "Bundle.entry[0].resource.id"),
        ):
            if value and not identifiers.looks_like_uuid(value):
                self.warning("the id is not a UUID", expression)

    def _reference_issues(self) -> None:
        """References that resolve to no entry, unless a more specific issue already names them."""
        named = tuple(
            f"{issue.expression}{boundary}"
            for issue in self.issues
            if issue.expression
            for boundary in (".", "[")
        )
        for issue in unresolved_references(self.document, self.index):
            if not (issue.expression or "").startswith(named):
                self.issues.append(issue)


def _is_primary(destination: Resource) -> bool:
    for extension in destination.get("extension") or []:
        if extension.get("url") == codes.MEDCOM_DESTINATION_USE_EXTENSION:
            return (extension.get("valueCoding") or {}).get("code") == "primary"
    # A single destination without the extension is primary by default.
    return True
