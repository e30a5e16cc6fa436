"""The one place that knows every concrete adapter."""

from konsent.config import Settings
from konsent.services.context import Konsent
from konsent.storage import migrate
from konsent.storage.db import Database


def build(settings: Settings | None = None, *, upgrade: bool = True) -> Konsent:
    settings = settings or Settings()
    database = Database(settings.database_url)
    if upgrade:
        migrate.upgrade(database.engine)
    return Konsent(settings=settings, db=database)
