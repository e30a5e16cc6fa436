"""The answer to the authority (seed 000): every figure of the pack is what the database holds —
counted here again with plain SQL over the tables and the hashed ledger bodies, never through the
pack's own code — and the PDF prints exactly those figures, page by page, as a reader sees them."""

import asyncio
import csv
import hashlib
import io
import json
import re
import subprocess
import uuid
import zipfile
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text, update

from konsent.config import SmsSettings, SmtpSettings
from konsent.domain import decide
from konsent.errors import InputError
from konsent.services import (
    answer_pack,
    campaigns,
    complaints,
    consents,
    customers,
    doi,
    facts,
    organisations,
    rights,
    templates,
    webhooks,
)
from konsent.services.campaigns import CampaignDraft
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer
from konsent.storage import tables as t
from konsent.transports.file import FileTransport
from konsent.worker.loop import Worker
from tests.poppler import tool

BERLIN = ZoneInfo("Europe/Berlin")
LINK = re.compile(r"/c/(\S+)")
SIGNED = {"document_hash": "ab" * 32}
CHANNELS = ("email", "sms", "phone", "post")
KIND_OF = {"email": "email", "sms": "phone", "phone": "phone", "post": "postal"}
SELF_EVIDENT = ("manual_staff", "paper_form", "recorded_call")
ADVERTISING = ("newsletter", "product_ad", "review_request", "feedback_survey", "birthday_greeting", "winback",
               "consent_request")


# --- the salon's last weeks, through the real services -----------------------------------------

def person(app, org, name, **fields):
    fields.setdefault("email", f"{name}.{uuid.uuid4().hex[:6]}@example.com")
    return customers.add(app, org, NewCustomer(first_name=name.title(), **fields)).id


def confirm_by_link(app, org, customer):
    with app.db.unit_of_work() as session:
        body = session.scalars(select(t.Message.body_text).where(
            t.Message.organisation_id == org, t.Message.customer_id == customer,
            t.Message.kind == "doi_confirmation").order_by(t.Message.created_at.desc())).first()
    doi.confirm(app, LINK.search(body).group(1), evidence={"ip": "198.51.100.4"})


def send_due(app, org, tmp_path):
    worker = Worker(app, {"email": FileTransport(tmp_path)}, concurrency=2, batch=20, organisations=[org])
    return asyncio.run(worker.run(once=True))


