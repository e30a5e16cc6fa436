"""The answer to the authority's questionnaire (seed 000): how consent is obtained and documented,
double opt-in, processors, objections, complaints, retention and the existing-customer privilege —
in words and figures from live data, as one download: `answer.pdf` with `figures.json` and CSVs.

    pack = answer_pack.build(app, "salon-sonnenschein", lang="de")   # figures and texts
    zipped = answer_pack.bundle(app, "salon-sonnenschein", lang="de")  # the download

Every figure stands in a table (`AnswerPack.figures()` gives them all by table, row and column);
prose holds none, so the PDF, the JSON and the CSVs can never tell different stories.
"""

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from konsent.messages.compose import NOTICE
from konsent.reports.words import event_name
from konsent.services import dossier, organisations
from konsent.services.context import Konsent
from konsent.services.reporting import pack_figures
from konsent.services.reporting.pack_figures import CHANNELS, DOI_CHANNELS, SOURCES, PackFigures
from konsent.services.reporting.pack_words import PRIVILEGE_LAW, words
from konsent.services.reporting.words import word
from konsent.storage import tables as t

Value = int | float | str | None
COUNT, PERCENT, DATE, TEXT, NUMBER = "count", "percent", "date", "text", "number"
LABEL_LENGTH = 40  # a row's label fits the first column on one line


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    kind: str  # count | percent | date | text | number


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    label: str
    values: tuple[Value, ...]  # dates as ISO days, percentages as numbers (66.7), None as "—"


@dataclass(frozen=True, slots=True)
class Table:
    key: str
    title: str
    label: str  # the first column's heading
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: str
    question: str
    paragraphs: tuple[str, ...]
    tables: tuple[Table, ...]


@dataclass(frozen=True, slots=True)
class TextVersion:
    key: str
    version: int
    locale: str
    title: str
    body: str
    sha256: str


@dataclass(frozen=True, slots=True)
class AnswerPack:
    lang: str
    generated_at: datetime
    organisation: dict[str, str | None]
    title: str
    intro: str
    sections: tuple[Section, ...]
    texts: tuple[TextVersion, ...]  # the appendix: every consent text as worded
    words: dict[str, str]

    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]

    def table(self, key: str) -> Table:
        return next(table for table in self.tables() if table.key == key)

    def figures(self) -> dict[str, dict[str, dict[str, Value]]]:
        """Every figure of the pack: table -> row -> column -> value."""
        return {
            table.key: {row.key: {column.key: value for column, value in zip(table.columns, row.values, strict=True)}
                        for row in table.rows}
            for table in self.tables()
        }


def build(app: Konsent, organisation_key: str, *, lang: str) -> AnswerPack:
    lang = dossier.checked_lang(lang)
    now = app.now()
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        figures = pack_figures.gather(session, organisation, app.settings, now)
        return _pack(organisation, figures, app.settings.doi.lifetime_days, lang, now)


def render_pdf(pack: AnswerPack) -> bytes:
    from konsent.reports import answer_pack_pdf  # noqa: PLC0415 - fpdf2 loads only when a PDF is asked for

    return answer_pack_pdf.render(pack)


def bundle(app: Konsent, organisation_key: str, *, lang: str) -> bytes:
    """The download: `answer.pdf`, `figures.json` and one CSV per table, in one ZIP."""
    return bundled(build(app, organisation_key, lang=lang))


def bundled(pack: AnswerPack) -> bytes:
    moment = pack.generated_at.timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        def add(name: str, content: bytes) -> None:
            entry = zipfile.ZipInfo(name, date_time=moment)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, content)

        add("answer.pdf", render_pdf(pack))
        add("figures.json", json.dumps(figures_document(pack), ensure_ascii=False, indent=2).encode())
        for table in pack.tables():
            add(f"{table.key}.csv", table_csv(table))
        add("consent_texts_wording.csv", texts_csv(pack))
    return buffer.getvalue()


