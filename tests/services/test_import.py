"""Importing existing customers from CSV: checked whole, written whole or not at all, never a message sent."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from konsent.errors import InputError
from konsent.services import consents, customers, facts, importer, organisations, rights, suppression
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer
from konsent.storage import ledger
from konsent.storage import tables as t

DATA = Path(__file__).resolve().parents[1] / "data" / "import"
NEWSLETTER = facts.Asked(kind="newsletter", channel="email")


def csv(*lines: str) -> bytes:
    return "\n".join(lines).encode()


def counts(app, org):
    """Everything an import could write, counted."""
    with app.db.unit_of_work() as session:
        return {
            table.__tablename__: session.scalar(
                select(func.count()).select_from(table).where(table.organisation_id == org))
            for table in (t.Customer, t.ContactPoint, t.LedgerEvent, t.CustomerState, t.Message, t.AuditEntry)
        }


def events(app, org, customer_id):
    with app.db.unit_of_work() as session:
        return ledger.events_of(session, org, customer_id)


def test_a_clean_file_imports_every_customer_with_normalised_contacts(app, org):
    report = importer.commit(app, org, (DATA / "kunden.csv").read_bytes())

    assert (report.committed, report.rows, report.customers, report.consents) == (True, 3, 3, 3)
    assert report.problems == []
    assert report.unknown_columns == ["Notiz"]
    assert counts(app, org)[t.Customer.__tablename__] == 3
    anna = customers.show(app, org, "K-1001")
    assert (anna.first_name, anna.last_name, anna.type, anna.birthday.isoformat()) == (
        "Anna", "Berg", "consumer", "1988-03-14")
    assert anna.contacts == {"email": "anna.berg@example.com", "phone": "+4915123456789",
                             "postal": "Hauptstraße 1\n10115 Berlin"}
    koch = customers.show(app, org, "info@blumen-koch.example")
    assert (koch.type, koch.contacts["phone"]) == ("business", "+436641234567")


def test_imported_consents_are_recorded_as_imports_and_never_allow_a_newsletter(app, org):
    importer.commit(app, org, (DATA / "kunden.csv").read_bytes())

    anna = customers.show(app, org, "K-1001")
    (given,) = events(app, org, anna.id)
    assert given.type is ledger.EventType.CONSENT_GIVEN
    assert (given.data["channel"], given.data["source"], given.data["evidence"]) == ("email", "import", False)
    assert given.occurred_at == datetime(2024, 1, 31, 23, 0, tzinfo=UTC)  # 01.02.2024 in Berlin
    _, decision = facts.decide_for(app, org, anna.id, NEWSLETTER)
    assert decision.decision.value == "deny"
    assert "unconfirmed_consent" in decision.codes
    assert counts(app, org)[t.Message.__tablename__] == 0  # the import sends nothing, not even a DOI


def test_an_imported_customer_and_consent_are_exactly_what_adding_them_alone_records(app, org, clock):
    consent_at = "2025-05-01T10:00:00+00:00"
    importer.commit(app, org, csv("external_id,email,email_consent,email_consent_at",
                                  f"A-1,ada@example.com,ja,{consent_at}"))
    alone = customers.add(app, org, NewCustomer(email="bob@example.com", external_id="A-2"))
    consents.give(app, org, alone.id, ConsentDeclaration(
        channel="email", source="import", occurred_at=datetime.fromisoformat(consent_at)))

    imported = customers.show(app, org, "A-1")
    assert {**imported.as_dict(), "id": None, "external_id": None, "contacts": None} == {
        **alone.as_dict(), "id": None, "external_id": None, "contacts": None}
    (mine,), (theirs,) = events(app, org, imported.id), events(app, org, alone.id)
    assert (mine.type, mine.occurred_at, dict(mine.data)) == (theirs.type, theirs.occurred_at, dict(theirs.data))


def test_a_broken_file_names_each_line_and_field_and_writes_nothing(app, org):
    customers.add(app, org, NewCustomer(email="fritz@example.com"))
    before = counts(app, org)

    for run in (importer.dry_run, importer.commit):
        report = run(app, org, (DATA / "broken.csv").read_bytes())
        assert not report.committed
        assert [(p.line, p.field) for p in report.problems] == [
            (3, "email"),  # not-an-address
            (4, "phone"),  # 12
            (5, "consent_channels"),  # fax
            (6, "email"),  # the same as line 2
            (7, "email"),  # a customer of the organisation already
            (8, "encoding"),  # Latin-1
        ]
        assert "save the file as CSV UTF-8" in report.problems[-1].message
        assert "line 2" in report.problems[3].message
        assert counts(app, org) == before


def test_problems_name_no_phone_number_and_the_column_as_the_file_calls_it(app, org):
    report = importer.dry_run(app, org, csv("Kundennummer;Handy", "K-1;0151 999"))
    (problem,) = report.problems
    assert (problem.line, problem.field, problem.column) == (2, "phone", "Handy")
    assert "999" not in problem.message


def test_a_suppressed_address_is_imported_but_stays_unreachable(app, org, clock):
    with app.db.unit_of_work() as session:  # someone objected, and was erased since
        organisation = organisations.get(session, org)
        suppression.add(session, organisation, kind="email", normalised="old.friend@example.com",
                        channel="email", scope="advertising", now=clock.advance(days=-30))
    clock.advance(days=30)

    report = importer.commit(app, org, csv("external_id,email,consent_channels",
                                           "N-1,Old.Friend@example.com,email", "N-2,new@example.com,email"))

    assert (report.committed, report.customers, report.suppressed_addresses) == (True, 2, 1)
    _, decision = facts.decide_for(app, org, "old.friend@example.com", NEWSLETTER)
    assert decision.codes[0] == "objection"
    assert customers.show(app, org, "N-1").suppressed == ["email"]
    assert customers.show(app, org, "N-2").suppressed == []


def test_a_customer_who_objected_and_was_erased_is_not_brought_back_by_reimporting_the_old_list(app, org, clock):
    old_list = csv("external_id,email,phone,consent_channels", "K-9,gina@example.com,+4915155555555,email;sms")
    importer.commit(app, org, old_list)
    clock.advance(days=1)
    consents.unsubscribe(app, org, "K-9", channel="email")
    rights.erase(app, org, "K-9", actor="staff:mia")
    clock.advance(days=1)

    report = importer.commit(app, org, old_list)

    assert (report.committed, report.suppressed_addresses) == (True, 1)  # the email, not the phone
    _, decision = facts.decide_for(app, org, "gina@example.com", NEWSLETTER)
    assert decision.codes[0] == "objection"


def test_map_names_a_column_konsent_would_not_recognise_and_silences_another(app, org):
    data = csv("Mitgliedsnr,Mail,Notiz", "M-77,mia@example.com,mag Rosen")
    assert importer.dry_run(app, org, data).unknown_columns == ["Mitgliedsnr", "Notiz"]

    report = importer.commit(app, org, data, mapping={"mitgliedsnr": "external_id", "Notiz": "ignore"})

    assert (report.committed, report.unknown_columns) == (True, [])
    assert customers.show(app, org, "M-77").contacts == {"email": "mia@example.com"}


@pytest.mark.parametrize(
    ("data", "mapping", "field"),
    [
        (b"", {}, "file"),
        (b"\n \n", {}, "file"),
        (b"\xef\xbb\xbf", {}, "file"),
        (b"Notiz,Farbe\nhallo,blau\n", {}, "file"),
        ("email\nanna@example.com\n".encode("utf-16"), {}, "file"),
        (b"email\nanna@example.com\n", {"Kunden-Nr": "external_id"}, "map"),
        (b"email\nanna@example.com\n", {"email": "shoe_size"}, "map"),
    ],
)
def test_a_file_konsent_cannot_use_is_refused_with_a_clear_error(app, org, data, mapping, field):
    with pytest.raises(InputError) as error:
        importer.dry_run(app, org, data, mapping=mapping)
    assert error.value.field == field


def test_consent_columns_per_channel_with_their_own_dates(app, org):
    report = importer.commit(app, org, csv(
        "email;phone;email_consent;email_consent_at;sms_consent;phone_consent",
        "eva@example.com;+4915122222222;ja;2025-05-01;nein;",
        "udo@example.com;+4915133333333;no;;yes;1",
    ))
    assert (report.committed, report.consents) == (True, 3)
    (eva,) = events(app, org, customers.show(app, org, "eva@example.com").id)
    assert (eva.data["channel"], eva.occurred_at) == ("email", datetime(2025, 4, 30, 22, 0, tzinfo=UTC))
    udo = events(app, org, customers.show(app, org, "udo@example.com").id)
    assert sorted(e.data["channel"] for e in udo) == ["phone", "sms"]


def test_a_consent_needs_an_address_a_past_date_and_a_known_answer(app, org):
    report = importer.dry_run(app, org, csv(
        "external_id,email,phone,consent_channels,consent_at,post_consent",
        "X-1,x1@example.com,,sms,,",
        "X-2,x2@example.com,,email,2099-01-01,",
        "X-3,x3@example.com,,,,vielleicht",
        "X-4,x4@example.com,,email,gestern,",
    ))
    assert [(p.line, p.field) for p in report.problems] == [
        (2, "consent_channels"), (3, "consent_at"), (4, "post_consent"), (5, "consent_at")]


def test_duplicates_inside_the_file_are_named_by_their_first_line(app, org):
    report = importer.dry_run(app, org, csv(
        "external_id,email,phone,street,zip,city",
        "D-1,a@example.com,+4915144444444,Weg 1,10115,Berlin",
        "D-1,b@example.com,015144444444,Weg 1,10115,Berlin",
    ))
    assert [(p.line, p.field, p.message) for p in report.problems] == [
        (3, "phone", "same phone number as line 2"),
        (3, "postal_address", "same postal address as line 2"),
        (3, "external_id", "same external id as line 2"),
    ]


def test_line_numbers_count_the_lines_of_the_file_even_with_a_multi_line_address(app, org):
    report = importer.dry_run(app, org, (
        b'\xef\xbb\xbfemail,postal_address\r\n'
        b'\r\n'
        b'a@example.com,"Hauptstra\xc3\x9fe 1\r\n10115 Berlin"\r\n'
        b'not-an-address,\r\n'
    ))
    assert [(p.line, p.field) for p in report.problems] == [(5, "email")]
    assert report.rows == 2


def test_values_spelled_the_german_way_are_understood(app, org):
    report = importer.commit(app, org, csv(
        "E-Mail;Typ;Land;Sprache;Geburtsdatum;Tags",
        "lea@example.ch;Firma;Schweiz;Deutsch;1990-07-01;vip, salon",
        "tom@example.at;privat;Österreich;en-GB;;",
    ))
    assert report.problems == []
    lea, tom = customers.show(app, org, "lea@example.ch"), customers.show(app, org, "tom@example.at")
    assert (lea.type, lea.jurisdiction, lea.locale, lea.birthday.isoformat()) == ("business", "CH", "de", "1990-07-01")
    assert (tom.type, tom.jurisdiction, tom.locale) == ("consumer", "AT", "en")


def test_two_columns_for_one_field_are_a_problem_until_map_chooses(app, org):
    data = csv("email,E-Mail", "a@example.com,b@example.com")
    (problem,) = importer.dry_run(app, org, data).problems
    assert (problem.line, problem.field) == (1, "email")
    assert importer.dry_run(app, org, data, mapping={"E-Mail": "ignore"}).problems == []


def test_progress_is_reported_up_to_the_total(app, org):
    rows = [f"P-{i},p{i}@example.com" for i in range(250)]
    seen = []
    report = importer.commit(app, org, csv("external_id,email", *rows), progress=lambda *d: seen.append(d))
    assert report.committed
    assert seen[-1] == (500, 500)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_the_staff_audit_log_names_the_import_once_without_personal_data(app, org):
    importer.commit(app, org, (DATA / "kunden.csv").read_bytes(), actor="staff:mia")
    with app.db.unit_of_work() as session:
        entries = session.scalars(select(t.AuditEntry).where(t.AuditEntry.organisation_id == org)).all()
        assert [(e.actor, e.action, e.details) for e in entries] == [
            ("staff:mia", "import.committed", {"customers": 3, "consents": 3})]


def test_a_customer_added_meanwhile_makes_the_whole_import_write_nothing(app, org, database):
    if database.engine.dialect.name == "sqlite":
        pytest.skip("SQLite lets one writer at a time in: nobody can add a customer while the import writes")
    rows = [f"R-{i},r{i}@example.com" for i in range(1200)]
    raced = []

    def someone_else_adds_a_customer(done: int, total: int) -> None:
        if done > len(rows) and not raced:  # the import is writing by now
            raced.append(customers.add(app, org, NewCustomer(email="r1100@example.com")))

    report = importer.commit(app, org, csv("external_id,email", *rows), progress=someone_else_adds_a_customer)

    assert not report.committed
    (problem,) = report.problems
    assert problem.field == "file"
    assert counts(app, org)[t.Customer.__tablename__] == 1  # only the one added meanwhile


def test_cells_that_do_not_fit_are_problems_not_truncations(app, org):
    report = importer.dry_run(app, org, csv(
        "email,first_name,street,city",
        "a@example.com,Ann,Weg 1,Berlin,surplus",
        'b@example.com,"Bea\nBcc: x@example.com",Weg 2,Berlin',
        f"c@example.com,{'C' * 201},Weg 3,Berlin",
        f"d@example.com,Dee,{'Weg ' * 130},Berlin",
    ))
    assert [(p.line, p.field) for p in report.problems] == [
        (2, "row"), (3, "first_name"), (5, "first_name"), (6, "postal_address")]


def test_customers_known_only_by_their_external_id_can_be_imported(app, org):
    report = importer.commit(app, org, csv("Kundennummer,Vorname", "Z-1,Zoe", "Z-2,Zak"))
    assert (report.committed, report.customers) == (True, 2)
    assert customers.show(app, org, "Z-2").contacts == {}
