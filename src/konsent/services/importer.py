"""Importing existing customers from a CSV file: every row checked first, then all written at once.

A dry run and a commit check alike; a commit writes only a file without a single problem, in one
unit of work, so a file goes in whole or not at all. Imported consents carry no proof of their
own, so the engine never lets them justify advertising (`unconfirmed_consent`); an address on the
suppression list brings its objection along (listmonk #2192); and nothing is ever sent — a mass
"would you like our newsletter?" mail is itself advertising (seed 002).
"""

import csv
import io
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from konsent.domain import Channel, ConsentSource
from konsent.errors import InputError, KonsentError
from konsent.services import audit, consents, customers, organisations, suppression
from konsent.services.consents import ConsentDeclaration
from konsent.services.context import Konsent
from konsent.services.customers import NewCustomer
from konsent.storage import ledger
from konsent.storage import tables as t
from konsent.validation import normalise_email, normalise_phone, normalise_postal

Progress = Callable[[int, int], None]

# Header spellings seen in German and English shop exports, after `_key` (lower case, umlauts
# spelled out, every run of other characters one underscore).
ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "e_mail", "mail", "email_address", "e_mail_adresse", "emailadresse"),
    "phone": ("phone", "telefon", "mobile", "handy", "mobil", "tel", "telephone", "phone_number",
              "telefonnummer", "mobilnummer", "handynummer"),
    "first_name": ("first_name", "firstname", "vorname", "given_name"),
    "last_name": ("last_name", "lastname", "nachname", "name", "surname", "family_name", "familienname"),
    "birthday": ("birthday", "geburtstag", "geburtsdatum", "date_of_birth", "birth_date"),
    "external_id": ("external_id", "kundennummer", "customer_id", "customer_number", "kunden_id", "kundennr"),
    "postal_address": ("postal_address", "anschrift", "postanschrift", "address", "adresse"),
    "street": ("street", "strasse", "street_address", "strasse_hausnummer", "strasse_und_hausnummer"),
    "house_number": ("house_number", "hausnummer", "hausnr"),
    "zip": ("zip", "plz", "postal_code", "postcode", "zip_code", "postleitzahl"),
    "city": ("city", "ort", "stadt", "town", "wohnort"),
    "type": ("type", "typ", "customer_type", "kundentyp", "kundenart"),
    "jurisdiction": ("jurisdiction", "land", "country"),
    "locale": ("locale", "sprache", "language"),
    "tags": ("tags", "labels", "schlagworte"),
    "consent_channels": ("consent_channels", "consent", "consents", "einwilligung", "einwilligungen",
                         "einwilligung_kanaele"),
    "consent_at": ("consent_at", "consent_date", "consent_given_at", "einwilligung_am", "einwilligungsdatum"),
    "consent_source": ("consent_source", "einwilligung_quelle", "einwilligungsquelle"),
}
CHANNEL_WORDS = {"email": "email", "e_mail": "email", "mail": "email", "sms": "sms", "phone": "phone",
                 "telefon": "phone", "post": "post", "brief": "post"}
PER_CHANNEL = re.compile(
    r"^(?:(?P<a>[a-z_]+?)_(?:consent|einwilligung)|(?:consent|einwilligung)_(?P<b>[a-z_]+?))"
    r"(?P<at>_(?:at|am|date|datum))?$"
)
IDENTIFYING = ("email", "phone", "postal_address", "street", "external_id")
YES = {"ja", "j", "yes", "y", "true", "wahr", "1", "x"}
NO = {"nein", "n", "no", "false", "falsch", "0", ""}
TYPES = {"consumer": "consumer", "privat": "consumer", "private": "consumer", "privatkunde": "consumer",
         "verbraucher": "consumer", "b2c": "consumer", "business": "business", "firma": "business",
         "company": "business", "gewerblich": "business", "unternehmen": "business",
         "geschaeftskunde": "business", "b2b": "business"}
COUNTRIES = {"de": "DE", "deu": "DE", "deutschland": "DE", "germany": "DE", "at": "AT", "aut": "AT",
             "oesterreich": "AT", "austria": "AT", "ch": "CH", "che": "CH", "schweiz": "CH",
             "switzerland": "CH", "suisse": "CH", "svizzera": "CH"}
