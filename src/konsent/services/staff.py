"""Staff accounts: the people who sign in to the staff UI, each in one organisation.

Roles: `owner` may do everything; `staff` does the day-to-day work (customers, consents taken at
the desk, campaigns, complaints) but not settings, erasure or API keys; `dpo`, the data protection
officer, reads everything and changes nothing. Passwords are kept as argon2id hashes only.

Sign-in failures are counted per email address and client in the shared `rate_counters` table, so
a guesser meets the same wall on every process and machine; the keys are keyed hashes, because an
address and an IP are personal data.
"""

import functools
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from konsent.errors import Conflict, InputError, NotFound, RateLimited
from konsent.services import audit, organisations
from konsent.services.context import Konsent
from konsent.storage import tables as t
from konsent.storage.sql import insert_or_else
from konsent.validation import normalise_email

ROLES = ("owner", "staff", "dpo")
LOCALES = ("de", "en")
MIN_PASSWORD = 10
MAX_PASSWORD = 1_000  # argon2 takes any length; a megabyte "password" would only burn CPU
FAILURES_ALLOWED = 5  # per address from one client
# From one client over all addresses: password spraying (one common password tried on many accounts)
# never trips the per-address count.
CLIENT_FAILURES_ALLOWED = 30
_BUCKET_SECONDS = 300
_BUCKETS = 3  # failures count for 15 minutes after they happened

# argon2id with the library's recommended parameters (64 MiB, 3 passes): about a tenth of a second per
# sign-in on a server core, which is the point. Tests swap in cheaper parameters; the hashes stay argon2id.
hasher = PasswordHasher()


@functools.cache
def _nobody() -> str:
    """Compared against when no account matches, so a wrong address costs as long as a wrong password.
    Made at the first sign-in, not at import: every command and every worker imported this module and
    paid a tenth of a second and 64 MiB for it."""
    return hasher.hash("no account has this password")


@dataclass(frozen=True)
class StaffView:
    id: str
    organisation_id: str
    email: str
    name: str
    role: str
    locale: str
    created_at: datetime
    last_login_at: datetime | None
    disabled_at: datetime | None

    @property
    def actor(self) -> str:
        """How the ledger and the audit log name this person: by id, so an address never enters the
        hash chain, which cannot forget it."""
        return actor_of(self.id)

    @property
    def active(self) -> bool:
        return self.disabled_at is None


def actor_of(account_id: str) -> str:
    return f"staff:{account_id}"


def create(
    app: Konsent, organisation_key: str, *, email: str, name: str, password: str, role: str,
    locale: str = "de", actor: str | None = None,
) -> StaffView:
    address = normalise_email(email)
    name = _one_line("name", name, 200)
    if role not in ROLES:
        raise InputError("role", f"must be one of {', '.join(ROLES)}")
    if locale not in LOCALES:
        raise InputError("locale", "must be de or en")
    _check_password("password", password)
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        if session.scalar(select(t.StaffAccount.id).where(t.StaffAccount.email == address)):
            raise Conflict("email: a staff account with this email address exists")
        row = t.StaffAccount(
            id=str(uuid.uuid4()), organisation_id=organisation.id, email=address, name=name,
            password_hash=hasher.hash(password), role=role, locale=locale, created_at=now,
        )
        session.add(row)
        audit.record(session, organisation.id, actor=actor, action="staff.created", at=now, subject=row.id,
                     role=role)
        return _view(row)


def listed(app: Konsent, organisation_key: str) -> list[StaffView]:
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        rows = session.scalars(select(t.StaffAccount).where(t.StaffAccount.organisation_id == organisation.id)
                               .order_by(t.StaffAccount.created_at, t.StaffAccount.id))
        return [_view(row) for row in rows]


@dataclass(frozen=True)
class SignedIn:
    """What a staff page needs about the person behind a session."""

    account: StaffView
    fingerprint: str
    organisation_name: str
    organisation_timezone: str


def signed_in(app: Konsent, account_id: str) -> SignedIn | None:
    """The account a session names — None when it is unknown or disabled."""
    with app.db.unit_of_work() as session:
        found = session.execute(select(t.StaffAccount, t.Organisation.name, t.Organisation.timezone).join(
            t.Organisation, t.Organisation.id == t.StaffAccount.organisation_id,
        ).where(t.StaffAccount.id == account_id)).first()
        if found is None or found[0].disabled_at is not None:
            return None
        row, organisation_name, timezone = found
        return SignedIn(_view(row), fingerprint(row), organisation_name, timezone)


