"""The staff UI's words in German and English. Both languages have every key (a test checks)."""

from typing import Any

from konsent.web.staff.words_more import WORDS as MORE_WORDS

LANGUAGES = ("de", "en")

_WORDS: dict[str, tuple[str, str]] = {  # key: (de, en)
    # the frame
    "skip": ("Zum Inhalt springen", "Skip to content"),
    "nav_label": ("Hauptnavigation", "Main navigation"),
    "nav_customers": ("Kunden", "Customers"), "nav_complaints": ("Beschwerden", "Complaints"),
    "nav_audit": ("Änderungsprotokoll", "Audit log"), "nav_api_keys": ("API-Schlüssel", "API keys"),
    "nav_accounts": ("Mitarbeiterkonten", "Staff accounts"), "nav_settings": ("Einstellungen", "Settings"),
    "nav_password": ("Passwort ändern", "Change password"),
    "logout": ("Abmelden", "Sign out"), "switch_language": ("English", "Deutsch"),
    "switch_language_label": ("Sprache wechseln", "Change language"),
    "role_owner": ("Inhaber", "Owner"), "role_staff": ("Mitarbeiter", "Staff"),
    "role_dpo": ("Datenschutzbeauftragte", "Data protection officer"),
    "error": ("Bitte prüfen Sie Ihre Eingabe", "Please check your input"),
    "save": ("Speichern", "Save"), "none": ("keine", "none"), "yes": ("ja", "yes"), "no": ("nein", "no"),
    "optional": ("optional", "optional"), "back": ("Zurück", "Back"), "next_page": ("Nächste Seite", "Next page"),
    "first_page": ("Erste Seite", "First page"),
    # signing in
    "login_title": ("Anmeldung für Mitarbeiter", "Staff sign-in"), "email": ("E-Mail-Adresse", "Email address"),
    "password": ("Passwort", "Password"), "login": ("Anmelden", "Sign in"),
    "signed_out": ("Sie sind abgemeldet.", "You are signed out."),
    "current_password": ("Aktuelles Passwort", "Current password"), "new_password": ("Neues Passwort", "New password"),
    "password_hint": ("Mindestens 10 Zeichen.", "At least 10 characters."),
    "password_changed": ("Ihr Passwort wurde geändert. Andere Sitzungen sind beendet.",
                         "Your password was changed. Other sessions have ended."),
    # customers
    "customers_title": ("Kunden", "Customers"),
    "search_label": ("Suche nach Name, E-Mail, Telefon oder Kundennummer",
                     "Search by name, email, phone or customer number"),
    "search": ("Suchen", "Search"), "no_results": ("Keine Kunden gefunden.", "No customers found."),
    "name": ("Name", "Name"), "phone": ("Telefon", "Phone"), "external_id": ("Kundennummer", "Customer number"),
    "postal": ("Postanschrift", "Postal address"), "erased": ("gelöscht", "erased"),
    "open": ("Öffnen", "Open"), "customer": ("Kunde", "Customer"),
    # the customer record
    "record_title": ("Kundenakte", "Customer record"), "contacts": ("Kontaktdaten", "Contact points"),
    "type": ("Art", "Type"), "jurisdiction": ("Rechtsordnung", "Jurisdiction"), "language": ("Sprache", "Language"),
    "suppressed": ("Auf der Sperrliste für", "On the suppression list for"),
    "erased_note": ("Die personenbezogenen Daten dieses Kunden wurden gelöscht. Ein Widerspruch wirkt über die "
                    "Sperrliste fort.", "This customer's personal data was erased. An objection lives on in the "
                    "suppression list."),
    "permissions": ("Was dürfen wir senden?", "What may we send?"),
    "permissions_intro": ("Stand jetzt, je Kanal und Zweck — dieselbe Entscheidung, die auch die Schnittstelle "
                          "trifft.", "As of now, per channel and purpose — the same decision the API makes."),
    "purpose": ("Zweck", "Purpose"), "status": ("Status", "Status"), "since": ("Seit", "Since"),
    "why": ("Warum", "Why"), "no_address": ("keine Adresse hinterlegt", "no address on file"),
    "status_allowed": ("erlaubt", "allowed"), "status_not_allowed": ("nicht erlaubt", "not allowed"),
    "status_waiting": ("wartet auf Bestätigung", "waiting for confirmation"),
    "status_objected": ("Widerspruch", "objected"),
    "basis": ("Grundlage", "Basis"),
    "purchases": ("Käufe und Buchungen", "Purchases and bookings"), "no_purchases": ("Keine Käufe.", "No purchases."),
    "when": ("Wann", "When"), "categories": ("Kategorien", "Categories"),
    "contact_collected": ("Erhobene Kontaktdaten", "Contact collected"),
    "notice": ("Widerspruchshinweis", "Objection notice"),
    "messages": ("Gesendete Nachrichten", "Messages sent"), "no_messages": ("Keine Nachrichten.", "No messages."),
    "kind": ("Art", "Kind"), "channel": ("Kanal", "Channel"), "decision": ("Entscheidung", "Decision"),
    "timeline": ("Protokoll (Ledger)", "Ledger timeline"), "event": ("Ereignis", "Event"),
    "details": ("Angaben", "Details"), "evidence": ("Beleg", "Evidence"), "by": ("Durch", "By"),
    "no_evidence": ("—", "—"), "evidence_erased": ("gelöscht", "erased"), "evidence_altered": ("VERÄNDERT", "ALTERED"),
    "dossier": ("Nachweis (PDF)", "Proof dossier (PDF)"),
    "dossier_de": ("Nachweis auf Deutsch", "Dossier in German"),
    "dossier_en": ("Nachweis auf Englisch", "Dossier in English"),
    "actions": ("Aktionen", "Actions"),
    "record_consent": ("Einwilligung erfassen", "Record consent"),
    "record_complaint": ("Beschwerde erfassen", "Record complaint"),
    "complaints_of_customer": ("Beschwerden", "Complaints"),
    "open_signups": ("Unbestätigte Anmeldungen", "Sign-ups waiting for confirmation"),
    "erase": ("Personenbezogene Daten löschen (Art. 17 DSGVO)", "Erase personal data (Art. 17 GDPR)"),
    "erase_confirm": ("Ich habe die Löschung geprüft; sie kann nicht rückgängig gemacht werden.",
                      "I have checked the erasure; it cannot be undone."),
    "erase_button": ("Endgültig löschen", "Erase for good"),
    "erase_done": ("Die Daten wurden gelöscht.", "The data was erased."),
    # manual consent
    "consent_title": ("Einwilligung erfassen", "Record consent"),
    "consent_intro": ("Für eine Einwilligung am Tresen, am Telefon oder auf Papier.",
                      "For a consent given at the desk, on the phone or on paper."),
    "source": ("Wie wurde eingewilligt?", "How was consent given?"),
    "source_manual_staff": ("Persönlich oder am Telefon, von mir erfasst", "In person or by phone, recorded by me"),
    "source_paper_form": ("Unterschriebenes Formular", "Signed paper form"),
    "source_recorded_call": ("Aufgezeichnetes Telefonat", "Recorded phone call"),
    "text_version": ("Vorgelesener oder unterschriebener Einwilligungstext",
                     "Consent text read out or signed"),
    "no_text": ("— kein hinterlegter Text —", "— no text on file —"),
    "categories_hint": ("Kommagetrennt; leer: alle Waren und Dienstleistungen.",
                        "Comma-separated; empty: all goods and services."),
    "document": ("Unterschriebenes Formular hochladen", "Upload the signed form"),
    "document_hint": ("Gespeichert wird nur die SHA-256-Prüfsumme, nicht die Datei.",
                      "Only its SHA-256 checksum is stored, not the file."),
    "reference": ("Ablageort oder Referenz", "Filing place or reference"),
    "reference_hint": ("z. B. „Ordner 2026, Blatt 14“", "e.g. \"binder 2026, sheet 14\""),
    "recording_ref": ("Referenz der Aufzeichnung", "Recording reference"),
    "agreed_now": ("Die Person hat soeben eingewilligt (ich bestätige das).",
                   "The person agreed just now (I confirm this)."),
    "record": ("Erfassen", "Record"),
    "consent_recorded": ("Einwilligung erfasst", "Consent recorded"),
    "consent_proven": ("Die Einwilligung ist durch einen Beleg nachgewiesen.", "The consent is proven by a record."),
    "consent_unproven": ("Ohne Beleg gilt die Einwilligung als unbestätigt. Bitten Sie die Person, sie per "
                         "Bestätigungslink zu bestätigen (Double-Opt-in).",
                         "Without evidence the consent counts as unconfirmed. Ask the person to confirm it "
                         "through a confirmation link (double opt-in)."),
    "send_doi": ("Bestätigungsanfrage senden", "Send confirmation request"),
    "doi_requested": ("Bestätigungsanfrage gesendet am", "Confirmation request sent at"),
    "doi_confirmed": ("Bestätigt am", "Confirmed at"), "doi_failed": ("Zustellung fehlgeschlagen", "Delivery failed"),
    "doi_sent": ("Bestätigungsanfrage gesendet.", "Confirmation request sent."),
    "withdrawn_at": ("Widerrufen am", "Withdrawn at"),
    "to_record": ("Zur Kundenakte", "To the customer record"),
    # complaints
    "complaints_title": ("Beschwerden", "Complaints"), "new_complaint": ("Neue Beschwerde", "New complaint"),
    "no_complaints": ("Keine Beschwerden.", "No complaints."),
    "complaint_status_open": ("offen", "open"), "complaint_status_answered": ("beantwortet", "answered"),
    "filter_all": ("alle", "all"), "received_at": ("Eingegangen", "Received"),
    "arrived_by": ("Eingegangen per", "Arrived by"),
    "arrived_email": ("E-Mail", "Email"), "arrived_phone": ("Telefon", "Phone"), "arrived_letter": ("Brief", "Letter"),
    "arrived_authority": ("Behörde", "Authority"),
    "customer_key": ("Kunde (E-Mail, Telefon oder Kundennummer)", "Customer (email, phone or customer number)"),
    "summary": ("Worüber beschwert sich die Person?", "What does the person complain about?"),
    "about_channel": ("Betroffener Kanal", "Channel concerned"), "all_channels": ("alle Kanäle", "all channels"),
    "wants_no_more": ("Die Person möchte keine Werbung mehr (als Widerspruch erfassen).",
                      "The person wants no more advertising (record an objection)."),
    "complaint_title": ("Beschwerde", "Complaint"), "recorded_by": ("Erfasst von", "Recorded by"),
    "objection_recorded": ("Widerspruch erfasst", "Objection recorded"),
    "record_objection": ("Widerspruch jetzt erfassen", "Record an objection now"),
    "messages_to_person": ("Alle Nachrichten an die Person mit der Entscheidung dahinter",
                           "Every message to the person with the decision behind it"),
    "answer": ("Antwort", "Answer"), "answer_language": ("Sprache der Antwort", "Language of the answer"),
    "answer_hint": ("Entwurf aus den gespeicherten Entscheidungen; bitte prüfen und anpassen. Den Nachweis (PDF) "
                    "legen Sie der Antwort bei.", "A draft from the stored decisions; check and adapt it. Attach "
                    "the proof dossier (PDF) to the answer."),
    "mark_answered": ("Als beantwortet speichern", "Save as answered"),
    "answered_at": ("Beantwortet am", "Answered at"),
    "draft_in": ("Entwurf neu erstellen", "Redraft"),
    "no_customer": ("Keiner Kundin und keinem Kunden zugeordnet.", "Not linked to a customer."),
    # oversight
    "audit_title": ("Änderungsprotokoll", "Audit log"),
    "audit_intro": ("Wer hat wann was geändert. Einträge werden nie gelöscht.",
                    "Who changed what, when. Entries are never deleted."),
    "at": ("Zeitpunkt", "When"), "actor": ("Wer", "Who"), "action": ("Aktion", "Action"),
    "subject": ("Betrifft", "Subject"), "no_entries": ("Keine Einträge.", "No entries."),
    "api_keys_title": ("API-Schlüssel", "API keys"), "key_name": ("Name (welches System)", "Name (which system)"),
    "prefix": ("Kennung", "Prefix"), "scopes": ("Rechte", "Scopes"), "scope_read": ("lesen", "read"),
    "scope_write": ("schreiben", "write"), "created_at": ("Angelegt", "Created"),
    "last_used_at": ("Zuletzt benutzt", "Last used"), "revoked_at": ("Widerrufen", "Revoked"),
    "revoke": ("Widerrufen", "Revoke"), "create_key": ("Schlüssel anlegen", "Create key"),
    "no_keys": ("Keine API-Schlüssel.", "No API keys."),
    "key_created": ("Neuer API-Schlüssel", "New API key"),
    "key_once": ("Dieser Schlüssel wird nur jetzt angezeigt. Kopieren Sie ihn in das andere System.",
                 "This key is shown only now. Copy it into the other system."),
    "accounts_title": ("Mitarbeiterkonten", "Staff accounts"), "role": ("Rolle", "Role"),
    "last_login_at": ("Letzte Anmeldung", "Last sign-in"), "disabled": ("deaktiviert", "disabled"),
    "disable": ("Deaktivieren", "Disable"), "create_account": ("Konto anlegen", "Create account"),
    "initial_password": ("Erstes Passwort", "Initial password"),
    "settings_title": ("Einstellungen", "Settings"),
    "org_name": ("Name des Unternehmens", "Organisation name"), "sender_name": ("Absendername", "Sender name"),
    "sender_address": ("Absenderanschrift", "Sender address"), "imprint": ("Impressum", "Imprint"),
    "privacy_url": ("Datenschutzerklärung (URL)", "Privacy policy (URL)"), "logo_url": ("Logo (https-URL)",
                                                                                        "Logo (https URL)"),
    "settings_saved": ("Gespeichert.", "Saved."),
    **MORE_WORDS,  # the campaign, dashboard, library and report pages
}