def figures_document(pack: AnswerPack) -> dict[str, Any]:
    return {
        "document": "konsent.answer_pack", "version": 1, "lang": pack.lang,
        "generated_at": pack.generated_at.isoformat(), "organisation": pack.organisation,
        "figures": pack.figures(),
        "tables": {table.key: {"title": table.title, "label": table.label,
                               "columns": {c.key: {"title": c.title, "kind": c.kind} for c in table.columns},
                               "rows": {row.key: row.label for row in table.rows}} for table in pack.tables()},
    }


def table_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["key", table.label, *(column.title for column in table.columns)])
    for row in table.rows:
        writer.writerow([row.key, row.label, *("" if value is None else value for value in row.values)])
    return _csv_bytes(out)


def texts_csv(pack: AnswerPack) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["key", "version", "locale", "title", "sha256", "body"])
    for text in pack.texts:
        writer.writerow([text.key, text.version, text.locale, text.title, text.sha256, text.body])
    return _csv_bytes(out)


def _csv_bytes(out: io.StringIO) -> bytes:
    # With a byte-order mark, spreadsheet programs read the umlauts right; a cell that starts like a
    # formula is quoted by the reader's own rules — these cells are konsent's words, codes and numbers.
    return ("\ufeff" + out.getvalue()).encode()


# --- the pack, section by section ---------------------------------------------------------------

def _pack(organisation: t.Organisation, f: PackFigures, doi_days: int, lang: str, now: datetime) -> AnswerPack:
    w = words(lang)
    return AnswerPack(
        lang=lang, generated_at=now,
        organisation={"id": organisation.id, "slug": organisation.slug, "name": organisation.name,
                      "jurisdiction": organisation.jurisdiction, "sender_address": organisation.sender_address},
        title=w["title"], intro=w["intro"].format(organisation=organisation.name),
        sections=(
            _collection(f, w, lang), _documentation(f, w, lang), _doi(f, w, lang), _processors(f, w),
            _objections(f, w, lang), _complaints(f, w, lang), _retention(f, w, doi_days),
            _privilege(organisation, f, w, lang),
        ),
        texts=tuple(TextVersion(x.key, x.version, x.locale, x.title, x.body, x.sha256) for x in f.texts),
        words=w,
    )


def _section(key: str, w: dict[str, str], paragraphs: list[str], tables: list[Table], **question: str) -> Section:
    return Section(key, w[key], w[f"{key}_q"].format(**question), tuple(paragraphs), tuple(tables))


def _counts(key: str, title: str, label: str, w: dict[str, str], lang: str,
            rows: list[tuple[str, str, dict[str, int]]], note: str | None = None) -> Table:
    """A table of counts per channel with a total: (key, label, channel -> count) per row."""
    columns = (*(Column(c, word(c, lang), COUNT) for c in CHANNELS), Column("total", w["total"], COUNT))
    return Table(key, title, label, columns, tuple(
        Row(row_key, short(row_label), (*(counts.get(c, 0) for c in CHANNELS), sum(counts.get(c, 0) for c in CHANNELS)))
        for row_key, row_label, counts in rows
    ), note)


def _collection(f: PackFigures, w: dict[str, str], lang: str) -> Section:
    texts = Table("consent_texts", w["texts"], w["text"], (
        Column("created", w["created"], DATE), Column("first_used", w["first_used"], DATE),
        Column("last_used", w["last_used"], DATE), Column("consents", w["consents"], COUNT),
    ), tuple(
        Row(x.id, short(f"{x.key} v{x.version} ({x.locale})"),
            (_day(x.created), _day(x.first_used), _day(x.last_used), x.consents))
        for x in f.texts
    ))
    forms = Table("forms", w["forms"], w["page"], (
        Column("consents", w["consents"], COUNT), Column("first_used", w["first_used"], DATE),
        Column("last_used", w["last_used"], DATE),
    ), tuple(Row(x.page, short(x.page), (x.consents, _day(x.first_used), _day(x.last_used))) for x in f.forms))
    valid = Table("valid_today", w["valid_today"], w["channel"], (
        Column("with_address", w["with_address"], COUNT), Column("with_consent", w["with_consent"], COUNT),
        Column("rate", w["rate"], PERCENT),
    ), tuple(Row(c, word(c, lang), (reachable, consented, percent(consented, reachable)))
             for c, (reachable, consented) in f.valid_today.items()))
    return _section("collection", w, [w["collection_p1"], w["collection_p2"], w["collection_p3"],
                                      w["collection_p4"]], [
        _counts("consents_by_source", w["by_source"], w["source"], w, lang,
                [(s, word(s, lang), f.by_source[s]) for s in SOURCES]),
        _counts("consent_proof", w["proof"], w["proven_by"], w, lang,
                [(k, w[f"{k}_proof" if k != "unproven" else k], f.proof[k]) for k in ("doi", "record", "unproven")]),
        texts, forms, valid,
    ])