def history(app, org, clock, tmp_path) -> dict[str, str]:
    """Sign-ups online and at the desk, a booking, purchases with and without the notice, a campaign
    an unsubscribe overtakes, an objection, complaints, an erasure. Returns name -> customer id."""
    v1 = consents.consent_text(app, org, key="newsletter", locale="de", title="Newsletter",
                               body="Ja, ich möchte den Newsletter per E-Mail erhalten.")
    v2 = consents.consent_text(app, org, key="newsletter", locale="de", title="Newsletter",
                               body="Ja, ich möchte den Newsletter von Salon Sonnenschein per E-Mail erhalten.")
    consents.consent_text(app, org, key="sms-offers", locale="en", title="Offers by SMS", body="Yes, text me.")
    people = {name: person(app, org, name) for name in ("anna", "ben", "dora", "emil", "frida", "gero")}
    people["clara"] = person(app, org, "clara", phone="+4915123450003")
    people["hans"] = person(app, org, "hans", email=None, phone="+4915123450008")

    def online(name, text, page, source="online_form"):
        return consents.give(app, org, people[name], ConsentDeclaration(
            channel="email", source=source, text_version_id=text.id,
            evidence={"ip": "192.0.2.7", "user_agent": "Firefox", "page_url": page}))

    online("anna", v1, "https://salon.example/newsletter?utm=autumn")
    doi.request(app, org, people["anna"], channel="email")
    clock.advance(minutes=4)
    confirm_by_link(app, org, people["anna"])
    online("ben", v1, "https://salon.example/newsletter")
    doi.request(app, org, people["ben"], channel="email")  # never confirmed
    consents.give(app, org, people["clara"], ConsentDeclaration(
        channel="email", source="paper_form", evidence=SIGNED, text_version_id=v2.id), actor="staff:mia")
    consents.give(app, org, people["clara"], ConsentDeclaration(
        channel="sms", source="manual_staff", evidence={"staff_actor": "staff:mia"}), actor="staff:mia")
    consents.give(app, org, people["hans"], ConsentDeclaration(channel="phone", source="manual_staff"),
                  actor="staff:mia")  # no evidence: unproven
    consents.give(app, org, people["dora"], ConsentDeclaration(channel="email", source="booking"))
    customers.record_purchase(app, org, people["emil"], occurred_at=clock() - timedelta(days=30),
                              categories=["haircut"], contact_collected=["email"], objection_notice_at_collection=True)
    customers.record_purchase(app, org, people["emil"], occurred_at=clock() - timedelta(days=3),
                              categories=["hair-care"], contact_collected=[], objection_notice_at_collection=False)
    customers.record_purchase(app, org, people["frida"], occurred_at=clock() - timedelta(days=20),
                              categories=["haircut"], contact_collected=["email"], objection_notice_at_collection=False)
    online("gero", v2, "https://shop.example/checkout#consent", source="api")
    clock.advance(days=1)

    templates.save(app, org, key="winter", channel="email", locale="de", subject="Winterpflege",
                   body_text="Hallo {{ first_name }}, unsere Winterpflege ist da.")
    campaign = campaigns.create(app, org, CampaignDraft(name="Winter care", kind="product_ad", channels=["email"],
                                                        template_key="winter", advertised_categories=["hair-care"]))
    campaigns.schedule(app, org, campaign.id)  # anna (consent), clara (signed form), emil (privilege)
    clock.advance(minutes=10)
    consents.unsubscribe(app, org, people["clara"], channel="email")  # before the worker comes round
    clock.advance(minutes=10)
    send_due(app, org, tmp_path)

    clock.advance(days=2)
    consents.object_to(app, org, people["anna"], channel="all", via="staff", actor="staff:mia")
    complaint = complaints.record(app, org, customer_key=people["frida"], arrived_by="email",
                                  summary="Werbung ohne Einwilligung erhalten", wants_no_more=True,
                                  actor="staff:mia")
    complaints.record(app, org, customer_key=None, arrived_by="authority", summary="Anfrage der Behörde",
                      wants_no_more=False, actor="staff:mia")
    clock.advance(days=2, hours=5)
    complaints.answer(app, org, complaint.id, text="Wir haben Ihren Widerspruch vermerkt.", actor="staff:mia")
    rights.erase(app, org, people["gero"], actor="staff:mia")
    clock.advance(days=5)
    doi.expire_overdue(app)  # ben's request runs out
    online("ben", v2, "https://salon.example/newsletter")
    doi.request(app, org, people["ben"], channel="email")  # open
    clock.advance(hours=1)
    return people


# --- the same figures, counted again straight from the tables -----------------------------------

def bodies(session, org, kind=None):
    query = "SELECT body, evidence, occurred_at FROM ledger_events WHERE organisation_id = :org"
    if kind:
        query += " AND type = :kind"
    query += " ORDER BY seq"
    rows = session.execute(text(query), {"org": org, "kind": kind}).all()
    return [(json.loads(bytes(body)), _document(evidence)) for body, evidence, _ in rows]


def _document(value):
    return json.loads(value) if isinstance(value, str) else value


def scalar(session, query, **params):
    return session.execute(text(query), params).scalar()


def day(moment) -> str:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(BERLIN).date().isoformat()


def rate(part, whole):
    return round(100 * part / whole, 1) if whole else None


def per_channel(counter):
    values = [counter.get(c, 0) for c in CHANNELS]
    return {**dict(zip(CHANNELS, values, strict=True)), "total": sum(values)}


def usable_consent(app, org, customer, channel, at) -> bool:
    """The decision engine's own answer: would a newsletter go out on the basis of consent?"""
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, org)
        row = session.get(t.Customer, customer)
        decision = decide(facts.scenario_for(session, organisation, row, facts.Asked("newsletter", channel), at))
    return decision.allowed and decision.basis is not None and decision.basis.value == "consent"


def with_address(session, org, kind, at):
    return [row[0] for row in session.execute(text(
        "SELECT customer_id FROM contact_points WHERE organisation_id = :org AND kind = :kind "
        "GROUP BY customer_id HAVING min(created_at) <= :at"), {"org": org, "kind": kind, "at": at})]


