"""Settings, one section per concern; environment variables KONSENT__SECTION__KEY override them."""

from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KONSENT__", env_nested_delimiter="__", extra="ignore"
    )

    environment: str = "development"
    server: ServerSettings = ServerSettings()