def _documentation(f: PackFigures, w: dict[str, str], lang: str) -> Section:
    verification = f.ledger
    ledger = Table("ledger", w["ledger"], w["check"], (Column("result", w["result"], TEXT),), (
        Row("events", w["events"], (str(verification["events"]),)),
        Row("head", w["head"], (str((verification["head"] or {}).get("seq", 0)),)),
        Row("intact", w["intact"], (w["yes"] if verification["ok"] else w["no"],)),
        Row("breaks", w["breaks"], (str(len(verification["breaks"])),)),
    ))
    kinds = Table("ledger_events", w["event_types"], w["event"], (Column("count", w["count"], COUNT),), tuple(
        Row(kind, short(event_name(kind, lang)), (number,)) for kind, number in f.events.items()))
    paragraphs = [w["documentation_p1"], w["documentation_p2"],
                  w["chain_ok"] if verification["ok"] else w["chain_broken"]]
    paragraphs += [f"#{b['seq']} ({b['event_id']}): {b['problem']} - {b['detail']}" for b in verification["breaks"]]
    return _section("documentation", w, paragraphs, [
        ledger, kinds,
        _counts("messages_by_basis", w["by_basis"], w["basis"], w, lang,
                [(basis, word(basis, lang), counts) for basis, counts in f.sent_by_basis.items()]),
    ])


def _doi(f: PackFigures, w: dict[str, str], lang: str) -> Section:
    rows = []
    for key in (*DOI_CHANNELS, "total"):
        requested, confirmed, expired = (
            f.doi[key] if key != "total" else tuple(sum(f.doi[c][i] for c in DOI_CHANNELS) for i in range(3)))
        rows.append(Row(key, word(key, lang) if key != "total" else w["total"], (
            requested, confirmed, expired, requested - confirmed - expired, percent(confirmed, requested))))
    table = Table("doi", w["doi_table"], w["channel"], (
        Column("requested", w["requested"], COUNT), Column("confirmed", w["confirmed"], COUNT),
        Column("expired", w["expired"], COUNT), Column("open", w["open"], COUNT),
        Column("rate", w["completion"], PERCENT),
    ), tuple(rows), note=w["doi_note"])
    return _section("doi", w, [w["doi_p1"]], [table])


def _processors(f: PackFigures, w: dict[str, str]) -> Section:
    p = f.processors
    table = Table("processors", w["processor_table"], w["service"], (Column("provider", w["provider"], TEXT),), (
        Row("email", w["email_service"], (p["email"] or w["no_email_service"],)),
        Row("sms", w["sms_service"], (p["sms"] or w["no_sms_service"],)),
        Row("database", w["database_service"], (f"{p['database']} ({w['self_hosted']})",)),
        Row("webhooks", w["webhook_service"], (p["webhooks"] or w["none"],)),
    ))
    return _section("processors", w, [w["processors_p1"]], [table])


def _objections(f: PackFigures, w: dict[str, str], lang: str) -> Section:
    channels = (*CHANNELS, "all")
    routes = Table("objections", w["objection_table"], w["route"], (
        *(Column(c, word(c, lang), COUNT) for c in channels), Column("total", w["total"], COUNT),
    ), tuple(
        Row(via, short(word(via, lang)), (*(counts.get(c, 0) for c in channels), sum(counts.values())))
        for via, counts in f.objections.items()
    ))
    effect = Table("objection_effect", w["effect_table"], w["check"], (Column("count", w["count"], COUNT),), (
        Row("objections", w["objections_total"], (sum(sum(c.values()) for c in f.objections.values()),)),
        Row("suppressions", w["suppressions"], (f.suppressions,)),
        Row("withheld_for_objection", w["withheld_for_objection"], (f.withheld_for_objection,)),
        Row("sent_despite_objection", w["sent_despite_objection"], (f.sent_despite_objection,)),
    ), note=w["effect_note"])
    return _section("objections", w, [w["objections_p1"]], [routes, effect])


