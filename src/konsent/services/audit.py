"""The staff audit log: who changed what, when. Business history, not technical logging."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from konsent.storage import tables as t


def record(
    session: Session, organisation_id: str, *, actor: str | None, action: str, at: datetime,
    subject: str | None = None, **details: Any,
) -> None:
    """`action` is namespaced (`customer.erased`); details must not carry personal data."""
    if actor is None:
        return  # machine-made changes (API calls, imports by a script) are in the ledger already
    session.add(t.AuditEntry(
        id=str(uuid.uuid4()), organisation_id=organisation_id, at=at, actor=actor, action=action,
        subject=subject, details=details,
    ))
