"""A cache for fhir-core's lookup of resource model classes.

fhir-core (1.1.x) finds the model class of every resource inside a Bundle by calling pydantic's
`import_string` on a dotted path such as `fhir.resources.R4B.patient.Patient`, on every
validation. That path is first tried as a module name, which fails only after a search of
`sys.path`: about 40 % of the time it takes to validate a discharge message. The mapping from
resource type to class never changes within a process, so the answer is cached once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import fhir_core.types


def cache_model_class_lookup() -> None:
    """Memoise `fhir_core.types.import_string`; safe to call more than once."""
    namespace = vars(fhir_core.types)  # fhir-core does not export the name
    lookup: Callable[[str], Any] = namespace["import_string"]
    if not hasattr(lookup, "cache_info"):
        namespace["import_string"] = functools.cache(lookup)
