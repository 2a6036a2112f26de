"""openapi.yaml is what integrators read: it must be the app's own document."""

from pathlib import Path

from overgang.api.guard import PUBLIC_PATHS
from overgang.api.openapi_document import openapi_yaml

COMMITTED = Path(__file__).parents[2] / "openapi.yaml"


def test_committed_openapi_yaml_matches_the_app() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == openapi_yaml(), (
        "openapi.yaml is out of date: run `overgang openapi > openapi.yaml`"
    )


def test_every_authenticated_route_documents_its_errors() -> None:
    import yaml

    document = yaml.safe_load(openapi_yaml())
    for path, operations in document["paths"].items():
        if path in PUBLIC_PATHS:
            continue
        for method, operation in operations.items():
            assert "401" in operation["responses"], f"{method.upper()} {path} lacks 401"
            if "requestBody" in operation:
                assert {"408", "413"} <= operation["responses"].keys(), (
                    f"{method.upper()} {path} takes a body but lacks 408 or 413"
                )
            assert any(code.startswith("4") and code != "401" for code in operation["responses"]), (
                f"{method.upper()} {path} documents no other 4xx"
            )
