"""The answer pack's words, German and English: the authority's questions, konsent's answers in
prose, and the headings of every table. No figure is written into prose: every number stands in a
table, where the test that reads the PDF finds it."""

WORDS: dict[str, tuple[str, str]] = {  # key: (de, en)
    "title": ("Antwort auf den Fragenkatalog der Aufsichtsbehörde",
              "Answer to the supervisory authority's questionnaire"),
    "intro": (
        "Diese Antwort wurde aus den gespeicherten Daten von konsent erstellt, dem System, mit dem {organisation} "
        "Werbeeinwilligungen einholt, nachweist und jede Nachricht vor dem Versand rechtlich prüft. Alle Zahlen "
        "sind zum unten genannten Zeitpunkt gezählt; die zugrunde liegenden Daten liegen als CSV- und "
        "JSON-Dateien bei.",
        "This answer was produced from the data held by konsent, the system with which {organisation} collects "
        "and proves consent to advertising and checks every message against the law before it is sent. Every "
        "figure was counted at the moment named below; the underlying data is attached as CSV and JSON files.",
    ),
    "organisation": ("Verantwortlicher", "Controller"), "generated_at": ("Erstellt am", "Generated at"),
    "jurisdiction": ("Rechtsordnung", "Jurisdiction"), "question": ("Frage", "Question"),
    "yes": ("ja", "yes"), "no": ("nein", "no"), "none": ("keine", "none"), "total": ("Summe", "Total"),
    "count": ("Anzahl", "Count"),
    # --- 1 collection
    "collection": ("1. Wie Einwilligungen eingeholt werden", "1. How consent is obtained"),
    "collection_q": ("Wie holen Sie Einwilligungen in Werbung ein?", "How do you obtain consent to advertising?"),
    "collection_p1": (
        "Jede Einwilligung wird in dem Moment, in dem die Person sie erteilt, als Ereignis im Einwilligungsprotokoll "
        "erfasst: Kanal, Zweck, Quelle, Art der Erteilung, der genaue Wortlaut (Version mit SHA-256-Prüfsumme) und "
        "der Beleg. Nur ein aktives Ja zählt; vorausgefüllte Kästchen oder Einwilligungen in AGB gelten nicht.",
        "Every consent is recorded as an event in the consent ledger at the moment the person gives it: channel, "
        "purpose, source, how it was given, the exact wording (a version with its SHA-256 digest) and the "
        "evidence. Only an active yes counts; pre-ticked boxes or consent hidden in terms do not.",
    ),
    "collection_p2": (
        "Online-Formulare und Buchungssysteme: Die Person setzt das Häkchen selbst. Danach erhält sie über denselben "
        "Kanal eine schlichte Bestätigungsanfrage ohne Werbung (Double-Opt-in); erst die Bestätigung macht die "
        "Einwilligung nachweisbar und damit nutzbar.",
        "Online forms and booking systems: the person ticks the box themselves. They then receive, over the same "
        "channel, a plain confirmation request without advertising (double opt-in); only the confirmation makes "
        "the consent provable and so usable.",
    ),
    "collection_p3": (
        "Telefonische Buchungen und der Empfang: Die Mitarbeiterin oder der Mitarbeiter wählt Kanal und Zweck, liest "
        "den Einwilligungstext vor oder lässt ihn unterschreiben, hinterlegt den Beleg (Prüfsumme des unterschriebenen "
        "Formulars oder Verweis auf die Aufzeichnung) und bestätigt, dass die Person soeben zugestimmt hat; die "
        "Einwilligung wird mit ihr oder ihm als Handelndem erfasst. Ohne Beleg bleibt sie unbestätigt, und konsent "
        "schickt stattdessen die Bestätigungsanfrage.",
        "Phone bookings and the front desk: the staff member picks channel and purpose, reads out the consent text "
        "or has it signed, attaches the evidence (the digest of the signed form or a reference to the recording) "
        "and confirms that the person agreed just now; the consent is recorded with them as the actor. Without "
        "evidence it stays unconfirmed, and konsent sends the confirmation request instead.",
    ),
    "collection_p4": (
        "Die Wortlaute aller Versionen der Einwilligungstexte stehen im Anhang; ein einmal verwendeter Text wird "
        "nie mehr geändert, eine Änderung ergibt eine neue Version.",
        "The wording of every version of the consent texts is in the appendix; a text once used is never changed, "
        "a change makes a new version.",
    ),
    "by_source": ("Erteilte Einwilligungen nach Quelle und Kanal", "Consents given, by source and channel"),
    "source": ("Quelle", "Source"),
    "proof": ("Erteilte Einwilligungen nach Nachweis", "Consents given, by how they are proven"),
    "proven_by": ("Nachweis", "Proof"),
    "doi_proof": ("Bestätigt per Double-Opt-in", "Confirmed by double opt-in"),
    "record_proof": ("Beleg: Unterschrift, Aufnahme, Personal", "Own record: signature, recording, staff"),
    "unproven": ("Nicht bestätigt (nicht nutzbar)", "Not confirmed (not usable)"),
    "texts": ("Einwilligungstexte und ihre Versionen", "Consent texts and their versions"),
    "text": ("Text", "Text"), "created": ("Angelegt", "Created"), "first_used": ("Erste Nutzung", "First used"),
    "last_used": ("Letzte Nutzung", "Last used"), "consents": ("Einwilligungen", "Consents"),
    "forms": ("Formulare (Seiten), auf denen eingewilligt wurde", "Forms (pages) where consent was given"),
    "page": ("Seite", "Page"),
    "valid_today": ("Heute nutzbare Einwilligungen je Kanal", "Consents usable today, per channel"),
    "channel": ("Kanal", "Channel"), "with_address": ("Kunden mit Adresse", "Customers with an address"),
    "with_consent": ("davon mit Einwilligung", "of which with consent"), "rate": ("Quote", "Rate"),
    # --- 2 documentation
    "documentation": ("2. Wie Einwilligungen dokumentiert werden", "2. How consent is documented"),
    "documentation_q": ("Wie dokumentieren Sie die Einwilligungen?", "How do you document consent?"),
    "documentation_p1": (
        "konsent führt für jedes Unternehmen ein Protokoll, an das nur angefügt wird (append-only). Jedes Ereignis "
        "ist mit dem vorigen über SHA-256 verkettet: Wird ein Ereignis geändert, gelöscht, eingefügt oder "
        "umsortiert, bricht die Kette an genau dieser Stelle, und die Prüfung nennt sie.",
        "konsent keeps one append-only ledger per organisation. Every event is chained to the one before by "
        "SHA-256: if an event is changed, deleted, inserted or reordered, the chain breaks at exactly that place, "
        "and the verification names it.",
    ),
    "documentation_p2": (
        "Jeder Eintrag enthält: laufende Nummer, Art des Ereignisses, pseudonyme Kunden-ID, Zeitpunkt des "
        "Geschehens und der Erfassung, Kanal, Zweck, Quelle, Art der Erteilung, beworbene Kategorien, Version und "
        "Prüfsumme des gezeigten Wortlauts, wer gehandelt hat, und die Prüfsumme des Belegs (IP-Adresse, Browser, "
        "Seite, Unterschrift oder Aufzeichnung). Der Beleg selbst liegt neben der Kette, damit er auf Verlangen "
        "gelöscht werden kann, ohne die Kette zu brechen. Für jede Person lässt sich ein Nachweis-Dossier erzeugen.",
        "Every entry holds: its sequence number, the kind of event, the customer's pseudonymous id, when it "
        "happened and when it was recorded, channel, purpose, source, how consent was given, the advertised "
        "categories, the version and digest of the wording shown, who acted, and the digest of the evidence (IP "
        "address, browser, page, signature or recording). The evidence itself lies beside the chain, so that it "
        "can be erased on request without breaking the chain. A proof dossier can be produced for every person.",
    ),
    "chain_ok": ("Die Prüfung heute hat die Kette lückenlos und unverändert gefunden.",
                 "Today's verification found the chain whole and unaltered."),
    "chain_broken": ("DIE PRÜFUNG HEUTE HAT DIE KETTE BESCHÄDIGT GEFUNDEN; die betroffenen Stellen stehen unten.",
                     "TODAY'S VERIFICATION FOUND THE CHAIN BROKEN; the places are listed below."),
    "ledger": ("Prüfung des Protokolls", "Ledger verification"), "check": ("Prüfung", "Check"),
    "result": ("Ergebnis", "Result"), "events": ("Ereignisse im Protokoll", "Events in the ledger"),
    "head": ("Nummer des letzten Ereignisses", "Number of the last event"),
    "intact": ("Kette unverändert", "Chain unaltered"), "breaks": ("Bruchstellen", "Breaks"),
    "event_types": ("Ereignisse nach Art", "Events by kind"), "event": ("Ereignis", "Event"),
    "by_basis": ("Versandte Nachrichten nach Rechtsgrundlage und Kanal", "Messages sent, by legal basis and channel"),
    "basis": ("Rechtsgrundlage", "Legal basis"),
    # --- 3 double opt-in
    "doi": ("3. Double-Opt-in", "3. Double opt-in"),
    "doi_q": ("Setzen Sie das Double-Opt-in-Verfahren ein, und mit welchem Ergebnis?",
              "Do you use double opt-in, and with what result?"),
    "doi_p1": (
        "Jede Anmeldung über ein Formular, eine Buchung oder die Schnittstelle löst genau eine Bestätigungsanfrage "
        "über denselben Kanal aus; der Link darin ist signiert und läuft ab. Bestätigt wird erst mit einem Klick "
        "auf der Bestätigungsseite (ein bloßer Aufruf bestätigt nichts), bei SMS auch mit dem Code. Anfragen, die "
        "nicht rechtzeitig bestätigt werden, verfallen und werden im Protokoll als abgelaufen vermerkt.",
        "Every sign-up through a form, a booking or the interface triggers exactly one confirmation request over "
        "the same channel; its link is signed and expires. Confirmation takes a click on the confirmation page "
        "(merely opening it confirms nothing), for SMS also the code. Requests not confirmed in time lapse and are "
        "recorded in the ledger as expired.",
    ),
    "doi_table": ("Bestätigungsanfragen", "Confirmation requests"),
    "requested": ("Angefragt", "Requested"), "confirmed": ("Bestätigt", "Confirmed"),
    "expired": ("Abgelaufen", "Expired"), "open": ("Offen", "Open"),
    "completion": ("Quote", "Rate"),
    "doi_note": ("Bestätigungsquote: bestätigte von allen angefragten.",
                 "Completion rate: confirmed out of all requested."),
    # --- 4 processors
    "processors": ("4. Dienstleister und Empfänger", "4. Service providers and recipients"),
    "processors_q": ("Setzen Sie einen Newsletter-Dienstleister oder andere Auftragsverarbeiter ein?",
                     "Do you use a newsletter provider or other processors?"),
    "processors_p1": (
        "konsent wird vom Unternehmen selbst betrieben; kein Newsletter-Dienstleister erhält die Kundenliste. "
        "Nachrichten gehen einzeln über die unten genannten Versanddienste hinaus, jeweils erst nach der "
        "Prüfung im Moment des Versands. Zugangsdaten werden hier nicht genannt.",
        "konsent is run by the organisation itself; no newsletter provider receives the customer list. Messages "
        "leave one by one through the sending services named below, each only after the check at the moment of "
        "sending. Credentials are not shown here.",
    ),
    "processor_table": ("Eingesetzte Dienste", "Services in use"), "service": ("Dienst", "Service"),
    "provider": ("Anbieter / Host", "Provider / host"),
    "email_service": ("E-Mail-Versand (SMTP)", "Email delivery (SMTP)"), "sms_service": ("SMS-Versand", "SMS delivery"),
    "database_service": ("Datenbank", "Database"), "webhook_service": ("Benachrichtigte Systeme (Webhooks)",
                                                                       "Systems notified (webhooks)"),
    "no_email_service": ("keiner: Nachrichten werden als Dateien abgelegt", "none: messages are written to files"),
    "no_sms_service": ("keiner: Nachrichten werden als Dateien abgelegt", "none: messages are written to files"),
    "self_hosted": ("selbst betrieben", "self-hosted"),
    # --- 5 objections
    "objections": ("5. Widersprüche und Abmeldungen", "5. Objections and unsubscribes"),
    "objections_q": ("Wie werden Widersprüche umgesetzt, und wie schnell?",
                     "How are objections honoured, and how fast?"),
    "objections_p1": (
        "Ein Widerspruch wirkt sofort: konsent entscheidet jede Nachricht im Moment des Versands erneut, so dass eine "
        "bereits geplante Nachricht nach einem Widerspruch zurückgehalten wird. Jede Werbenachricht enthält den "
        "Hinweis auf das Widerspruchsrecht und einen Abmeldelink (bei E-Mail auch die Ein-Klick-Abmeldung nach RFC "
        "8058); eine SMS lässt sich mit STOP abbestellen. Jeder Widerspruch kommt zudem auf die Sperrliste, die nur "
        "einen geschlüsselten Hash der Adresse enthält und so auch eine Löschung der Person überdauert.",
        "An objection takes effect at once: konsent decides every message again at the moment of sending, so a "
        "message already scheduled is withheld after an objection. Every advertising message carries the notice "
        "of the right to object and an unsubscribe link (for email also RFC 8058 one-click unsubscribe); an SMS "
        "can be stopped by replying STOP. Every objection also goes onto the suppression list, which holds only "
        "a keyed hash of the address and so outlives even the person's erasure.",
    ),
    "objection_table": ("Widersprüche nach Weg und Kanal", "Objections by route and channel"),
    "route": ("Weg", "Route"),
    "effect_table": ("Wirkung der Widersprüche (gemessen)", "Effect of objections (measured)"),
    "objections_total": ("Widersprüche", "Objections"),
    "suppressions": ("Einträge auf der Sperrliste", "Entries on the suppression list"),
    "withheld_for_objection": ("Wegen Widerspruchs zurückgehaltene Nachrichten", "Messages withheld for an objection"),
    "sent_despite_objection": ("Nach einem Widerspruch versandte Werbung", "Advertising sent after an objection"),
    "effect_note": (
        "Gezählt aus dem Nachrichtenprotokoll: Werbung an eine Person auf einem Kanal, dem sie zuvor widersprochen "
        "hatte, ohne dass sie danach erneut eingewilligt hätte.",
        "Counted from the message log: advertising to a person on a channel they had objected to before, without "
        "consenting again since.",
    ),
    # --- 6 complaints
    "complaints": ("6. Beschwerden", "6. Complaints"),
    "complaints_q": ("Wie gehen Sie mit Beschwerden um?", "How do you handle complaints?"),
    "complaints_p1": (
        "Eine Beschwerde wird mit Eingang, Weg und Anliegen erfasst. Die Mitarbeiter sehen jede Nachricht, die die "
        "Person erhalten hat, mit der Entscheidung und Rechtsgrundlage dahinter. Bittet die Person, keine "
        "Nachrichten mehr zu erhalten, wird dies sofort als Widerspruch erfasst. Die Antwort geht mit dem "
        "Nachweis-Dossier der Person hinaus.",
        "A complaint is recorded with when and how it arrived and what it is about. Staff see every message the "
        "person received with the decision and legal basis behind it. When the person asks for no more messages, "
        "that is recorded at once as an objection. The answer goes out with the person's proof dossier.",
    ),
    "complaint_table": ("Beschwerden im Überblick", "Complaints at a glance"),
    "complaints_received": ("Eingegangen", "Received"), "complaints_open": ("Offen", "Open"),
    "complaints_answered": ("Beantwortet", "Answered"),
    "complaints_objection": ("Mit Widerspruch (keine Nachrichten mehr)", "With objection (no more messages)"),
    "days_to_answer": ("Tage bis zur Antwort (Mittel)", "Days to answer (mean)"),
    "complaint_list": ("Beschwerden einzeln", "Complaints one by one"), "complaint": ("Beschwerde", "Complaint"),
    "received": ("Eingang", "Received"), "arrived_by": ("Weg", "By"), "wants_no_more": ("Widerspruch", "Objection"),
    "status": ("Stand", "Status"), "answered": ("Antwort", "Answered"), "days": ("Tage", "Days"),
    "open_status": ("offen", "open"), "answered_status": ("beantwortet", "answered"),
    "letter": ("Brief", "letter"), "authority": ("Behörde", "authority"),
    # --- 7 retention
    "retention": ("7. Speicherdauer und Löschung", "7. Retention and erasure"),
    "retention_q": ("Wie lange speichern Sie die Daten, und wie wird gelöscht?",
                    "How long is data kept, and how is it erased?"),
    "retention_p1": (
        "Das Einwilligungsprotokoll wird für die Dauer der Kundenbeziehung und darüber hinaus aufbewahrt, solange "
        "das Unternehmen eine Einwilligung nachweisen können muss (Art. 7 Abs. 1 DSGVO). Verlangt eine Person die "
        "Löschung (Art. 17 DSGVO), werden Name, Kontaktdaten, Käufe, Belege und Nachrichteninhalte gelöscht; die "
        "Ereignisse bleiben pseudonym und ohne Beleg stehen, so dass die Kette prüfbar bleibt. Ein Widerspruch "
        "bleibt als geschlüsselter Hash auf der Sperrliste, damit die Adresse nicht erneut angeschrieben wird. "
        "Unbestätigte Anmeldungen verfallen nach der unten genannten Frist.",
        "The consent ledger is kept for the duration of the customer relationship and beyond, as long as the "
        "organisation must be able to prove a consent (Art. 7 (1) GDPR). When a person asks for erasure (Art. 17 "
        "GDPR), name, contact details, purchases, evidence and message contents are erased; the events remain, "
        "pseudonymous and without evidence, so that the chain stays verifiable. An objection stays on the "
        "suppression list as a keyed hash, so that the address is not written to again. Unconfirmed sign-ups "
        "lapse after the period named below.",
    ),
    "retention_table": ("Löschung in Zahlen", "Erasure in figures"),
    "erased_customers": ("Auf Verlangen gelöschte Kunden", "Customers erased on request"),
    "erased_events": ("Davon verbliebene pseudonyme Ereignisse", "Their pseudonymous events kept"),
    "doi_lifetime": ("Gültigkeit einer Bestätigungsanfrage (Tage)", "Validity of a confirmation request (days)"),
    # --- 8 existing customers
    "privilege": ("8. Werbung an Bestandskunden", "8. Advertising to existing customers"),
    "privilege_q": ("Nutzen Sie das Bestandskundenprivileg ({law})?",
                    "Do you use the existing-customer privilege ({law})?"),
    "privilege_p1": (
        "Ohne Einwilligung schickt konsent E-Mail-Werbung nur, wenn alle Voraussetzungen erfüllt sind: Die Adresse "
        "stammt aus einem Kauf oder einer Buchung, beworben werden nur eigene ähnliche Waren oder Dienstleistungen "
        "(die ähnlichen Kategorien legt das Unternehmen unten fest), die Person hat nicht widersprochen, und sie "
        "wurde bei der Erhebung der Adresse und wird in jeder Nachricht auf ihr Widerspruchsrecht hingewiesen. Ob "
        "der Hinweis bei der Erhebung gegeben wurde, wird je Kauf gespeichert; fehlt er, geht keine Werbung hinaus.",
        "Without consent konsent sends email advertising only when every condition is met: the address comes "
        "from a purchase or booking, only the organisation's own similar goods or services are advertised (the "
        "similar categories are set by the organisation, below), the person has not objected, and they were told "
        "of their right to object when the address was collected and are told again in every message. Whether "
        "the notice was given at collection is stored for each purchase; without it no advertising goes out.",
    ),
    "similar_groups": ("Gruppen ähnlicher Kategorien", "Groups of similar categories"),
    "no_similar_groups": ("Keine Gruppen festgelegt: beworben werden nur bereits gekaufte Kategorien.",
                          "No groups set: only categories already bought are advertised."),
    "notice_text": ("Hinweis in jeder Werbenachricht", "Notice in every advertising message"),
    "privilege_table": ("Käufe und Hinweise", "Purchases and notices"),
    "purchases": ("Erfasste Käufe und Buchungen", "Purchases and bookings recorded"),
    "buyers": ("Kunden mit Kauf oder Buchung", "Customers with a purchase or booking"),
    "collected": ("Käufe, bei denen eine Adresse erhoben wurde", "Purchases where an address was collected"),
    "noticed": ("davon mit Hinweis auf das Widerspruchsrecht", "of which with the notice of the right to object"),
    "unnoticed": ("davon ohne Hinweis (keine Werbung)", "of which without the notice (no advertising)"),
    "privilege_sent": ("Auf dieser Grundlage versandte Nachrichten", "Messages sent on this basis"),
    # --- appendix
    "appendix": ("Anhang: Wortlaut der Einwilligungstexte", "Appendix: wording of the consent texts"),
    "version": ("Version", "Version"), "language": ("Sprache", "Language"),
    "no_texts": ("Keine Einwilligungstexte hinterlegt.", "No consent texts on record."),
    "footer": ("Antwort an die Aufsichtsbehörde", "Answer to the supervisory authority"),
}

PRIVILEGE_LAW = {"DE": "§ 7 Abs. 3 UWG", "AT": "§ 174 Abs. 4 TKG 2021", "CH": "Art. 3 Abs. 1 lit. o UWG"}


def words(lang: str) -> dict[str, str]:
    return {key: pair[0] if lang == "de" else pair[1] for key, pair in WORDS.items()}
