"""Settings, one section per concern; environment variables KONSENT__SECTION__KEY override them."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
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


class SmsSettings(BaseModel):
    """SMS through an HTTP provider (docs/sms-providers.md); `file` writes .txt files under data/outbox."""

    provider: Literal["file", "twilio", "webhook"] = "file"
    url: str | None = None  # twilio: API base (default https://api.twilio.com); webhook: the endpoint
    account: str | None = None  # twilio: the Account SID
    token: SecretStr | None = None  # twilio: the auth token (it also signs inbound webhooks); webhook: bearer
    signing_secret: SecretStr | None = None  # webhook: HMAC-SHA256 key of request bodies, both directions
    sender: str | None = None  # the sender id: an E.164 number, up to 11 letters/digits, or an MG… service
    timeout: float = 10.0


class DoiSettings(BaseModel):
    lifetime_days: int = 7
    max_per_address_per_day: int = 3


class DispatchSettings(BaseModel):
    """The outbox worker. The rate limits are the provider's: all workers on one database share them."""

    batch: int = Field(default=500, ge=1, le=10_000)  # outbox rows claimed per transaction
    concurrency: int = Field(default=32, ge=1, le=1_000)  # messages in flight at once (SMTP connections)
    lease_seconds: float = Field(default=120.0, gt=0)  # a worker that stops answering loses its rows after this
    max_attempts: int = Field(default=8, ge=1)  # temporary failures tried this often, then failed
    retry_base_seconds: float = Field(default=60.0, gt=0)  # the first retry waits about this long, then doubling
    retry_max_seconds: float = Field(default=6 * 3600.0, gt=0)
    idle_seconds: float = Field(default=2.0, gt=0)  # between polls when nothing is due
    email_per_second: float | None = Field(default=None, gt=0)
    email_per_window: int | None = Field(default=None, ge=1)  # e.g. a provider's hourly quota
    sms_per_second: float | None = Field(default=None, gt=0)
    sms_per_window: int | None = Field(default=None, ge=1)
    window_seconds: float = Field(default=3600.0, gt=0)  # the sliding window of the *_per_window limits


PLACEHOLDER_SECRET = "development-only-not-secret-change-me-before-going-live"


class SecuritySettings(BaseModel):
    """The server's own key signs staff sessions and CSRF tokens (links in messages use each
    organisation's key). The placeholder works in development and is refused anywhere else."""

    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    session_hours: float = Field(default=12.0, gt=0)
    max_body_bytes: int = Field(default=1_000_000, ge=1_024)  # larger request bodies get 413
    public_per_minute: int = Field(default=30, ge=1)  # public page POSTs per client address and minute
    signup_per_hour: int = Field(default=20, ge=1)  # sign-ups per client address and hour
    cookie_secure: bool | None = None  # unset: secure cookies whenever public_url is https
    platform_token: SecretStr | None = None  # lets a vendor create organisations over the API; unset: nobody may


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KONSENT__", env_nested_delimiter="__", extra="ignore"
    )

    environment: str = "development"
    data_dir: Path = Path("data")
    server: ServerSettings = ServerSettings()
    database: DatabaseSettings = DatabaseSettings()
    smtp: SmtpSettings = SmtpSettings()
    sms: SmsSettings = SmsSettings()
    doi: DoiSettings = DoiSettings()
    dispatch: DispatchSettings = DispatchSettings()
    security: SecuritySettings = SecuritySettings()

    @model_validator(mode="after")
    def _no_placeholder_secret_outside_development(self) -> "Settings":
        secret = self.security.secret_key.get_secret_value()
        if self.environment != "development" and (secret == PLACEHOLDER_SECRET or len(secret) < 32):
            raise ValueError(
                "security.secret_key: set KONSENT__SECURITY__SECRET_KEY to a random value of at least 32 "
                f"characters (the placeholder is only for development; environment is {self.environment!r})")
        return self

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_dir / 'konsent.db').resolve()}"
