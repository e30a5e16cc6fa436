"""The records of processing (Art. 30 GDPR): a short description of the processing konsent does for
an organisation — purposes, data subjects and data, recipients, retention, technical and
organisational measures — filled from the organisation and the server's live settings, for the
organisation to check and adopt into its own record.

    record = processing_record.build(app, "salon-sonnenschein", lang="de")
    page = processing_record.render_html(record)              # for the staff UI
    document = processing_record.render(app, "salon-sonnenschein", "de", fmt="pdf")  # bytes
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from konsent.config import Settings
from konsent.errors import InputError
from konsent.services import dossier, organisations
from konsent.services.context import Konsent
from konsent.services.reporting import pack_figures
from konsent.services.reporting.record_words import LAW_CONSENT, LAW_PRIVILEGE, record_words
from konsent.storage import tables as t

FORMATS = ("html", "pdf")


@dataclass(frozen=True, slots=True)
class Part:
    key: str
    title: str
    facts: tuple[tuple[str, str], ...]  # label, text
    items: tuple[str, ...]  # listed under the facts


@dataclass(frozen=True, slots=True)
class ProcessingRecord:
    lang: str
    generated_at: datetime
    organisation: str
    title: str
    intro: str
    parts: tuple[Part, ...]
    words: dict[str, str]


def build(app: Konsent, organisation_key: str, *, lang: str) -> ProcessingRecord:
    lang = dossier.checked_lang(lang)
    with app.db.unit_of_work() as session:
        organisation = organisations.get(session, organisation_key)
        officers = [(name, email) for name, email in session.execute(
            select(t.StaffAccount.name, t.StaffAccount.email).where(
                t.StaffAccount.organisation_id == organisation.id, t.StaffAccount.role == "dpo",
                t.StaffAccount.disabled_at.is_(None)).order_by(t.StaffAccount.name))]
        services = pack_figures.processors(session, organisation.id, app.settings)
        return _record(organisation, officers, services, app.settings, lang, app.now())


def render(app: Konsent, organisation_key: str, lang: str, fmt: str = "html") -> bytes:
    """The record as an HTML page (UTF-8) or a PDF."""
    if fmt not in FORMATS:
        raise InputError("format", "must be html or pdf")
    record = build(app, organisation_key, lang=lang)
    return render_pdf(record) if fmt == "pdf" else render_html(record).encode()


def render_html(record: ProcessingRecord) -> str:
    from konsent.reports import html  # noqa: PLC0415 - Jinja2 loads only when a page is asked for

    return html.processing_record(record)


def render_pdf(record: ProcessingRecord) -> bytes:
    from konsent.reports import processing_record_pdf  # noqa: PLC0415 - fpdf2 loads only when a PDF is asked for

    return processing_record_pdf.render(record)


def _record(
    organisation: t.Organisation, officers: list[tuple[str, str]], services: dict[str, str | None],
    settings: Settings, lang: str, now: datetime,
) -> ProcessingRecord:
    w = record_words(lang)
    missing = w["missing"]
    jurisdiction = organisation.jurisdiction
    controller = Part("controller", w["controller"], (
        (w["name"], organisation.name), (w["address"], organisation.sender_address or missing),
        (w["imprint"], organisation.imprint or missing), (w["privacy"], organisation.privacy_url or missing),
        (w["jurisdiction"], jurisdiction),
        (w["dpo"], "; ".join(f"{name} <{email}>" for name, email in officers) or w["no_dpo"]),
    ), ())
    activity = Part("activity", w["activity"], ((w["activity_name"], w["activity_text"]),), (
        f"{w['purposes']}:", *(w[f"purpose_{n}"] for n in range(1, 5)), f"{w['bases']}:",
        w["basis_1"].format(law_consent=LAW_CONSENT.get(jurisdiction, LAW_CONSENT["DE"])),
        w["basis_2"].format(law_privilege=LAW_PRIVILEGE.get(jurisdiction, LAW_PRIVILEGE["DE"])),
        w["basis_3"], w["basis_4"],
    ))
    subjects = Part("subjects", w["subjects"], (
        (w["subject_customers"], w["data_customers"]), (w["subject_staff"], w["data_staff"]),
        (w["subject_objectors"], w["data_objectors"]),
    ), ())
    transfers = w["transfer_twilio"] if settings.sms.provider == "twilio" else w["transfer_none"]
    recipients = Part("recipients", w["recipients"], (
        (w["email_service"], services["email"] or w["no_email_service"]),
        (w["sms_service"], services["sms"] or w["no_sms_service"]),
        (w["hosting"], w["hosting_text"].format(database=services["database"])),
        (w["webhooks"], services["webhooks"] or w["none"]),
        (w["transfer"], transfers),
    ), ())
    hours = f"{settings.security.session_hours:g}"
    retention = Part("retention", w["retention"], (), (
        w["retention_ledger"], w["retention_customer"], w["retention_suppression"],
        w["retention_doi"].format(days=settings.doi.lifetime_days), w["retention_sessions"].format(hours=hours),
        w["retention_audit"],
    ))
    smtp = w[f"smtp_{settings.smtp.security}"] if settings.smtp.host and settings.smtp.security in (
        "tls", "starttls", "none") else w["smtp_local"]
    secure = settings.security.cookie_secure
    if secure is None:
        secure = settings.server.public_url.startswith("https://")
    measures = Part("measures", w["measures"], (), (
        w["measure_ledger"], w["measure_links"], w["measure_suppression"], w["measure_tenants"],
        w["measure_access"], w["measure_logs"],
        w["measure_transport"].format(smtp=smtp, cookies=w["cookies_secure" if secure else "cookies_plain"]),
        w["measure_templates"],
    ))
    return ProcessingRecord(
        lang=lang, generated_at=now, organisation=organisation.name, title=w["title"],
        intro=w["intro"].format(organisation=organisation.name),
        parts=(controller, activity, subjects, recipients, retention, measures), words=w,
    )