LANGUAGES = {"de": "de", "deutsch": "de", "german": "de", "en": "en", "englisch": "en", "english": "en"}
WHAT = {"email": "email address", "phone": "phone number", "postal": "postal address",
        "external_id": "external id"}
IGNORE = "ignore"
CHUNK = 500  # values per IN (...) lookup: far below every database's parameter limit
BATCH = 500  # rows written per round: progress to show, and statements of a sensible size


@dataclass(frozen=True)
class Problem:
    line: int  # in the file, the header being line 1
    field: str
    message: str
    column: str | None = None  # the file's own header, where one column is at fault


@dataclass
class ImportReport:
    rows: int = 0
    customers: int = 0  # created, or in a dry run: rows without a problem
    consents: int = 0
    suppressed_addresses: int = 0  # their objection comes along; which ones is nobody's business here
    problems: list[Problem] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    committed: bool = False


def dry_run(
    app: Konsent, organisation_key: str, data: bytes, *, mapping: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """What an import of `data` would do, and every problem in it. Writes nothing."""
    return _run(app, organisation_key, data, mapping or {}, progress, commit=False, actor=None)


def commit(
    app: Konsent, organisation_key: str, data: bytes, *, mapping: Mapping[str, str] | None = None,
    progress: Progress | None = None, actor: str | None = None,
) -> ImportReport:
    """Import `data` if it has no problem at all; otherwise write nothing and report them.

    `progress(done, total)` counts rows handled: each row once checked and once written.
    """
    return _run(app, organisation_key, data, mapping or {}, progress, commit=True, actor=actor)


class _Abort(Exception):
    """Rolls the unit of work back when a row fails while being written."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass
class _Row:
    line: int
    new: NewCustomer
    contacts: dict[str, str]
    declarations: list[ConsentDeclaration] = field(default_factory=list)
    ok: bool = True  # without a problem of its own; it may still clash with what is stored


def _run(
    app: Konsent, organisation_key: str, data: bytes, mapping: Mapping[str, str], progress: Progress | None, *,
    commit: bool, actor: str | None,
) -> ImportReport:
    report = ImportReport()
    header_line, header, records = _parse(data, report)
    columns = _columns(header_line, header, mapping, report)
    report.rows = len(records)
    total = report.rows * (2 if commit else 1)
    tick = progress or (lambda _done, _total: None)
    try:
        with app.db.unit_of_work() as session:
            organisation = organisations.get(session, organisation_key)
            now = app.now()
            checker = _Checker(organisation, columns, now)
            rows = []
            for done, (line, cells) in enumerate(records, 1):
                row = checker.row(line, cells, report.problems)
                if row is not None:
                    rows.append(row)
                if done % 100 == 0:
                    tick(done, total)
            rows, suppressed = _against_stored(session, organisation, columns, rows, report)
            report.customers = len(rows)
            report.consents = sum(len(row.declarations) for row in rows)
            if commit and not report.problems:
                _write(session, organisation, rows, suppressed, now, lambda done: tick(report.rows + done, total))
                audit.record(session, organisation.id, actor=actor, action="import.committed", at=now,
                             customers=report.customers, consents=report.consents)
                report.committed = True
    except _Abort as abort:
        report.problems.append(abort.problem)
        report.committed = False
    tick(total, total)
    if report.problems:
        report.problems.sort(key=lambda p: p.line)
    return report


# --- reading the file ---------------------------------------------------------------------


def _parse(data: bytes, report: ImportReport) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """The header with its line, and the non-blank records, each with the line it starts on.

    Bytes that are not UTF-8 are kept as lone surrogates, so the row they are in can be named
    and refused instead of guessed at: a guess would store mojibake for good.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("file", "is UTF-16; save it as CSV UTF-8 and try again")
    text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="surrogateescape")
    if not text.strip():
        raise InputError("file", "is empty")
    first_line = text.lstrip("\r\n").splitlines()[0]
    delimiter = max(";,\t", key=first_line.count)  # German spreadsheets write semicolons
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    header_line = start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                if header is None:
                    header, header_line, start = cells, start, reader.line_num + 1
                    continue
                records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        report.problems.append(Problem(start, "file", f"not readable as CSV from here on ({exc})"))
    if header is None:
        raise InputError("file", "has no header line")
    return header_line, header, records