def objections_of(session, org):
    found = []
    for body, _ in bodies(session, org, "objection.received"):
        data = body["data"]
        found.append((body["customer"], datetime.fromisoformat(body["occurred_at"]), data.get("channel", "all"),
                      data.get("scope", "advertising"), data.get("via") or "unknown"))
    return found


def expected_figures(app, org, lang):
    """Every figure of the pack, from SQL over the tables and JSON over the hashed ledger bodies."""
    yes, no = ("ja", "nein") if lang == "de" else ("yes", "no")
    now = app.now()
    with app.db.unit_of_work() as session:
        given = bodies(session, org, "consent.given")
        confirmed = {body["data"]["consent_id"] for body, _ in bodies(session, org, "doi.confirmed")}
        by_source = {source: Counter() for source in
                     ("online_form", "booking", "manual_staff", "paper_form", "recorded_call", "import", "api")}
        proof = {"doi": Counter(), "record": Counter(), "unproven": Counter()}
        for body, _ in given:
            data = body["data"]
            by_source[data["source"]][data["channel"]] += 1
            if body["id"] in confirmed:
                proof["doi"][data["channel"]] += 1
            elif data["source"] in SELF_EVIDENT and data["evidence"]:
                proof["record"][data["channel"]] += 1
            else:
                proof["unproven"][data["channel"]] += 1
        texts = {}
        for text_id, created in session.execute(text(
                "SELECT id, created_at FROM consent_texts WHERE organisation_id = :org"), {"org": org}):
            uses = [body["occurred_at"] for body, _ in given if body["data"].get("text_version_id") == text_id]
            texts[text_id] = {"created": day(created), "first_used": min(map(day, uses)) if uses else None,
                              "last_used": max(map(day, uses)) if uses else None, "consents": len(uses)}
        forms = {}
        for body, evidence in given:
            url = ((evidence or {}).get("values") or {}).get("page_url")
            if url:
                forms.setdefault(re.split(r"[?#]", url)[0], []).append(day(body["occurred_at"]))
        reachable = {channel: with_address(session, org, KIND_OF[channel], now) for channel in CHANNELS}

        chain = session.execute(text("SELECT seq, previous, body, hash FROM ledger_events "
                                     "WHERE organisation_id = :org ORDER BY seq"), {"org": org}).all()
        head_seq, head_hash = session.execute(text(
            "SELECT seq, hash FROM ledger_heads WHERE organisation_id = :org"), {"org": org}).one()
        link, broken = bytes(32), 0
        for _, previous, body, digest in chain:
            broken += bytes(previous) != link or hashlib.sha256(bytes(previous) + bytes(body)).digest() != bytes(digest)
            link = bytes(digest)
        broken += link != bytes(head_hash)
        types = dict(session.execute(text("SELECT type, count(*) FROM ledger_events WHERE organisation_id = :org "
                                          "GROUP BY type"), {"org": org}).all())

        messages = [(status, kind, channel, customer, sent_at, _document(decision)) for
                    status, kind, channel, customer, sent_at, decision in session.execute(text(
                        "SELECT status, kind, channel, customer_id, sent_at, decision FROM messages "
                        "WHERE organisation_id = :org"), {"org": org})]
        sent_by_basis = {}
        for status, _, channel, _, _, decision in messages:
            if status == "sent":
                sent_by_basis.setdefault(decision.get("basis") or "none", Counter())[channel] += 1

        doi_rows = {}
        for channel in ("email", "sms"):
            mine = "FROM doi_requests WHERE organisation_id = :org AND channel = :channel"
            doi_rows[channel] = (
                scalar(session, f"SELECT count(*) {mine}", org=org, channel=channel),
                scalar(session, f"SELECT count(*) {mine} AND confirmed_at IS NOT NULL", org=org, channel=channel),
                scalar(session, f"SELECT count(*) {mine} AND confirmed_at IS NULL AND expires_at <= :now",
                       org=org, channel=channel, now=now),
            )
        doi_rows["total"] = tuple(sum(doi_rows[c][i] for c in ("email", "sms")) for i in range(3))

        objections = objections_of(session, org)
        routes = {}
        for _, _, channel, _, via in objections:
            routes.setdefault(via, Counter())[channel] += 1
        withheld = sum(
            any(r.get("code") in ("objection", "objection_to_all_messages") for r in decision.get("reasons", []))
            for status, _, _, _, _, decision in messages if status == "withheld")
        consent_moments = [(body["customer"], body["data"]["channel"], datetime.fromisoformat(body["occurred_at"]))
                           for body, _ in given]
        despite = 0
        for status, kind, channel, customer, sent_at, _ in messages:
            if status != "sent" or kind not in ADVERTISING:
                continue
            sent = sent_at if isinstance(sent_at, datetime) else datetime.fromisoformat(sent_at)
            sent = sent if sent.tzinfo else sent.replace(tzinfo=ZoneInfo("UTC"))
            despite += any(
                who == customer and covered in ("all", channel) and at <= sent
                and not any(c == customer and ch == channel and at < g <= sent for c, ch, g in consent_moments)
                for who, at, covered, _, _ in objections)
        suppressions = scalar(session, "SELECT count(*) FROM suppressions WHERE organisation_id = :org", org=org)

        complaint_rows = session.execute(text(
            "SELECT id, received_at, channel, wants_no_more, status, answered_at FROM complaints "
            "WHERE organisation_id = :org ORDER BY received_at, id"), {"org": org}).all()
        waited = []
        listed = {}
        for complaint_id, received_at, arrived, wants, status, answered_at in complaint_rows:
            received, answered = _aware(received_at), _aware(answered_at)
            days = round((answered - received).total_seconds() / 86_400, 1) if answered else None
            if days is not None:
                waited.append(days)
            listed[complaint_id] = {
                "received": day(received), "arrived_by": {"email": "E-Mail", "phone": "Telefon", "letter": "Brief",
                                                          "authority": "Behörde"}[arrived] if lang == "de" else
                {"email": "Email", "phone": "Phone", "letter": "letter", "authority": "authority"}[arrived],
                "wants_no_more": yes if wants else no,
                "status": ({"open": "offen", "answered": "beantwortet"} if lang == "de" else
                           {"open": "open", "answered": "answered"})[status],
                "answered": day(answered) if answered else None, "days": days,
            }

        erased = scalar(session, "SELECT count(*) FROM customers WHERE organisation_id = :org "
                                 "AND erased_at IS NOT NULL", org=org)
        erased_events = scalar(session, "SELECT count(*) FROM ledger_events e JOIN customers c ON c.id = e.customer_id "
                                        "WHERE e.organisation_id = :org AND c.erased_at IS NOT NULL", org=org)
        purchases = [(customer, _document(collected), notice) for customer, collected, notice in session.execute(
            text("SELECT customer_id, contact_collected, objection_notice_at_collection FROM purchases "
                 "WHERE organisation_id = :org"), {"org": org})]
        hooks = sorted({re.match(r"https?://([^/:]+)", url).group(1) for (url,) in session.execute(text(
            "SELECT url FROM webhook_endpoints WHERE organisation_id = :org AND disabled_at IS NULL"), {"org": org})})

    valid = {}
    for channel, customers_ in reachable.items():
        consenting = sum(usable_consent(app, org, c, channel, now) for c in customers_)
        valid[channel] = {"with_address": len(customers_), "with_consent": consenting,
                          "rate": rate(consenting, len(customers_))}
    settings = app.settings
    none = "keiner: Nachrichten werden als Dateien abgelegt" if lang == "de" else "none: messages are written to files"
    database = "PostgreSQL" if settings.database_url.startswith("postgresql") else "SQLite"
    sms = None
    if settings.sms.provider != "file":
        sms = f"{settings.sms.provider}: {re.match(r'https?://([^/:]+)', settings.sms.url).group(1)}" \
            if settings.sms.url else f"{settings.sms.provider}: api.twilio.com"
    return {
        "consents_by_source": {source: per_channel(counts) for source, counts in by_source.items()},
        "consent_proof": {kind: per_channel(counts) for kind, counts in proof.items()},
        "consent_texts": texts,
        "forms": {page: {"consents": len(days), "first_used": min(days), "last_used": max(days)}
                  for page, days in forms.items()},
        "valid_today": valid,
        "ledger": {"events": {"result": str(len(chain))}, "head": {"result": str(head_seq)},
                   "intact": {"result": yes if not broken else no}, "breaks": {"result": str(broken)}},
        "ledger_events": {kind: {"count": number} for kind, number in types.items()},
        "messages_by_basis": {basis: per_channel(counts) for basis, counts in sent_by_basis.items()},
        "doi": {channel: {"requested": r, "confirmed": c, "expired": e, "open": r - c - e, "rate": rate(c, r)}
                for channel, (r, c, e) in doi_rows.items()},
        "processors": {
            "email": {"provider": f"{settings.smtp.host}:{settings.smtp.port}" if settings.smtp.host else none},
            "sms": {"provider": sms or none},
            "database": {"provider": f"{database} ({'selbst betrieben' if lang == 'de' else 'self-hosted'})"},
            "webhooks": {"provider": ", ".join(hooks) or ("keine" if lang == "de" else "none")},
        },
        "objections": {via: {**{c: counts.get(c, 0) for c in (*CHANNELS, "all")}, "total": sum(counts.values())}
                       for via, counts in routes.items()},
        "objection_effect": {"objections": {"count": len(objections)}, "suppressions": {"count": suppressions},
                             "withheld_for_objection": {"count": withheld},
                             "sent_despite_objection": {"count": despite}},
        "complaints": {
            "received": {"count": len(complaint_rows)},
            "open": {"count": sum(1 for row in complaint_rows if row[4] == "open")},
            "answered": {"count": sum(1 for row in complaint_rows if row[4] == "answered")},
            "objection": {"count": sum(1 for row in complaint_rows if row[3])},
            "days_to_answer": {"count": round(sum(waited) / len(waited), 1) if waited else None},
        },
        "complaint_list": listed,
        "retention": {"erased_customers": {"count": erased}, "erased_events": {"count": erased_events},
                      "suppressions": {"count": suppressions},
                      "doi_lifetime": {"count": settings.doi.lifetime_days}},
        "privilege": {
            "purchases": {"count": len(purchases)}, "buyers": {"count": len({p[0] for p in purchases})},
            "collected": {"count": sum(1 for p in purchases if p[1])},
            "noticed": {"count": sum(1 for p in purchases if p[1] and p[2])},
            "unnoticed": {"count": sum(1 for p in purchases if p[1] and not p[2])},
            "privilege_sent": {"count": sum(sent_by_basis.get("existing_customer", Counter()).values())},
        },
    }


