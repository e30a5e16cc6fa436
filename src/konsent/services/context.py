"""What every use case needs: settings, the database and a clock — built once by bootstrap."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from konsent.config import Settings
from konsent.storage.db import Database


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Konsent:
    settings: Settings
    db: Database
    clock: Callable[[], datetime] = field(default=system_clock)

    def now(self) -> datetime:
        return self.clock()
