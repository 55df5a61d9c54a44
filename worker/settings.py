"""Settings from the environment. Provider variables keep the names of Cal.com's self-hosting guide."""

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

TASK_QUEUE = "bookflow"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default=Path(".bookflow"), alias="BOOKFLOW_DATA_DIR")
    database_url: str | None = Field(default=None, alias="BOOKFLOW_DATABASE_URL")
    task_queue: str = Field(default=TASK_QUEUE, alias="BOOKFLOW_TASK_QUEUE")
    keep_open_minutes: float = Field(default=7 * 24 * 60, alias="BOOKFLOW_KEEP_OPEN_MINUTES")

    temporal_address: str = Field(default="127.0.0.1:7233", alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field(default="default", alias="TEMPORAL_NAMESPACE")
    temporal_api_key: SecretStr | None = Field(default=None, alias="TEMPORAL_API_KEY")
    temporal_tls_cert: Path | None = Field(default=None, alias="TEMPORAL_TLS_CERT")
    temporal_tls_key: Path | None = Field(default=None, alias="TEMPORAL_TLS_KEY")
    temporal_tls_ca: Path | None = Field(default=None, alias="TEMPORAL_TLS_CA")

    @property
    def database(self) -> str:
        """The database URL: BOOKFLOW_DATABASE_URL, else a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'bookflow.db').resolve()}"