def _aware(moment):
    if moment is None or (isinstance(moment, datetime) and moment.tzinfo):
        return moment
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=ZoneInfo("UTC")) if moment.tzinfo is None else moment


# --- reading the PDF as a reader does -----------------------------------------------------------

def pdf_lines(document: bytes, tmp_path) -> list[str]:
    path = tmp_path / "answer.pdf"
    path.write_bytes(document)
    layout = subprocess.run([tool("pdftotext"), "-layout", str(path), "-"], capture_output=True, check=True)
    return [" ".join(line.split()) for line in layout.stdout.decode().splitlines() if line.strip()]


def printed(value, kind, lang) -> str:
    """A figure as a reader of the PDF sees it (counted here, formatted here)."""
    if value is None:
        return "-"
    if kind == "date":
        year, month, day_ = value.split("-")
        return f"{day_}.{month}.{year}" if lang == "de" else value
    if isinstance(value, float):
        number = f"{value:.1f}".replace(".", "," if lang == "de" else ".")
        return f"{number} %" if kind == "percent" else number
    return str(value)


@pytest.fixture
def salon(app, org, clock, tmp_path):
    return history(app, org, clock, tmp_path)


# --- the figures --------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_figure_of_the_pack_is_what_the_database_holds(app, org, salon, lang):
    pack = answer_pack.build(app, org, lang=lang)
    expected = expected_figures(app, org, lang)
    assert pack.figures() == expected
    # The story the figures tell, so that a mistake in both countings does not pass unnoticed:
    figures = pack.figures()
    assert figures["consents_by_source"]["online_form"]["email"] == 3  # anna, ben twice
    assert figures["consent_proof"]["doi"]["total"] == 1  # anna
    assert figures["doi"]["email"] == {"requested": 3, "confirmed": 1, "expired": 1, "open": 1, "rate": 33.3}
    assert figures["objection_effect"]["withheld_for_objection"] == {"count": 1}  # clara's campaign mail
    assert figures["objection_effect"]["sent_despite_objection"] == {"count": 0}
    assert figures["messages_by_basis"]["existing_customer"]["email"] == 1  # emil
    assert figures["retention"]["erased_customers"] == {"count": 1}  # gero
    assert figures["ledger"]["intact"] == {"result": "ja" if lang == "de" else "yes"}
    assert figures["privilege"]["unnoticed"] == {"count": 1}  # frida


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_pdf_renders_and_prints_every_figure_as_counted_from_the_database(app, org, salon, lang, tmp_path):
    pack = answer_pack.build(app, org, lang=lang)
    document = answer_pack.render_pdf(pack)
    (tmp_path / "pages").mkdir()
    (tmp_path / "pack.pdf").write_bytes(document)
    subprocess.run([tool("pdftoppm"), "-png", "-r", "60", str(tmp_path / "pack.pdf"), str(tmp_path / "pages/p")],
                   check=True, capture_output=True)
    pages = sorted((tmp_path / "pages").glob("*.png"))
    assert len(pages) >= 3
    assert all(page.read_bytes().startswith(b"\x89PNG") and page.stat().st_size > 5_000 for page in pages)

    lines = pdf_lines(document, tmp_path)
    expected = expected_figures(app, org, lang)
    checked = 0
    for table in pack.tables():
        assert set(expected[table.key]) == {row.key for row in table.rows}, table.key
        for row in table.rows:
            cells = [printed(expected[table.key][row.key][column.key], column.kind, lang) for column in table.columns]
            line = " ".join([row.label, *cells])
            assert line in lines, f"{table.key}/{row.key}: {line!r} is not a line of the PDF"
            checked += len(cells)
    assert checked > 150
    words = " ".join(lines)
    assert ("Frage: Wie holen Sie Einwilligungen in Werbung ein?" if lang == "de"
            else "Question: How do you obtain consent to advertising?") in words
    assert "Ja, ich möchte den Newsletter von Salon Sonnenschein per E-Mail erhalten." in words  # the appendix