def password_fingerprint(app: Konsent, account_id: str) -> str | None:
    """What a new session carries (see `fingerprint`)."""
    with app.db.unit_of_work() as session:
        row = session.get(t.StaffAccount, account_id)
        return fingerprint(row) if row is not None else None


def fingerprint(row: t.StaffAccount) -> str:
    """Changes whenever the password changes or the person signs out: a session carries it, and one
    whose fingerprint is no longer the account's is over."""
    signed_out = row.signed_out_at.isoformat() if row.signed_out_at else ""
    return hashlib.sha256(f"{row.password_hash}\n{signed_out}".encode()).hexdigest()[:16]


def sign_out(app: Konsent, account_id: str) -> None:
    """End every session of the account: this browser's, and any copy of its cookie elsewhere."""
    with app.db.unit_of_work() as session:
        session.execute(update(t.StaffAccount).where(t.StaffAccount.id == account_id).values(
            signed_out_at=app.now()))


def authenticate(app: Konsent, email: str, password: str, *, client: str) -> StaffView:
    """The account for these credentials. Refuses the same way for an unknown address, a wrong
    password and a disabled account; after five failures for an address from one client, refuses
    even the right password for a while."""
    address = normalise_email(email)
    if len(password) > MAX_PASSWORD:
        raise InputError("password", "the email address or the password is wrong")
    now = app.now()
    key, from_client = _counter_key(app, address, client), _counter_key(app, None, client)
    with app.db.unit_of_work() as session:
        if (_failures(session, key, now) >= FAILURES_ALLOWED
                or _failures(session, from_client, now) >= CLIENT_FAILURES_ALLOWED):
            raise RateLimited("password: too many failed sign-ins; wait 15 minutes and try again")
        row = session.scalar(select(t.StaffAccount).where(t.StaffAccount.email == address))
        verified = _verify(row.password_hash if row is not None else _nobody(), password)
        if row is not None and verified and row.disabled_at is None:
            if hasher.check_needs_rehash(row.password_hash):
                row.password_hash = hasher.hash(password)
            row.last_login_at = now
            session.execute(delete(t.RateCounter).where(t.RateCounter.key == key))
            return _view(row)
        _count_failure(session, key, now)
        _count_failure(session, from_client, now)
    # After the commit: the failure must stay counted.
    raise InputError("password", "the email address or the password is wrong")


def change_password(
    app: Konsent, account_id: str, *, current: str, new: str, actor: str | None = None,
) -> StaffView:
    _check_password("new_password", new)
    now = app.now()
    with app.db.unit_of_work() as session:
        row = session.get(t.StaffAccount, account_id, with_for_update=True)
        if row is None or row.disabled_at is not None:
            raise NotFound("staff account", account_id)
        if len(current) > MAX_PASSWORD or not _verify(row.password_hash, current):
            raise InputError("current_password", "is not your current password")
        row.password_hash = hasher.hash(new)
        audit.record(session, row.organisation_id, actor=actor, action="staff.password_changed", at=now,
                     subject=row.id)
        return _view(row)


def set_locale(app: Konsent, account_id: str, locale: str) -> StaffView:
    """The person's own language for the UI: a preference, not a change to the organisation's data."""
    if locale not in LOCALES:
        raise InputError("locale", "must be de or en")
    with app.db.unit_of_work() as session:
        row = session.get(t.StaffAccount, account_id)
        if row is None:
            raise NotFound("staff account", account_id)
        row.locale = locale
        return _view(row)


def disable(app: Konsent, organisation_key: str, account_id: str, *, actor: str | None = None) -> StaffView:
    """The account can no longer sign in; its sessions end at their next request. Kept, not deleted:
    the audit log and the ledger name it."""
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        row = _own(session, organisation.id, account_id)
        if row.disabled_at is None:
            if row.role == "owner" and _active_owners(session, organisation.id) <= 1:
                raise Conflict("account: the last owner cannot be disabled; make another owner first")
            row.disabled_at = now
            audit.record(session, organisation.id, actor=actor, action="staff.disabled", at=now, subject=row.id)
        return _view(row)


