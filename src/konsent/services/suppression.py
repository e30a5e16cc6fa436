"""The suppression list: keyed hashes of addresses whose owners objected.

It is keyed with the organisation's secret, so a leaked list names no one, and it holds no
address, so it survives erasure — the only way an objection can outlive the person's data.
"""

import hashlib
import hmac
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from konsent.domain import Channel
from konsent.storage import tables as t

CONTACT_KIND = {Channel.EMAIL: "email", Channel.SMS: "phone", Channel.PHONE: "phone", Channel.POST: "postal"}


def address_hash(secret: str, kind: str, normalised: str) -> str:
    return hmac.new(bytes.fromhex(secret), f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()


def add(
    session: Session, organisation: t.Organisation, *, kind: str, normalised: str, channel: str,
    scope: str, now: datetime,
) -> None:
    digest = address_hash(organisation.secret, kind, normalised)
    existing = session.scalar(select(t.Suppression).where(
        t.Suppression.organisation_id == organisation.id,
        t.Suppression.address_hash == digest, t.Suppression.channel == channel,
    ))
    if existing is None:
        session.add(t.Suppression(
            id=str(uuid.uuid4()), organisation_id=organisation.id, address_hash=digest,
            channel=channel, scope=scope, created_at=now,
        ))
    elif scope == "all":
        existing.scope = "all"


def entries_for(session: Session, organisation: t.Organisation, kind: str, normalised: str) -> list[t.Suppression]:
    digest = address_hash(organisation.secret, kind, normalised)
    return list(session.scalars(select(t.Suppression).where(
        t.Suppression.organisation_id == organisation.id, t.Suppression.address_hash == digest,
    ).order_by(t.Suppression.created_at)))
