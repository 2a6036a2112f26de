"""The cached model-class lookup changes how fast a Bundle is validated, never what is found."""

from __future__ import annotations

import fhir_core.types

from overgang.fhir.model_classes import cache_model_class_lookup
from overgang.fhir.validate import validate_with_fhir_resources
from tests.messages import example, resources


def test_each_resource_class_is_looked_up_once_per_process() -> None:
    lookup = vars(fhir_core.types)["import_string"]
    bundle = example("05-discharge-handover.json")
    validate_with_fhir_resources(bundle)
    misses = lookup.cache_info().misses
    validate_with_fhir_resources(bundle)
    assert lookup.cache_info().misses == misses
    assert lookup.cache_info().hits >= len(bundle["entry"])
    cache_model_class_lookup()  # a second call does not wrap the cache again
    assert vars(fhir_core.types)["import_string"] is lookup


def test_an_invalid_resource_inside_the_bundle_is_still_found() -> None:
    bundle = example("05-discharge-handover.json")
    validate_with_fhir_resources(bundle)  # the classes are in the cache now
    resources(bundle, "Patient")[0]["gender"] = 7
    issues = validate_with_fhir_resources(bundle)
    assert issues
    assert any("gender" in (issue.expression or "") for issue in issues)