def _own(session: Session, organisation_id: str, account_id: str) -> t.StaffAccount:
    row = session.scalar(select(t.StaffAccount).where(
        t.StaffAccount.organisation_id == organisation_id, t.StaffAccount.id == account_id,
    ).with_for_update())
    if row is None:
        raise NotFound("staff account", account_id)
    return row


def _active_owners(session: Session, organisation_id: str) -> int:
    return session.scalar(select(func.count()).select_from(t.StaffAccount).where(
        t.StaffAccount.organisation_id == organisation_id, t.StaffAccount.role == "owner",
        t.StaffAccount.disabled_at.is_(None),
    )) or 0


def _verify(stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _check_password(field: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(field, f"must be at least {MIN_PASSWORD} characters long")
    if len(password) > MAX_PASSWORD:
        raise InputError(field, f"must be at most {MAX_PASSWORD} characters long")


def _one_line(field: str, value: str, limit: int) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise InputError(field, f"must be 1–{limit} characters")
    if any(c in value for c in "\r\n\x00"):
        raise InputError(field, "must be one line")
    return value


def _counter_key(app: Konsent, address: str | None, client: str) -> str:
    """Keyed hashes: the counters name neither the address nor the client. `address` None: the client's
    failures over every address (a successful sign-in does not clear those)."""
    secret = app.settings.security.secret_key.get_secret_value().encode()
    digest = hmac.new(secret, f"{address or ''}\n{client}".encode(), hashlib.sha256).hexdigest()
    return f"staff-login:{digest[:48]}" if address is not None else f"staff-login-client:{digest[:48]}"


def _bucket(now: datetime) -> int:
    seconds = int(now.timestamp())
    return seconds - seconds % _BUCKET_SECONDS


def _failures(session: Session, key: str, now: datetime) -> int:
    since = _bucket(now) - (_BUCKETS - 1) * _BUCKET_SECONDS
    return session.scalar(select(func.coalesce(func.sum(t.RateCounter.hits), 0)).where(
        t.RateCounter.key == key, t.RateCounter.window >= since)) or 0


def _count_failure(session: Session, key: str, now: datetime) -> None:
    window = _bucket(now)
    statement = insert_or_else(session, t.RateCounter).values(key=key, window=window, hits=1)
    session.execute(statement.on_conflict_do_update(
        index_elements=["key", "window"], set_={"hits": t.RateCounter.hits + 1}))
    # Old buckets of this key count for nothing any more.
    session.execute(delete(t.RateCounter).where(
        t.RateCounter.key == key, t.RateCounter.window < window - _BUCKETS * _BUCKET_SECONDS))


def _view(row: t.StaffAccount) -> StaffView:
    return StaffView(
        id=row.id, organisation_id=row.organisation_id, email=row.email, name=row.name, role=row.role,
        locale=row.locale, created_at=row.created_at, last_login_at=row.last_login_at,
        disabled_at=row.disabled_at,
    )


@dataclass(frozen=True)
class AuditPage:
    entries: list[t.AuditEntry]
    next_cursor: str | None


def audit_log(app: Konsent, organisation_key: str, *, cursor: str | None = None, limit: int = 50) -> AuditPage:
    """The organisation's audit log, newest first, a page at a time (keyset on the moment and id)."""
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        query = select(t.AuditEntry).where(t.AuditEntry.organisation_id == organisation.id)
        if cursor:
            at, last = _audit_position(cursor)
            query = query.where(or_(t.AuditEntry.at < at, and_(t.AuditEntry.at == at, t.AuditEntry.id < last)))
        rows = list(session.scalars(query.order_by(t.AuditEntry.at.desc(), t.AuditEntry.id.desc()).limit(limit + 1)))
        shown = rows[:limit]
        following = f"{shown[-1].at.isoformat()}~{shown[-1].id}" if len(rows) > limit else None
        return AuditPage(shown, following)


def _audit_position(cursor: str) -> tuple[datetime, str]:
    at, _, last = cursor.partition("~")
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise InputError("cursor", "not a page of the audit log; start again from the first page") from None
    if moment.tzinfo is None or not last:
        raise InputError("cursor", "not a page of the audit log; start again from the first page")
    return moment, last
