"""Settings, read once from the environment (prefix OVERGANG_) and passed to whoever needs them."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OVERGANG_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{Path.cwd() / 'overgang.db'}",
        description="SQLAlchemy URL; the embedded default is a SQLite file in the working directory.",
    )
    # Overgang's own identity as the responder in MedCom acknowledgements.
    sor: str = "1000016000000000"
    gln: str | None = None
    name: str = "Overgang"
    public_base_url: str = "https://fhir.overgang.dk"

    checklist_dir: Path | None = Field(
        default=None,
        description="A directory of checklist files; by default the agreed ones in schemas/checklists.",
    )
    max_body_bytes: int = 5 * 1024 * 1024
    max_json_depth: int = 64
    max_future_skew_seconds: int = 300
    log_level: str = "INFO"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
