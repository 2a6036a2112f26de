"""Code systems, extension URLs and identifier systems Overgang reads and writes."""

MEDCOM_EVENT_SYSTEM = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes"
MEDCOM_ACTIVITY_SYSTEM = (
    "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes"
)
MEDCOM_DESTINATION_USE_EXTENSION = (
    "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-destinationUseExtension"
)
MEDCOM_DESTINATION_USE_SYSTEM = (
    "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-destinationUse"
)
MEDCOM_LEAVE_PERIOD_EXTENSION = (  # sic: MedCom's own spelling
    "http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/"
    "medcom-hospitalnotifiation-leave-period-extension"
)
# Overgang's own canonical base: a name for its artefacts and fullUrls, never fetched.
OVERGANG_BASE = "https://fhir.overgang.dk"
OVERGANG_EVENT_SYSTEM = f"{OVERGANG_BASE}/CodeSystem/event"

HOSPITAL_NOTIFICATION_EVENT = "hospital-notification-message"
ACKNOWLEDGEMENT_EVENT = "acknowledgement-message"

SOR_SYSTEM = "urn:oid:1.2.208.176.1.1"
CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"
# HospitalNotification 3.0.x uses https, dk-core 3.5 http, and older traffic the GS1 OID.
GLN_SYSTEM = "https://www.gs1.org/gln"  # the one Overgang writes, as HospitalNotification 3.0.x
GLN_SYSTEMS = frozenset({"https://www.gs1.org/gln", "http://www.gs1.org/gln", "urn:oid:1.3.88"})
SOR_ENDPOINT_PREFIX = "https://sor2.sum.dsdn.dk/#id="

ENCOUNTER_STATUSES = frozenset(
    {
        "planned",
        "arrived",
        "triaged",
        "in-progress",
        "onleave",
        "finished",
        "cancelled",
        "entered-in-error",
        "unknown",
    }
)
# v3 ActCode classes MedCom uses: inpatient and acute ambulatory ("emergency").
ENCOUNTER_CLASSES = frozenset({"IMP", "EMER"})