def test_the_download_holds_the_pdf_the_figures_and_a_csv_per_table(app, org, salon):
    pack = answer_pack.build(app, org, lang="de")
    archive = zipfile.ZipFile(io.BytesIO(answer_pack.bundled(pack)))
    names = set(archive.namelist())
    assert {"answer.pdf", "figures.json", "consents_by_source.csv", "consent_texts.csv", "objections.csv",
            "complaint_list.csv", "processors.csv", "consent_texts_wording.csv"} <= names
    assert archive.read("answer.pdf").startswith(b"%PDF")
    document = json.loads(archive.read("figures.json"))
    assert document["figures"] == json.loads(json.dumps(expected_figures(app, org, "de")))
    for table in pack.tables():
        rows = list(csv.reader(io.StringIO(archive.read(f"{table.key}.csv").decode("utf-8-sig"))))
        assert rows[0] == ["key", table.label, *(c.title for c in table.columns)]
        assert {row[0]: row[2:] for row in rows[1:]} == {
            row.key: ["" if v is None else str(v) for v in row.values] for row in table.rows}
    wording = list(csv.DictReader(io.StringIO(archive.read("consent_texts_wording.csv").decode("utf-8-sig"))))
    assert [(w["key"], w["version"], w["locale"]) for w in wording] == [
        ("newsletter", "1", "de"), ("newsletter", "2", "de"), ("sms-offers", "1", "en")]
    assert all(hashlib.sha256(w["body"].encode()).hexdigest() == w["sha256"] for w in wording)


