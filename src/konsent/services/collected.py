"""Which of a customer's sales collected the addresses on record now.

The existing-customer privilege needs the address to come from a sale (§7 (3) Nr. 1 UWG, §174 (4)
TKG, Art. 3 (1) o UWG-CH). When an address replaces an earlier one, the sales before that moment
collected the earlier one; every place that turns stored purchases into the engine's facts (a
decision, the API's `decide`, the audience projection, the worker at send time) reads them through here.
"""

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from konsent.domain import Channel, Purchase
from konsent.services.suppression import CONTACT_KIND


def address_since(changed: Iterable[tuple[str, datetime | None]]) -> dict[Channel, datetime]:
    """Per channel, since when the customer's address on it was added to their record, where that was
    after the record began: (contact kind, changed_at) pairs of their contact points."""
    by_kind = {kind: at for kind, at in changed if at is not None}
    return {channel: by_kind[kind] for channel, kind in CONTACT_KIND.items() if kind in by_kind}


def as_collected(purchases: Iterable[Purchase], since: Mapping[Channel, datetime]) -> list[Purchase]:
    """The sales as they bear on the addresses on record now: a sale made before an address replaced an
    earlier one no longer counts as having collected the address on that channel."""
    if not since:
        return list(purchases)
    return [p if not (dropped := {c for c in p.contact_collected if c in since and p.at < since[c]})
            else replace(p, contact_collected=p.contact_collected - dropped) for p in purchases]