@dataclass
class _Columns:
    header: list[str]
    index: dict[str, int] = field(default_factory=dict)  # field -> column
    consent: dict[Channel, int] = field(default_factory=dict)
    consent_at: dict[Channel, int] = field(default_factory=dict)

    def header_of(self, name: str) -> str | None:
        position = self.index.get(name)
        return self.header[position] if position is not None else None


_UMLAUTS: dict[str, str | int | None] = {"ä": "ae", "ö": "oe", "ü": "ue"}  # casefold makes ß ss


def _key(text: str) -> str:
    spelled = text.casefold().translate(str.maketrans(_UMLAUTS))
    return re.sub(r"[^0-9a-z]+", "_", spelled).strip("_")


def _field_for(key: str) -> str | None:
    for name, spellings in ALIASES.items():
        if key in spellings:
            return name
    match = PER_CHANNEL.match(key)
    channel = match and CHANNEL_WORDS.get(match["a"] or match["b"])
    if match and channel:
        return f"{channel}_consent" + ("_at" if match["at"] else "")
    return None


def _columns(line: int, header: list[str], mapping: Mapping[str, str], report: ImportReport) -> _Columns:
    for position, cell in enumerate(header):
        if _garbled(cell):
            header[position] = _shown(cell)
            report.problems.append(Problem(line, "encoding", "the header is not valid UTF-8; save the file as "
                                                             "CSV UTF-8 and import it again", header[position]))
    chosen = {_key(name): _key(target) for name, target in mapping.items()}
    keys = [_key(cell) for cell in header]
    for column_name, target in mapping.items():
        if _key(column_name) not in keys:
            raise InputError("map", f"no column {column_name!r} in the file")
        if _key(target) != IGNORE and _field_for(_key(target)) != _key(target):
            raise InputError("map", f"{target!r} is no field konsent knows; known: {', '.join(ALIASES)}, "
                                    "email_consent, email_consent_at (and so for sms, phone, post), ignore")
    columns = _Columns(header)
    for position, (cell, key) in enumerate(zip(header, keys, strict=True)):
        name = chosen.get(key) or _field_for(key)
        if name == IGNORE:
            continue
        if name is None:
            report.unknown_columns.append(cell.strip() or f"(column {position + 1} without a name)")
            continue
        if name in columns.index:
            report.problems.append(Problem(line, name, f"columns {header[columns.index[name]]!r} and {cell!r} "
                                                    f"both mean {name}; keep one, or choose with --map"))
            continue
        columns.index[name] = position
        if name.endswith("_consent") or name.endswith("_consent_at"):
            channel = Channel(name.split("_consent")[0])
            (columns.consent_at if name.endswith("_at") else columns.consent)[channel] = position
    if not any(name in columns.index for name in IDENTIFYING):
        raise InputError("file", "has no column konsent can use: name at least one of email, phone, "
                                 "postal_address (or street, zip, city) or external_id in the header")
    return columns


# --- checking a row -----------------------------------------------------------------------


