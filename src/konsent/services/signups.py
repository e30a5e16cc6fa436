"""Signing up on the organisation's own form, and what a confirmation link stands for.

A sign-up records one consent per ticked box, with the exact text version shown and the
evidence of the request, and asks for confirmation over each channel (double opt-in): the
address typed into a form proves nothing until its owner answers.

The form is anonymous, so it never adds an address to a customer who already exists: whoever
typed someone else's email next to their own phone number would otherwise be shown that person's
preferences after confirming on their own phone. An address the form cannot use is passed over
without a word — the page looks the same whether or not anyone is known.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from konsent import tokens
from konsent.domain import Channel, Purpose
from konsent.errors import InputError, NotFound, RateLimited
from konsent.services import consents, customers, doi, organisations
from konsent.services.consents import ConsentDeclaration
from konsent.services.context import Konsent
from konsent.services.customers import NewCustomer
from konsent.storage import ledger
from konsent.storage import tables as t
from konsent.validation import normalise_email, normalise_phone

DEFAULT_TEXT_KEY = "newsletter"
LOCALES = ("de", "en")
CHANNELS = doi.CHANNELS  # a form's consent is confirmed over its own channel: email or SMS


class SignupRefused(InputError):
    """The form as sent cannot be recorded; `problems` names each field and what is wrong (a code)."""

    def __init__(self, problems: dict[str, str]) -> None:
        first = next(iter(problems))
        super().__init__(first, problems[first])
        self.problems = problems


@dataclass
class SignupForm:
    email: str
    phone: str | None
    choices: Sequence[str]  # "channel:purpose", one per ticked box
    text_id: str
    locale: str
    evidence: dict[str, str] = field(default_factory=dict)  # ip, user_agent, page_url


@dataclass(frozen=True)
class SignedUp:
    organisation: t.Organisation
    channels: tuple[str, ...]  # what the person asked to confirm, whatever could be sent
    limited: bool  # the address has had its confirmation requests for today


@dataclass(frozen=True)
class SignupPage:
    organisation: t.Organisation
    locale: str
    text: t.ConsentText | None  # None: the organisation has no consent text under the key yet


@dataclass(frozen=True)
class Pending:
    """A confirmation request as its link shows it: who asks, for what, with which words."""

    organisation: t.Organisation
    customer_id: str
    locale: str
    channel: str
    purpose: str
    categories: tuple[str, ...]
    text: t.ConsentText | None
    expires_at: datetime
    confirmed_at: datetime | None


def signup_page(
    app: Konsent, organisation_key: str, *, locale: str | None, key: str = DEFAULT_TEXT_KEY, text_id: str | None = None,
) -> SignupPage:
    """The form's organisation, language and consent text: the version `text_id` names (the one a person
    saw, when the form comes back with a mistake) or else the current one."""
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        lang = locale if locale in LOCALES else organisation.locale
        text = session.get(t.ConsentText, text_id) if text_id else None
        if text is None or text.organisation_id != organisation.id:
            text = current_text(session, organisation.id, key, lang)
        return SignupPage(organisation, lang, text)


def current_text(session: Session, organisation_id: str, key: str, locale: str) -> t.ConsentText | None:
    """The newest version in `locale`, else the newest in any language (a form must show words)."""
    query = select(t.ConsentText).where(t.ConsentText.organisation_id == organisation_id, t.ConsentText.key == key)
    newest = query.order_by(t.ConsentText.version.desc(), t.ConsentText.created_at.desc()).limit(1)
    return session.scalar(newest.where(t.ConsentText.locale == locale)) or session.scalar(newest)


def choice(value: str) -> tuple[str, str]:
    channel, _, purpose = value.partition(":")
    if channel not in CHANNELS or purpose not in {p.value for p in Purpose}:
        raise InputError("consent", f"unknown choice {value[:40]!r}")
    return channel, purpose


def problems_of(form: SignupForm, region: str) -> dict[str, str]:
    """Every field that is wrong, at once: the person fixes the form in one go."""
    found: dict[str, str] = {}
    if not form.email.strip():
        found["email"] = "email_missing"
    else:
        try:
            normalise_email(form.email)
        except InputError:
            found["email"] = "email_invalid"
    if form.phone and form.phone.strip():
        try:
            normalise_phone(form.phone, region=region)
        except InputError:
            found["phone"] = "phone_invalid"
    try:
        chosen = [choice(value) for value in form.choices]
    except InputError:
        found["consent"] = "consent_invalid"
        chosen = []
    if not form.choices:
        found["consent"] = "consent_missing"
    if any(channel == Channel.SMS for channel, _ in chosen) and not (form.phone or "").strip():
        found.setdefault("phone", "phone_needed")
    if form.locale not in LOCALES:
        found["lang"] = "lang_invalid"
    page_url = form.evidence.get("page_url")
    if page_url is not None and (not page_url.startswith(("https://", "http://")) or len(page_url) > 2000):
        found["page_url"] = "page_url_invalid"
    return found


def sign_up(app: Konsent, organisation_key: str, form: SignupForm) -> SignedUp:
    """Record the consents and send the confirmation requests; nothing is written when a field is wrong."""
    try:
        organisation, customer, chosen, recorded = _record(app, organisation_key, form)
    except IntegrityError:
        # The same address signed up at the same moment (a double click, two tabs) and the other sign-up
        # created the customer between our look and our insert; ours was rolled back whole. Now it is found.
        organisation, customer, chosen, recorded = _record(app, organisation_key, form)
    limited = False
    for channel, consent_id in recorded:
        try:
            doi.request(app, organisation.id, customer.id, channel=channel, consent_id=consent_id,
                        evidence=form.evidence)
        except doi.DoiRefused:
            pass  # the engine allows no confirmation request now; the sign-up stays unconfirmed
        except RateLimited:
            limited = True
    return SignedUp(organisation, tuple(dict.fromkeys(channel for channel, _ in chosen)), limited)


def _record(
    app: Konsent, organisation_key: str, form: SignupForm,
) -> tuple[t.Organisation, t.Customer, list[tuple[str, str]], list[tuple[str, str]]]:
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        found = problems_of(form, organisation.jurisdiction)
        text = session.get(t.ConsentText, form.text_id) if form.text_id else None
        if text is None or text.organisation_id != organisation.id:
            found["text_id"] = "text_invalid"
        if found:
            raise SignupRefused(found)
        chosen = list(dict.fromkeys(choice(value) for value in form.choices))
        customer, reachable = _customer_for(session, organisation, form, now)
        recorded = [
            (channel, consents.give_in(session, organisation, customer, ConsentDeclaration(
                channel=channel, source="online_form", purpose=purpose, text_version_id=form.text_id,
                evidence=dict(form.evidence)), now=now))
            for channel, purpose in chosen if channel in reachable
        ]
    return organisation, customer, chosen, recorded


def _customer_for(
    session: Session, organisation: t.Organisation, form: SignupForm, now: datetime,
) -> tuple[t.Customer, set[str]]:
    """The customer the email belongs to, or a new one; and the channels the form may use for them."""
    email = normalise_email(form.email)
    phone = normalise_phone(form.phone, region=organisation.jurisdiction) if form.phone and form.phone.strip() else None
    email_owner = _owner(session, organisation.id, "email", email)
    phone_owner = _owner(session, organisation.id, "phone", phone) if phone else None
    if email_owner is not None:
        customer = session.get(t.Customer, email_owner)
        if customer is not None and customer.erased_at is None:
            same_person = phone is not None and phone_owner == email_owner
            return customer, {Channel.EMAIL.value} | ({Channel.SMS.value} if same_person else set())
    usable_phone = phone if phone and phone_owner is None else None
    created = customers.add_in(session, organisation, NewCustomer(email=email, phone=usable_phone, locale=form.locale),
                               now=now)
    customer = session.get(t.Customer, created.id)
    assert customer is not None
    return customer, {Channel.EMAIL.value} | ({Channel.SMS.value} if usable_phone else set())


def _owner(session: Session, organisation_id: str, kind: str, value: str) -> str | None:
    return session.scalar(select(t.ContactPoint.customer_id).where(
        t.ContactPoint.organisation_id == organisation_id, t.ContactPoint.kind == kind, t.ContactPoint.value == value,
    ))


def pending(app: Konsent, token: str) -> Pending:
    """What a confirmation link stands for; TokenError when it stands for nothing (any longer)."""
    organisation_id = tokens.organisation_of(token)
    with app.db.unit_of_work() as session:
        organisation = session.get(t.Organisation, organisation_id)
        if organisation is None:
            raise tokens.TokenInvalid
        request_id = tokens.verify(organisation.secret, tokens.DOI, token, now=app.now())
        found = session.scalar(select(t.DoiRequest).where(
            t.DoiRequest.organisation_id == organisation.id, t.DoiRequest.id == request_id))
        if found is None:
            raise tokens.TokenInvalid
        return _pending_in(session, organisation, found)


def confirm_code(
    app: Konsent, organisation_key: str, phone: str, code: str, *, evidence: dict[str, str],
) -> Pending:
    """The six digits from the text message, typed into the organisation's page."""
    if not phone.strip():
        raise InputError("phone", "phone_missing")
    try:
        confirmed = doi.confirm_code(app, organisation_key, phone, code, evidence=evidence)
    except NotFound as exc:
        if exc.what != "customer":
            raise
        # An unknown number is answered like a wrong code: the page must not tell who is a customer.
        raise InputError("code", "code_wrong") from None
    with app.db.unit_of_work() as session:
        found = session.get(t.DoiRequest, confirmed.request_id)
        assert found is not None
        organisation = session.get(t.Organisation, found.organisation_id)
        assert organisation is not None
        return _pending_in(session, organisation, found)


def _pending_in(session: Session, organisation: t.Organisation, found: t.DoiRequest) -> Pending:
    customer = session.get(t.Customer, found.customer_id)
    if customer is None or customer.organisation_id != organisation.id or customer.erased_at is not None:
        raise tokens.TokenInvalid
    state = ledger.load_state(session, organisation.id, customer.id)
    signup = next((c for c in state.consents if c.consent_id == found.consent_id), None)
    if signup is None:
        raise tokens.TokenInvalid
    text = session.get(t.ConsentText, signup.text_version_id) if signup.text_version_id else None
    return Pending(
        organisation=organisation, customer_id=customer.id, locale=customer.locale or organisation.locale,
        channel=found.channel, purpose=signup.purpose.value, categories=tuple(sorted(signup.categories)),
        text=text if text is not None and text.organisation_id == organisation.id else None,
        expires_at=found.expires_at, confirmed_at=found.confirmed_at or signup.doi_confirmed_at,
    )
