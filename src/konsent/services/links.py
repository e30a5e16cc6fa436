"""Which organisation a link in a message came from — for the page that says the link cannot be used."""

from konsent import tokens
from konsent.services.context import Konsent
from konsent.storage import tables as t


def signed_by(app: Konsent, token: str, purpose: str) -> t.Organisation | None:
    """The organisation whose key signed `token` for `purpose`, expired or not; None for a forgery.

    A forged token names any organisation it likes: only a genuine signature earns its name and
    logo on the page, or a stranger could dress a warning page in another business's colours."""
    try:
        organisation_id = tokens.organisation_of(token)
    except tokens.TokenError:
        return None
    with app.db.unit_of_work() as session:
        organisation = session.get(t.Organisation, organisation_id)
    if organisation is None:
        return None
    try:
        tokens.verify(organisation.secret, purpose, token, now=app.now())
    except tokens.TokenExpired:
        return organisation
    except tokens.TokenError:
        return None
    return organisation


def customer_locale(app: Konsent, organisation_id: str, customer_id: str) -> str | None:
    """The language a page speaks to this customer: theirs, else their organisation's."""
    with app.db.unit_of_work() as session:
        customer = session.get(t.Customer, customer_id)
        organisation = session.get(t.Organisation, organisation_id)
        if customer is not None and customer.organisation_id == organisation_id and customer.locale:
            return customer.locale
        return organisation.locale if organisation is not None else None