class _Checker:
    """Turns a record into a customer and consents to add, or into problems; remembers what it
    has seen so that the file's second row for the same person is named."""

    def __init__(self, organisation: t.Organisation, columns: _Columns, now: datetime) -> None:
        self.organisation = organisation
        self.columns = columns
        self.now = now
        try:
            self.zone = ZoneInfo(organisation.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            self.zone = ZoneInfo("UTC")
        self.seen: dict[tuple[str, str], int] = {}

    def row(self, line: int, cells: list[str], problems: list[Problem]) -> _Row | None:
        found: list[Problem] = []
        header = self.columns.header
        if any(cell.strip() for cell in cells[len(header):]):
            found.append(Problem(line, "row", f"has {len(cells)} cells, the header only {len(header)}"))
        for position, cell in enumerate(cells[:len(header)]):
            if _garbled(cell):
                found.append(Problem(line, "encoding", "not valid UTF-8; save the file as CSV UTF-8 and "
                                                       "import it again", header[position]))
        if found:
            problems.extend(found)
            return None
        record = _Cells(line, cells, self.columns, found)
        row = self._customer(record)
        row.declarations = self._consents(record, row.contacts)
        self._unique(record, row)
        problems.extend(found)
        row.ok = not found
        return row

    def _customer(self, record: "_Cells") -> _Row:
        jurisdiction = record.choice("jurisdiction", COUNTRIES, "must be DE, AT or CH (or the country's name)")
        new = NewCustomer(
            email=record.text("email"), phone=record.text("phone"), postal_address=_postal(record),
            external_id=record.line_of_text("external_id"), jurisdiction=jurisdiction,
            type=record.choice("type", TYPES, "must be consumer or business (privat or firma)") or "consumer",
            locale=record.choice("locale", LANGUAGES, "must be de or en", prefix=True),
            first_name=record.line_of_text("first_name"), last_name=record.line_of_text("last_name"),
            birthday=record.birthday(self.now.date()),
            tags=[tag.strip() for tag in re.split(r"[;,|\n]", record.text("tags") or "") if tag.strip()],
        )
        contacts: dict[str, str] = {}
        region = jurisdiction or self.organisation.jurisdiction
        normalisers: tuple[tuple[str, str | None, Callable[[str], str]], ...] = (
            ("email", new.email, normalise_email),
            ("phone", new.phone, lambda value: normalise_phone(value, region=region)),
            ("postal", new.postal_address, normalise_postal),
        )
        for kind, value, normalise in normalisers:
            if value:
                try:
                    contacts[kind] = normalise(value)
                except InputError as error:
                    record.problem(error.field, _without_value(error))
        if not (new.email or new.phone or new.postal_address or new.external_id):
            record.problem("row", "has no email, phone, postal address or external id")
        try:
            new.check()
        except InputError as error:
            record.problem(error.field, error.message)
        return _Row(record.line, new, contacts, [])

    def _consents(self, record: "_Cells", contacts: dict[str, str]) -> list[ConsentDeclaration]:
        wanted: dict[Channel, tuple[str, datetime | None]] = {}
        shared_at = record.moment("consent_at", self.zone, self.now)
        for word in re.split(r"[;,|/\s]+", record.text("consent_channels") or ""):
            if not word:
                continue
            channel = CHANNEL_WORDS.get(_key(word))
            if channel is None:
                record.problem("consent_channels", f"unknown channel {word!r}; known: email, sms, phone, post")
            else:
                wanted.setdefault(Channel(channel), ("consent_channels", shared_at))
        for channel in self.columns.consent:
            name = f"{channel.value}_consent"
            answer = _key(record.text(name) or "")
            if answer in YES:
                at = record.moment(f"{name}_at", self.zone, self.now) or shared_at
                wanted[channel] = (name, at)
            elif answer not in NO:
                record.problem(name, "use ja or nein (yes/no, true/false, 1/0)")
        source = _key(record.text("consent_source") or "") or ConsentSource.IMPORT.value
        if wanted and source not in {s.value for s in ConsentSource}:
            record.problem("consent_source", f"must be one of {', '.join(s.value for s in ConsentSource)}")
            return []
        declarations = []
        for channel, (name, at) in wanted.items():
            kind = suppression.CONTACT_KIND[channel]
            if kind not in contacts:
                record.problem(name, f"consent on {channel.value} needs a {kind} address in the same row")
                continue
            declaration = ConsentDeclaration(channel=channel.value, source=source, occurred_at=at)
            try:
                declaration.check()
            except InputError as error:
                record.problem(name, error.message)
                continue
            declarations.append(declaration)
        return declarations

    def _unique(self, record: "_Cells", row: _Row) -> None:
        keys = [(kind, value) for kind, value in row.contacts.items()]
        if row.new.external_id:
            keys.append(("external_id", row.new.external_id))
        for kind, value in keys:
            first = self.seen.setdefault((kind, value), record.line)
            if first != record.line:
                name = "postal_address" if kind == "postal" else kind
                record.problem(name, f"same {WHAT[kind]} as line {first}")


class _Cells:
    """One record's cells by field name, collecting the problems found in them."""

    def __init__(self, line: int, cells: list[str], columns: _Columns, problems: list[Problem]) -> None:
        self.line = line
        self.cells = cells
        self.columns = columns
        self.problems = problems

    def text(self, name: str) -> str | None:
        position = self.columns.index.get(name)
        if position is None or position >= len(self.cells):
            return None
        return self.cells[position].strip() or None

    def problem(self, name: str, message: str) -> None:
        self.problems.append(Problem(self.line, name, message, self.columns.header_of(name)))

    def line_of_text(self, name: str) -> str | None:
        value = self.text(name)
        if value is not None and any(ord(c) < 32 or ord(c) == 127 for c in value):
            self.problem(name, "must be one line without control characters")
            return None  # reported once here; NewCustomer.check must not see it again
        return value

    def choice(self, name: str, choices: Mapping[str, str], message: str, *, prefix: bool = False) -> str | None:
        value = self.text(name)
        if value is None:
            return None
        key = _key(value)
        if prefix and key[:3] in {"de_", "en_"}:  # de-AT, en_GB: the language is what counts
            key = key[:2]
        if key not in choices:
            self.problem(name, message)
            return None
        return choices[key]

    def birthday(self, today: date) -> date | None:
        value = self.text("birthday")
        if value is None:
            return None
        born = _date(value)
        if born is None:
            self.problem("birthday", "use YYYY-MM-DD or DD.MM.YYYY")
        elif born > today:
            self.problem("birthday", "lies in the future")
            return None
        return born

    def moment(self, name: str, zone: ZoneInfo, now: datetime) -> datetime | None:
        value = self.text(name)
        if value is None:
            return None
        at = _moment(value, zone)
        if at is None:
            self.problem(name, "use YYYY-MM-DD, YYYY-MM-DDTHH:MM or DD.MM.YYYY [HH:MM]")
        elif at > now:
            self.problem(name, "lies in the future")
            return None
        return at


def _garbled(cell: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in cell)


def _shown(cell: str) -> str:
    """A name that can be printed: the bytes that were not UTF-8 as U+FFFD."""
    return cell.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _without_value(error: InputError) -> str:
    """The report may be passed around; it says what is wrong with a number, not the number."""
    if error.field == "phone":
        return "not a valid phone number (use E.164, e.g. +4915112345678, or a national number)"
    return error.message


def _postal(record: _Cells) -> str | None:
    whole = record.text("postal_address")
    if whole is not None:
        return whole if "\n" in whole else "\n".join(part.strip() for part in whole.split(","))
    street = " ".join(filter(None, [record.text("street"), record.text("house_number")]))
    town = " ".join(filter(None, [record.text("zip"), record.text("city")]))
    if street or town:
        return f"{street}\n{town}"  # one of them missing: normalise_postal names the field
    return None


_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def _date(value: str) -> date | None:
    at = _moment(value, None)
    return at.date() if at is not None else None


def _moment(value: str, zone: ZoneInfo | None) -> datetime | None:
    """ISO 8601 or German; a moment without an offset is read in the organisation's time zone."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        german = _GERMAN_DATE.match(value)
        if german is None:
            return None
        day, month, year, hour, minute, second = (int(g) if g else 0 for g in german.groups())
        try:
            at = datetime.combine(date(year, month, day), time(hour, minute, second))
        except ValueError:
            return None
    return at.replace(tzinfo=zone) if at.tzinfo is None and zone is not None else at


# --- against what is stored ---------------------------------------------------------------


def _against_stored(
    session: Session, organisation: t.Organisation, columns: _Columns, rows: list[_Row], report: ImportReport
) -> tuple[list[_Row], set[str]]:
    """The rows that can be added, and which of their address hashes are suppressed. Customers
    who exist already are problems. A few set lookups for the whole file, not a query per row."""
    by_kind: dict[str, set[str]] = {}
    for row in rows:
        for kind, value in row.contacts.items():
            by_kind.setdefault(kind, set()).add(value)
    taken = {
        (kind, value)
        for kind, values in by_kind.items()
        for chunk in _chunks(values)
        for value in session.scalars(select(t.ContactPoint.value).where(
            t.ContactPoint.organisation_id == organisation.id, t.ContactPoint.kind == kind,
            t.ContactPoint.value.in_(chunk)))
    }
    external = {row.new.external_id for row in rows if row.new.external_id}
    known_ids = {
        found for chunk in _chunks(external) for found in session.scalars(select(t.Customer.external_id).where(
            t.Customer.organisation_id == organisation.id, t.Customer.external_id.in_(chunk)))
    }
    hashes = {
        (kind, value): suppression.address_hash(organisation.secret, kind, value)
        for kind, values in by_kind.items() for value in values
    }
    suppressed = {
        found for chunk in _chunks(set(hashes.values())) for found in session.scalars(
            select(t.Suppression.address_hash).where(
                t.Suppression.organisation_id == organisation.id, t.Suppression.address_hash.in_(chunk)))
    }
    kept = []
    for row in rows:
        clashes = [
            Problem(row.line, name, f"a customer of this organisation already has this {WHAT[kind]}",
                    columns.header_of(name))
            for kind, value in row.contacts.items() if (kind, value) in taken
            for name in ["postal_address" if kind == "postal" else kind]
        ]
        if row.new.external_id in known_ids:
            clashes.append(Problem(row.line, "external_id", "a customer with this external id exists already",
                                   columns.header_of("external_id")))
        report.problems.extend(clashes)
        if row.ok and not clashes:
            kept.append(row)
            report.suppressed_addresses += sum(hashes[item] in suppressed for item in row.contacts.items())
    return kept, suppressed


def _chunks(values: set[str]) -> Iterator[list[str]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


# --- writing ------------------------------------------------------------------------------


def _write(
    session: Session, organisation: t.Organisation, rows: list[_Row], suppressed: set[str], now: datetime,
    progress: Callable[[int], None],
) -> None:
    """The rows `customers.add_in` and the events `consents.give_in` would write, after the same
    checks — but in bulk: one by one they cost some 25 queries a row, minutes for a large file."""
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        try:
            _write_batch(session, organisation, batch, suppressed, now)
        except (KonsentError, IntegrityError):
            # The check saw no clash, so someone added the same person meanwhile; which row it
            # is, the next dry run will say.
            raise _Abort(Problem(batch[0].line, "file", f"a customer in lines {batch[0].line}–{batch[-1].line} "
                                                        "was added by someone else while the file was imported; "
                                                        "nothing was written, run the import again")) from None
        progress(start + len(batch))


def _write_batch(
    session: Session, organisation: t.Organisation, batch: list[_Row], suppressed: set[str], now: datetime
) -> None:
    ids = [str(uuid.uuid4()) for _ in batch]
    session.execute(insert(t.Customer), [
        {"id": customer_id, "organisation_id": organisation.id, "external_id": row.new.external_id,
         "type": row.new.type, "jurisdiction": row.new.jurisdiction, "locale": row.new.locale,
         "first_name": row.new.first_name, "last_name": row.new.last_name, "birthday": row.new.birthday,
         "registers": dict(row.new.registers), "tags": list(row.new.tags), "created_at": now}
        for customer_id, row in zip(ids, batch, strict=True)
    ])
    contact_points = [
        {"id": str(uuid.uuid4()), "organisation_id": organisation.id, "customer_id": customer_id,
         "kind": kind, "value": value, "created_at": now}
        for customer_id, row in zip(ids, batch, strict=True) for kind, value in row.contacts.items()
    ]
    if contact_points:  # an empty list would be one INSERT of nothing but NULLs
        session.execute(insert(t.ContactPoint), contact_points)
    drafts = []
    for customer_id, row in zip(ids, batch, strict=True):
        objected = {kind: value for kind, value in row.contacts.items()
                    if suppression.address_hash(organisation.secret, kind, value) in suppressed}
        if objected:  # the objection's events come first, as when the person is added alone
            customers.carry_over_objections(session, organisation, customer_id, objected, now=now)
        drafts += [_consent(customer_id, declaration, now) for declaration in row.declarations]
    ledger.append(session, organisation.id, drafts, now=now)


def _consent(customer_id: str, declaration: ConsentDeclaration, now: datetime) -> ledger.Draft:
    return consents.consent_draft(customer_id, declaration, now)