def test_the_pack_names_no_customer_and_no_secret(app, org, salon, tmp_path):
    app.settings.smtp = SmtpSettings(host="smtp.mail.example", port=465, username="salon", password="hunter2-smtp",
                                     security="tls")
    app.settings.sms = SmsSettings(provider="webhook", url="https://sms.example/send?key=sms-secret-in-url",
                                   token="sms-token-secret")
    webhooks.create(app, org, url="https://booking.example/hooks/konsent")
    pack = answer_pack.build(app, org, lang="en")
    assert pack.figures()["processors"] == expected_figures(app, org, "en")["processors"]
    assert pack.figures()["processors"]["email"] == {"provider": "smtp.mail.example:465"}
    assert pack.figures()["processors"]["webhooks"] == {"provider": "booking.example"}
    archive = zipfile.ZipFile(io.BytesIO(answer_pack.bundled(pack)))
    everything = " ".join([*(archive.read(n).decode("utf-8-sig") for n in archive.namelist() if n != "answer.pdf"),
                           *pdf_lines(archive.read("answer.pdf"), tmp_path)])
    for secret in ("hunter2-smtp", "sms-secret-in-url", "sms-token-secret", "salon@", "192.0.2.7", "Firefox",
                   "utm=autumn", "@example.com", "Anna", "+49151"):
        assert secret not in everything


