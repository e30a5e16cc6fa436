"""The words of the records of processing (Art. 30 GDPR), German and English. `{…}` are filled
from the organisation and the server's settings."""

RECORD: dict[str, tuple[str, str]] = {  # key: (de, en)
    "title": ("Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO)",
              "Record of processing activities (Art. 30 GDPR)"),
    "intro": (
        "Entwurf zur Übernahme in das Verzeichnis von {organisation}: die Verarbeitung, die konsent für das "
        "Unternehmen ausführt. Erstellt aus den aktuellen Einstellungen; bitte prüfen und ergänzen.",
        "A draft for {organisation} to adopt into its record: the processing konsent carries out for the "
        "organisation. Produced from the current settings; please check and complete it.",
    ),
    "generated_at": ("Erstellt am", "Generated at"),
    # 1 controller
    "controller": ("1. Verantwortlicher", "1. Controller"),
    "name": ("Name", "Name"), "address": ("Anschrift", "Address"), "imprint": ("Impressum", "Imprint"),
    "privacy": ("Datenschutzerklärung", "Privacy notice"), "jurisdiction": ("Rechtsordnung", "Jurisdiction"),
    "dpo": ("Datenschutzbeauftragte(r)", "Data protection officer"),
    "no_dpo": ("keine(r) in konsent eingetragen", "none registered in konsent"),
    "missing": ("nicht hinterlegt", "not on file"),
    # 2 activity and purposes
    "activity": ("2. Verarbeitungstätigkeit und Zwecke", "2. Processing activity and purposes"),
    "activity_name": ("Bezeichnung", "Name"),
    "activity_text": ("Verwaltung von Werbeeinwilligungen und rechtskonformer Kundenversand (konsent)",
                      "Management of consent to advertising and lawful customer messaging (konsent)"),
    "purposes": ("Zwecke", "Purposes"),
    "purpose_1": ("Einwilligungen in Werbung einholen, bestätigen (Double-Opt-in) und nachweisen (Art. 7 Abs. 1 DSGVO)",
                  "Obtaining, confirming (double opt-in) and proving consent to advertising (Art. 7 (1) GDPR)"),
    "purpose_2": ("Vor jedem Versand prüfen, ob eine Nachricht rechtlich zulässig ist, und sie versenden",
                  "Checking before each message is sent whether the law allows it, and sending it"),
    "purpose_3": ("Widersprüche und Abmeldungen sofort und dauerhaft umsetzen (Art. 21 DSGVO)",
                  "Honouring objections and unsubscribes at once and for good (Art. 21 GDPR)"),
    "purpose_4": ("Auskunft, Löschung und Beschwerden beantworten (Art. 15, 17 DSGVO)",
                  "Answering access and erasure requests and complaints (Art. 15, 17 GDPR)"),
    "bases": ("Rechtsgrundlagen", "Legal bases"),
    "basis_1": ("Werbung mit Einwilligung: Art. 6 Abs. 1 lit. a DSGVO, {law_consent}",
                "Advertising with consent: Art. 6 (1) a GDPR, {law_consent}"),
    "basis_2": ("Werbung an Bestandskunden: Art. 6 Abs. 1 lit. f DSGVO, {law_privilege}",
                "Advertising to existing customers: Art. 6 (1) f GDPR, {law_privilege}"),
    "basis_3": ("Buchungs-, Bestell- und Servicenachrichten: Art. 6 Abs. 1 lit. b DSGVO",
                "Booking, order and service messages: Art. 6 (1) b GDPR"),
    "basis_4": ("Nachweis, Sperrliste und Protokoll: Art. 6 Abs. 1 lit. c DSGVO i. V. m. Art. 7 Abs. 1, Art. 21 "
                "DSGVO", "Proof, suppression list and ledger: Art. 6 (1) c GDPR with Art. 7 (1) and Art. 21 GDPR"),
    # 3 data subjects and data
    "subjects": ("3. Betroffene Personen und Datenkategorien", "3. Data subjects and categories of data"),
    "subject_customers": ("Kundinnen und Kunden, Interessenten", "Customers and prospective customers"),
    "data_customers": (
        "Name, Geburtstag (falls angegeben), E-Mail-Adresse, Telefonnummer, Postanschrift, Kundennummer des "
        "Hostsystems, Käufe und Buchungen (Zeitpunkt, Kategorien), Einwilligungen, Widersprüche und Beschwerden mit "
        "Zeitpunkt und Beleg (IP-Adresse, Browser, Seite, Prüfsumme eines unterschriebenen Formulars, Verweis auf "
        "eine Aufzeichnung), versandte Nachrichten mit Inhalt und Entscheidung",
        "Name, birthday (if given), email address, phone number, postal address, the host system's customer "
        "number, purchases and bookings (time, categories), consents, objections and complaints with their time "
        "and evidence (IP address, browser, page, digest of a signed form, reference to a recording), messages "
        "sent with their content and decision",
    ),
    "subject_staff": ("Mitarbeiterinnen und Mitarbeiter", "Staff members"),
    "data_staff": ("Name, E-Mail-Adresse, Rolle, Passwort (nur als Argon2id-Hash), Anmeldezeitpunkte, Änderungen "
                   "im Änderungsprotokoll", "Name, email address, role, password (as an Argon2id hash only), "
                   "sign-in times, changes in the audit log"),
    "subject_objectors": ("Personen, die widersprochen haben", "People who objected"),
    "data_objectors": ("Nur ein geschlüsselter Hash der Adresse (Sperrliste), keine Adresse im Klartext",
                       "Only a keyed hash of the address (suppression list), no address in plain text"),
    # 4 recipients
    "recipients": ("4. Empfänger und Auftragsverarbeiter", "4. Recipients and processors"),
    "email_service": ("E-Mail-Versand (SMTP)", "Email delivery (SMTP)"), "sms_service": ("SMS-Versand", "SMS delivery"),
    "hosting": ("Betrieb und Datenbank", "Hosting and database"),
    "hosting_text": ("{database}, vom Unternehmen selbst oder seinem Hoster betrieben",
                     "{database}, run by the organisation itself or its hosting provider"),
    "webhooks": ("Benachrichtigte Systeme (Webhooks; nur IDs und Codes)",
                 "Systems notified (webhooks; ids and codes only)"),
    "no_email_service": ("keiner: Nachrichten werden lokal als Dateien abgelegt",
                         "none: messages are written to local files"),
    "no_sms_service": ("keiner: Nachrichten werden lokal als Dateien abgelegt",
                       "none: messages are written to local files"),
    "none": ("keine", "none"),
    "transfer": ("Übermittlung in Drittländer", "Transfers to third countries"),
    "transfer_none": ("konsent selbst übermittelt nichts in Drittländer; Sitz der oben genannten Dienste prüfen.",
                      "konsent itself transfers nothing to third countries; check where the services above are based."),
    "transfer_twilio": ("SMS über Twilio Inc. (USA): Übermittlung in ein Drittland; Grundlage "
                        "(Angemessenheitsbeschluss EU-US Data Privacy Framework oder Standardvertragsklauseln) im "
                        "Vertrag mit Twilio festhalten.",
                        "SMS through Twilio Inc. (USA): a transfer to a third country; record its basis (the EU-US "
                        "Data Privacy Framework adequacy decision or standard contractual clauses) in the contract "
                        "with Twilio."),
    # 5 retention
    "retention": ("5. Löschfristen", "5. Retention periods"),
    "retention_ledger": ("Einwilligungsprotokoll: solange ein Nachweis nötig sein kann (Art. 7 Abs. 1 DSGVO); bei "
                         "Löschung bleiben die Ereignisse pseudonym und ohne Beleg",
                         "Consent ledger: as long as proof may be needed (Art. 7 (1) GDPR); on erasure the events "
                         "stay, pseudonymous and without evidence"),
    "retention_customer": ("Kundendaten, Belege, Käufe, Nachrichteninhalte: bis zur Löschung auf Verlangen (Art. 17 "
                           "DSGVO) oder nach dem Löschkonzept des Unternehmens",
                           "Customer data, evidence, purchases, message contents: until erased on request (Art. 17 "
                           "GDPR) or under the organisation's deletion policy"),
    "retention_suppression": ("Sperrliste: dauerhaft, damit ein Widerspruch auch eine Löschung überdauert",
                              "Suppression list: for good, so that an objection outlives an erasure"),
    "retention_doi": ("Bestätigungsanfragen: gültig {days} Tage, danach als abgelaufen vermerkt",
                      "Confirmation requests: valid for {days} days, then recorded as expired"),
    "retention_sessions": ("Anmeldungen der Mitarbeiter: {hours} Stunden", "Staff sign-in sessions: {hours} hours"),
    "retention_audit": ("Änderungsprotokoll der Mitarbeiter: wird nicht gelöscht", "Staff audit log: never deleted"),
    # 6 measures
    "measures": ("6. Technische und organisatorische Maßnahmen (Art. 32 DSGVO)",
                 "6. Technical and organisational measures (Art. 32 GDPR)"),
    "measure_ledger": ("Hash-verkettetes, nur erweiterbares Protokoll: jede Änderung, Löschung, Einfügung oder "
                       "Umsortierung wird bei der Prüfung erkannt und benannt",
                       "Hash-chained, append-only ledger: every change, deletion, insertion or reordering is found "
                       "and named by the verification"),
    "measure_links": ("Links in Nachrichten tragen signierte, ablaufende Tokens und nur eine ID; ein bloßer Aufruf "
                      "ändert nichts", "Links in messages carry signed, expiring tokens and only an id; merely "
                      "opening one changes nothing"),
    "measure_suppression": ("Sperrliste als geschlüsselter Hash (HMAC-SHA256 mit dem Schlüssel des Unternehmens)",
                            "Suppression list as keyed hashes (HMAC-SHA256 under the organisation's key)"),
    "measure_tenants": ("Mandantentrennung: jede Abfrage ist auf das Unternehmen beschränkt; fremde IDs werden wie "
                        "nicht vorhandene behandelt", "Tenant separation: every query is limited to the "
                        "organisation; another organisation's ids are treated as unknown"),
    "measure_access": ("Rollen: Inhaber, Mitarbeiter, Datenschutzbeauftragte(r) (nur lesend); Passwörter als "
                       "Argon2id-Hash, API-Schlüssel nur als SHA-256; begrenzte Anmeldeversuche",
                       "Roles: owner, staff, data protection officer (read only); passwords as Argon2id hashes, API "
                       "keys as SHA-256 only; sign-in attempts limited"),
    "measure_logs": ("Keine personenbezogenen Daten in technischen Logs; Änderungen durch Mitarbeiter im "
                     "Änderungsprotokoll", "No personal data in technical logs; staff changes in the audit log"),
    "measure_transport": ("E-Mail-Versand: Verschlüsselung {smtp}; Anmelde-Cookies {cookies}",
                          "Email delivery: encryption {smtp}; sign-in cookies {cookies}"),
    "smtp_tls": ("TLS", "TLS"), "smtp_starttls": ("STARTTLS", "STARTTLS"),
    "smtp_none": ("KEINE (bitte einschalten)", "NONE (please turn it on)"),
    "smtp_local": ("entfällt (kein SMTP-Server eingestellt)", "not applicable (no SMTP server set)"),
    "cookies_secure": ("nur über HTTPS", "over HTTPS only"),
    "cookies_plain": ("auch über HTTP (nur für die Entwicklung)", "over HTTP too (development only)"),
    "measure_templates": ("Vorlagen werden abgeschottet (Sandbox) und mit Maskierung dargestellt; Sicherheits-Header "
                          "und Content-Security-Policy auf allen Seiten", "Templates are rendered sandboxed and "
                          "escaped; security headers and a content security policy on every page"),
    "footer": ("Verzeichnis von Verarbeitungstätigkeiten", "Record of processing activities"),
}

LAW_CONSENT = {"DE": "§ 7 Abs. 2 UWG", "AT": "§ 174 TKG 2021", "CH": "Art. 3 Abs. 1 lit. o UWG"}
LAW_PRIVILEGE = {"DE": "§ 7 Abs. 3 UWG", "AT": "§ 174 Abs. 4 TKG 2021", "CH": "Art. 3 Abs. 1 lit. o UWG"}


def record_words(lang: str) -> dict[str, str]:
    return {key: pair[0] if lang == "de" else pair[1] for key, pair in RECORD.items()}