# Channels, purposes and message kinds as table labels (the rules' glossary words them for sentences).
_VALUES: dict[str, tuple[str, str]] = {
    "email": ("E-Mail", "Email"), "sms": ("SMS", "SMS"), "phone": ("Telefonanruf", "Phone call"),
    "post": ("Brief", "Letter"), "all": ("alle", "all"),
    "advertising": ("Werbung allgemein", "All advertising"), "newsletter": ("Newsletter", "Newsletter"),
    "product_ad": ("Produktwerbung", "Product advertising"), "review_request": ("Bewertungsanfragen",
                                                                                "Review requests"),
    "feedback_survey": ("Zufriedenheitsumfragen", "Feedback surveys"),
    "birthday_greeting": ("Geburtstagsgrüße", "Birthday greetings"),
    "winback": ("Rückgewinnung", "Win-back"), "doi_confirmation": ("Bestätigungsanfrage", "Confirmation request"),
    "order_confirmation": ("Bestellbestätigung", "Order confirmation"),
    "booking_confirmation": ("Buchungsbestätigung", "Booking confirmation"),
    "appointment_reminder": ("Terminerinnerung", "Appointment reminder"),
    "shipping_status": ("Versandnachricht", "Shipping notice"), "invoice": ("Rechnung", "Invoice"),
    "consumer": ("Verbraucher", "Consumer"), "business": ("Unternehmer", "Business"),
    "de": ("Deutsch", "German"), "en": ("Englisch", "English"),
    "sent": ("gesendet", "sent"), "failed": ("fehlgeschlagen", "failed"), "queued": ("wartend", "queued"),
    "withheld": ("zurückgehalten", "withheld"), "allow": ("erlaubt", "allowed"), "deny": ("nicht erlaubt", "denied"),
}


def words(lang: str) -> dict[str, str]:
    index = 0 if lang == "de" else 1
    return {key: pair[index] for key, pair in _WORDS.items()}


def value(text: Any, lang: str) -> str:
    """A stored value (channel, purpose, kind, status) as a label; unknown values as they are."""
    if text is None:
        return "—"
    pair = _VALUES.get(str(text))
    return pair[0 if lang == "de" else 1] if pair else str(text)
