"""Settings, one section per concern; environment variables KONSENT__SECTION__KEY override them."""

from pathlib import Path

from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"  # the base of links in messages


class DatabaseSettings(BaseModel):
    url: str | None = None  # default: SQLite file konsent.db in the data directory


class SmtpSettings(BaseModel):
    host: str | None = None  # unset: messages are written as .eml files under data/outbox
    port: int = 587
    username: str | None = None
    password: str | None = None
    security: str = "starttls"  # starttls | tls | none
    sender: str = "konsent <no-reply@localhost>"
    timeout: float = 30.0


class DoiSettings(BaseModel):
    lifetime_days: int = 7
    max_per_address_per_day: int = 3


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KONSENT__", env_nested_delimiter="__", extra="ignore"
    )

    environment: str = "development"
    data_dir: Path = Path("data")
    server: ServerSettings = ServerSettings()
    database: DatabaseSettings = DatabaseSettings()
    smtp: SmtpSettings = SmtpSettings()
    doi: DoiSettings = DoiSettings()

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_dir / 'konsent.db').resolve()}"