def test_advertising_sent_after_an_objection_is_counted_not_hidden(app, org, salon):
    """A sender that ignored the ledger (here: a message row written behind konsent's back) shows up."""
    assert answer_pack.build(app, org, lang="en").figures()["objection_effect"]["sent_despite_objection"] == {
        "count": 0}
    with app.db.unit_of_work() as session:
        session.add(t.Message(
            id=str(uuid.uuid4()), organisation_id=org, customer_id=salon["anna"], kind="newsletter", channel="sms",
            status="sent", decision={"decision": "allow", "basis": "consent"}, created_at=app.now(),
            sent_at=app.now()))
    figures = answer_pack.build(app, org, lang="en").figures()
    assert figures["objection_effect"]["sent_despite_objection"] == {"count": 1}  # anna objected on all channels
    assert figures == expected_figures(app, org, "en")


def test_a_consent_given_after_the_objection_lifts_it_for_the_count(app, org, clock):
    anna = person(app, org, "anna")
    consents.object_to(app, org, anna, channel="email")
    clock.advance(days=1)
    consents.give(app, org, anna, ConsentDeclaration(channel="email", source="paper_form", evidence=SIGNED))
    clock.advance(days=1)
    with app.db.unit_of_work() as session:
        session.add(t.Message(
            id=str(uuid.uuid4()), organisation_id=org, customer_id=anna, kind="newsletter", channel="email",
            status="sent", decision={"decision": "allow", "basis": "consent"}, created_at=app.now(),
            sent_at=app.now()))
    figures = answer_pack.build(app, org, lang="en").figures()
    assert figures["objection_effect"]["sent_despite_objection"] == {"count": 0}
    assert figures["valid_today"]["email"] == {"with_address": 1, "with_consent": 1, "rate": 100.0}
    assert figures == expected_figures(app, org, "en")


def test_a_broken_chain_is_reported_as_broken(app, org, salon, tmp_path):
    with app.db.unit_of_work() as session:  # an edit behind konsent's back: the request's channel
        row = session.scalar(select(t.LedgerEvent).where(t.LedgerEvent.organisation_id == org,
                                                         t.LedgerEvent.type == "doi.requested"))
        session.execute(update(t.LedgerEvent).where(t.LedgerEvent.id == row.id).values(
            body=bytes(row.body).replace(b'"channel":"email"', b'"channel":"sms"')))
    pack = answer_pack.build(app, org, lang="en")
    assert pack.figures() == expected_figures(app, org, "en")
    assert pack.figures()["ledger"]["intact"] == {"result": "no"}
    assert "TODAY'S VERIFICATION FOUND THE CHAIN BROKEN" in " ".join(pdf_lines(answer_pack.render_pdf(pack), tmp_path))

    with app.db.unit_of_work() as session:  # a body that is no event at all any more: counted around
        session.execute(update(t.LedgerEvent).where(t.LedgerEvent.id == row.id).values(body=b'{"tampered": 1}'))
    broken = answer_pack.build(app, org, lang="en").figures()
    assert broken["ledger"]["intact"] == {"result": "no"}
    assert broken["consents_by_source"] == pack.figures()["consents_by_source"]


def test_another_organisations_data_is_never_counted(app, org, salon):
    other = organisations.create(app, slug=f"other-{uuid.uuid4().hex[:8]}", name="Other", jurisdiction="AT").id
    figures = answer_pack.build(app, other, lang="de").figures()
    assert figures["consents_by_source"]["online_form"]["total"] == 0
    assert figures["ledger"]["events"] == {"result": "0"}
    assert figures["complaints"]["received"] == {"count": 0}
    assert figures["consent_texts"] == {}
    assert figures == expected_figures(app, other, "de")


def test_an_unknown_language_is_refused_naming_the_field(app, org):
    with pytest.raises(InputError) as refused:
        answer_pack.build(app, org, lang="fr")
    assert refused.value.field == "lang"
