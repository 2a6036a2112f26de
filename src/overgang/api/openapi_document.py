"""The committed `openapi.yaml` is this, generated from the app (a test keeps them equal)."""

from __future__ import annotations

import yaml

from overgang.api.app import create_app
from overgang.config import Settings


def openapi_yaml() -> str:
    # The document does not depend on the database; an in-memory URL keeps generation side-effect free.
    app = create_app(Settings(database_url="sqlite://"))
    return yaml.safe_dump(app.openapi(), sort_keys=False, allow_unicode=True, width=100)