def _complaints(f: PackFigures, w: dict[str, str], lang: str) -> Section:
    answered = [c.days_to_answer for c in f.complaints if c.days_to_answer is not None]
    summary = Table("complaints", w["complaint_table"], w["check"], (Column("count", w["count"], NUMBER),), (
        Row("received", w["complaints_received"], (len(f.complaints),)),
        Row("open", w["complaints_open"], (sum(1 for c in f.complaints if c.status == "open"),)),
        Row("answered", w["complaints_answered"], (sum(1 for c in f.complaints if c.status == "answered"),)),
        Row("objection", w["complaints_objection"], (sum(1 for c in f.complaints if c.wants_no_more),)),
        Row("days_to_answer", w["days_to_answer"], (round(sum(answered) / len(answered), 1) if answered else None,)),
    ))
    listed = Table("complaint_list", w["complaint_list"], w["complaint"], (
        Column("received", w["received"], DATE), Column("arrived_by", w["arrived_by"], TEXT),
        Column("wants_no_more", w["wants_no_more"], TEXT), Column("status", w["status"], TEXT),
        Column("answered", w["answered"], DATE), Column("days", w["days"], NUMBER),
    ), tuple(
        Row(c.id, c.id[:8], (_day(c.received), w.get(c.arrived_by, word(c.arrived_by, lang)),
                             w["yes"] if c.wants_no_more else w["no"], w[f"{c.status}_status"], _day(c.answered),
                             c.days_to_answer))
        for c in f.complaints
    ))
    return _section("complaints", w, [w["complaints_p1"]], [summary, listed])


def _retention(f: PackFigures, w: dict[str, str], doi_days: int) -> Section:
    table = Table("retention", w["retention_table"], w["check"], (Column("count", w["count"], COUNT),), (
        Row("erased_customers", w["erased_customers"], (f.erased_customers,)),
        Row("erased_events", w["erased_events"], (f.erased_events,)),
        Row("suppressions", w["suppressions"], (f.suppressions,)),
        Row("doi_lifetime", w["doi_lifetime"], (doi_days,)),
    ))
    return _section("retention", w, [w["retention_p1"]], [table])


def _privilege(organisation: t.Organisation, f: PackFigures, w: dict[str, str], lang: str) -> Section:
    groups = [", ".join(group) for group in f.similar_categories]
    paragraphs = [w["privilege_p1"], f"{w['similar_groups']}:",
                  *([f"- {group}" for group in groups] or [w["no_similar_groups"]]),
                  f"{w['notice_text']}:", f'"{NOTICE[lang]}"']
    p = f.purchases
    sent = sum(f.sent_by_basis.get("existing_customer", {}).values())
    table = Table("privilege", w["privilege_table"], w["check"], (Column("count", w["count"], COUNT),), (
        Row("purchases", w["purchases"], (p["purchases"],)), Row("buyers", w["buyers"], (p["customers"],)),
        Row("collected", w["collected"], (p["collected"],)), Row("noticed", w["noticed"], (p["noticed"],)),
        Row("unnoticed", w["unnoticed"], (p["unnoticed"],)), Row("privilege_sent", w["privilege_sent"], (sent,)),
    ))
    law = PRIVILEGE_LAW.get(organisation.jurisdiction, PRIVILEGE_LAW["DE"])
    return _section("privilege", w, paragraphs, [table], law=law)


# --- small helpers ------------------------------------------------------------------------------

def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def short(label: str, length: int = LABEL_LENGTH) -> str:
    return label if len(label) <= length else label[:length - 3] + "..."


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None
