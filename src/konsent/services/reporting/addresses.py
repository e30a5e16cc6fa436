"""Who konsent has an address for, and since when."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from konsent.storage import tables as t


def first_addresses(session: Session, organisation_id: str) -> dict[str, dict[str, datetime]]:
    """Per kind of address (email, phone, postal): each customer who has one now, with the moment konsent
    first had an address of that kind for them. An erased customer has none."""
    cp = t.ContactPoint
    rows = session.execute(select(cp.kind, cp.customer_id, func.min(cp.created_at)).where(
        cp.organisation_id == organisation_id).group_by(cp.kind, cp.customer_id))
    found: dict[str, dict[str, datetime]] = {}
    for kind, customer, at in rows:
        found.setdefault(kind, {})[customer] = at
    return found
