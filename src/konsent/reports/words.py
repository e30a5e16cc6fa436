"""The words of the reports, in German and English: headings, event names, field names."""

from datetime import UTC, datetime
from typing import Any

from konsent.domain.wording import localise

LANGUAGES = ("de", "en")

EVENTS: dict[str, tuple[str, str]] = {  # type: (de, en)
    "consent.given": ("Einwilligung erteilt", "Consent given"),
    "doi.requested": ("Bestätigung angefordert (Double-Opt-in)", "Confirmation requested (double opt-in)"),
    "doi.confirmed": ("Bestätigt (Double-Opt-in)", "Confirmed (double opt-in)"),
    "doi.expired": ("Bestätigungsfrist abgelaufen", "Confirmation expired"),
    "consent.withdrawn": ("Einwilligung widerrufen", "Consent withdrawn"),
    "objection.received": ("Widerspruch", "Objection"),
    "transactional.opted_out": ("Service-Nachrichten abbestellt", "Transactional messages turned off"),
    "transactional.opted_in": ("Service-Nachrichten wieder erlaubt", "Transactional messages turned on"),
    "complaint.received": ("Beschwerde", "Complaint"),
    "customer.erased": ("Personenbezogene Daten gelöscht (Art. 17 DSGVO)", "Personal data erased (Art. 17 GDPR)"),
}

FIELDS: dict[str, tuple[str, str]] = {
    "channel": ("Kanal", "Channel"), "purpose": ("Zweck", "Purpose"), "source": ("Quelle", "Source"),
    "method": ("Art", "Method"), "categories": ("Kategorien", "Categories"),
    "text_version_id": ("Einwilligungstext", "Consent text"), "third_party": ("Für Dritte", "Third party"),
    "evidence": ("Selbst belegt", "Proven by record"), "via": ("Über", "Via"), "scope": ("Umfang", "Scope"),
    "consent_id": ("Einwilligung", "Consent"), "asked_to_stop": ("Bat um Einstellung", "Asked to stop"),
    "ip": ("IP-Adresse", "IP address"), "user_agent": ("Browser (User-Agent)", "Browser (user agent)"),
    "page_url": ("Seite (URL)", "Page (URL)"), "staff_actor": ("Bestätigt von", "Confirmed by staff"),
    "document_hash": ("Dokument (SHA-256)", "Document (SHA-256)"),
    "recording_ref": ("Aufzeichnung", "Recording"), "note": ("Notiz", "Note"),
    "email": ("E-Mail", "Email"), "phone": ("Telefon", "Phone"), "postal": ("Postanschrift", "Postal address"),
}

VALUES: dict[str, tuple[str, str]] = {
    "online_form": ("Online-Formular", "online form"), "booking": ("Buchung", "booking"),
    "manual_staff": ("von Mitarbeitern erfasst", "recorded by staff"), "paper_form": ("Papierformular", "paper form"),
    "import": ("Import", "import"), "api": ("Schnittstelle (API)", "API"), "all": ("alle", "all"),
    "active": ("aktiv", "active"), "service": ("Service-Nachrichten", "service messages"),
    "consumer": ("Verbraucher", "consumer"), "business": ("Unternehmer", "business"),
    "staff": ("Mitarbeiter", "staff"), "unsubscribe": ("Abmeldelink", "unsubscribe link"),
    "complaint": ("Beschwerde", "complaint"), "suppression_list": ("Sperrliste", "suppression list"),
    "erasure": ("Löschung", "erasure"), "request": ("Antrag der Person", "the person's request"),
    "True": ("ja", "yes"), "False": ("nein", "no"),
}

LABELS: dict[str, tuple[str, str]] = {
    "export_title": ("Auskunft nach Art. 15 DSGVO", "Access under Art. 15 GDPR"),
    "dossier_title": ("Nachweis der Einwilligung", "Proof of consent"),
    "export_intro": (
        "Alle Daten, die {organisation} in konsent über Sie gespeichert hat.",
        "Everything {organisation} holds about you in konsent.",
    ),
    "dossier_intro": (
        "Nachweis nach Art. 7 Abs. 1 DSGVO: jede Einwilligung mit Wortlaut und Beleg, aus einem "
        "manipulationssicheren, hash-verketteten Protokoll.",
        "Proof under Art. 7 (1) GDPR: every consent with its wording and evidence, from a "
        "tamper-evident, hash-chained ledger.",
    ),
    "organisation": ("Unternehmen", "Organisation"), "customer": ("Kunde", "Customer"),
    "generated_at": ("Erstellt am", "Generated at"), "name": ("Name", "Name"),
    "customer_id": ("Kunden-ID", "Customer id"), "external_id": ("Externe ID", "External id"),
    "type": ("Art", "Type"), "jurisdiction": ("Rechtsordnung", "Jurisdiction"), "locale": ("Sprache", "Language"),
    "birthday": ("Geburtstag", "Birthday"), "created_at": ("Angelegt am", "Created at"),
    "registers": ("Sperrlisten", "Registers"), "tags": ("Merkmale", "Tags"),
    "contacts": ("Kontaktdaten", "Contact points"), "erased_at": ("Gelöscht am", "Erased at"),
    "erased_note": (
        "Die personenbezogenen Daten dieses Kunden wurden gelöscht. Es bleiben nur pseudonyme "
        "Ereignisse; ein Widerspruch wirkt über die Sperrliste fort.",
        "This customer's personal data was erased. Only pseudonymous events remain; an objection "
        "lives on in the suppression list.",
    ),
    "purchases": ("Käufe und Buchungen", "Purchases and bookings"), "occurred_at": ("Zeitpunkt", "When"),
    "contact_collected": ("Erhobene Kontaktdaten", "Contact collected"),
    "notice": ("Hinweis auf Widerspruchsrecht", "Objection notice given"),
    "timeline": ("Zeitleiste", "Timeline"), "event": ("Ereignis", "Event"), "details": ("Angaben", "Details"),
    "actor": ("Durch", "By"), "seq": ("Nr.", "No."),
    "consents": ("Einwilligungen", "Consents"), "consent_on": ("Einwilligung vom", "Consent of"),
    "text_shown": ("Gezeigter Wortlaut", "Wording shown"), "version": ("Version", "Version"),
    "text_intact": ("Wortlaut unverändert (SHA-256 stimmt)", "Wording unchanged (SHA-256 matches)"),
    "text_altered": ("WORTLAUT VERÄNDERT", "WORDING ALTERED"),
    "no_text": ("Kein Wortlaut hinterlegt", "No wording on record"),
    "evidence": ("Beleg", "Evidence"), "no_evidence": ("Kein Beleg erfasst", "No evidence recorded"),
    "evidence_intact": ("Beleg unverändert (Prüfsumme stimmt)", "Evidence unchanged (digest matches)"),
    "evidence_altered": ("BELEG VERÄNDERT", "EVIDENCE ALTERED"),
    "evidence_erased": ("Beleg gelöscht (Art. 17 DSGVO)", "Evidence erased (Art. 17 GDPR)"),
    "doi_messages": ("Bestätigungsnachrichten wie versandt", "Confirmation messages as sent"),
    "messages": ("Nachrichten und ihre Entscheidung", "Messages and their decision"),
    "to": ("An", "To"), "subject": ("Betreff", "Subject"), "status": ("Status", "Status"),
    "sent_at": ("Gesendet", "Sent"), "kind": ("Art", "Kind"), "decision": ("Entscheidung", "Decision"),
    "basis": ("Grundlage", "Basis"), "reasons": ("Gründe", "Reasons"), "none": ("keine", "none"),
    "verification": ("Prüfung des Protokolls", "Ledger verification"),
    "chain_ok": (
        "Die Hash-Kette des Unternehmens ist lückenlos und unverändert: {events} Ereignisse, "
        "letztes Nr. {seq}.",
        "The organisation's hash chain is whole and unaltered: {events} events, the last no. {seq}.",
    ),
    "chain_broken": (
        "DIE HASH-KETTE IST BESCHÄDIGT: {count} Stelle(n) in {events} Ereignissen.",
        "THE HASH CHAIN IS BROKEN: {count} problem(s) in {events} events.",
    ),
    "head": ("Kopf der Kette", "Head of the chain"),
    "current": ("Stand heute: Newsletter je Kanal", "As of now: a newsletter on each channel"),
    "no_address": ("keine Adresse hinterlegt", "no address on file"),
    "chain": ("Anhang: Hash-Kette dieses Kunden", "Appendix: this customer's hash chain"),
    "hash": ("Hash", "Hash"), "previous": ("Vorheriger Hash", "Previous hash"),
    "state": ("Aktueller Stand", "Current state"), "objections": ("Widersprüche", "Objections"),
    "transactional_opt_out": ("Service-Nachrichten abbestellt für", "Transactional messages off for"),
    "suppression": ("Sperrliste", "Suppression list"),
    "suppression_note": (
        "Sperrvermerke enthalten keine Adresse, nur einen geschlüsselten Hash: so bleibt ein "
        "Widerspruch auch nach einer Löschung wirksam.",
        "Suppression entries hold no address, only a keyed hash: that is how an objection "
        "outlives an erasure.",
    ),
    "since": ("Seit", "Since"), "doi_requests": ("Bestätigungsanfragen", "Confirmation requests"),
    "expires_at": ("Gültig bis", "Valid until"), "confirmed_at": ("Bestätigt", "Confirmed"),
    "audit": ("Änderungen durch Mitarbeiter", "Changes made by staff"), "action": ("Aktion", "Action"),
    "at": ("Zeitpunkt", "When"), "yes": ("ja", "yes"), "no": ("nein", "no"),
    "allow": ("ERLAUBT", "ALLOWED"), "deny": ("NICHT ERLAUBT", "NOT ALLOWED"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "de" else pair[1]


def labels(lang: str) -> dict[str, str]:
    return {key: _pick(pair, lang) for key, pair in LABELS.items()}


def event_name(event_type: str, lang: str) -> str:
    return _pick(EVENTS[event_type], lang) if event_type in EVENTS else event_type


def field_name(key: str, lang: str) -> str:
    return _pick(FIELDS[key], lang) if key in FIELDS else key


def value_text(value: Any, lang: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(value_text(item, lang) for item in value) or "—"
    if str(value) in VALUES:
        return _pick(VALUES[str(value)], lang)
    return localise(str(value), lang)


def moment(value: str | None, lang: str) -> str:
    """konsent stores UTC; the report says so rather than guess the reader's zone."""
    if not value:
        return "—"
    at = datetime.fromisoformat(value)
    if at.tzinfo is None:
        return at.date().strftime("%d.%m.%Y" if lang == "de" else "%Y-%m-%d")
    return at.astimezone(UTC).strftime("%d.%m.%Y %H:%M:%S UTC" if lang == "de" else "%Y-%m-%d %H:%M:%S UTC")
