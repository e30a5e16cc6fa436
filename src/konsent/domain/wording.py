"""Every rule's sentence, in the owner's words, in German and English.

A reason code is stable forever (stored with every decision); its sentence may be reworded.
`condition` and `outcome` feed the rule table in docs/legal-basis.md.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

LANGUAGES = ("de", "en")


@dataclass(frozen=True, slots=True)
class Wording:
    outcome: str  # allow | deny | warn
    condition: str
    en: str
    de: str


GLOSSARY: dict[str, dict[str, str]] = {
    "en": {
        "email": "email", "sms": "SMS", "phone": "phone call", "post": "letter",
        "advertising": "advertising", "newsletter": "the newsletter",
        "product_ad": "product advertising", "review_request": "review requests",
        "feedback_survey": "feedback surveys", "birthday_greeting": "birthday greetings",
        "winback": "win-back messages",
        "order_confirmation": "order confirmation", "booking_confirmation": "booking confirmation",
        "appointment_reminder": "appointment reminder", "shipping_status": "shipping notice",
        "invoice": "invoice", "after_sales_info": "after-sales information",
        "business_notice": "business notice", "doi_confirmation": "confirmation request",
        "consent_request": "consent request", "loyalty_statement": "loyalty statement",
        "contract": "the performance of a contract", "no_advertising": "information without advertising",
        "doi_request": "confirmation of the customer's own sign-up", "consent": "consent",
        "existing_customer": "the existing-customer privilege",
        "presumed_consent": "presumed consent",
        "business_relationship": "existing business relationship",
        "legitimate_interest": "legitimate interest",
        "none": "nothing",
        "address:email": "email address", "address:sms": "mobile number",
        "address:phone": "phone number", "address:post": "postal address",
    },
    "de": {
        "email": "E-Mail", "sms": "SMS", "phone": "Telefonanruf", "post": "Brief",
        "advertising": "Werbung", "newsletter": "den Newsletter",
        "product_ad": "Produktwerbung", "review_request": "Bewertungsanfragen",
        "feedback_survey": "Zufriedenheitsumfragen", "birthday_greeting": "Geburtstagsgrüße",
        "winback": "Rückgewinnungsnachrichten",
        "order_confirmation": "Bestellbestätigung", "booking_confirmation": "Buchungsbestätigung",
        "appointment_reminder": "Terminerinnerung", "shipping_status": "Versandnachricht",
        "invoice": "Rechnung", "after_sales_info": "After-Sales-Information",
        "business_notice": "Geschäftsmitteilung", "doi_confirmation": "Bestätigungsanfrage",
        "consent_request": "Einwilligungsanfrage", "loyalty_statement": "Punktestandsmitteilung",
        "contract": "Vertragserfüllung", "no_advertising": "Information ohne Werbung",
        "doi_request": "Bestätigung der eigenen Anmeldung", "consent": "Einwilligung",
        "existing_customer": "Bestandskundenprivileg", "presumed_consent": "mutmaßliche Einwilligung",
        "business_relationship": "bestehende Geschäftsbeziehung",
        "legitimate_interest": "berechtigtes Interesse",
        "none": "nichts",
        "address:email": "E-Mail-Adresse", "address:sms": "Handynummer",
        "address:phone": "Telefonnummer", "address:post": "Postanschrift",
    },
}


def localise(value: Any, lang: str) -> str:
    if isinstance(value, StrEnum):
        return GLOSSARY[lang].get(value.value, value.value)
    if isinstance(value, str):
        return GLOSSARY[lang].get(value, value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, frozenset | set | tuple | list):
        return ", ".join(sorted(str(v) for v in value)) or GLOSSARY[lang]["none"]
    return str(value)


def sentence(code: str, params: Mapping[str, Any], lang: str) -> str:
    wording = WORDINGS[code]
    template = wording.de if lang == "de" else wording.en
    return template.format(**{key: localise(value, lang) for key, value in params.items()})


WORDINGS: dict[str, Wording] = {
    # --- allowing reasons ------------------------------------------------------------------
    "contract_performance": Wording(
        "allow", "transactional kind, no transactional opt-out, a purchase or booking on record",
        "This {kind} is needed to perform the customer's contract; it needs no marketing consent.",
        "Diese {kind} ist zur Erfüllung des Vertrags nötig; sie braucht keine Werbeeinwilligung.",
    ),
    "information_only": Wording(
        "allow", "service kind without advertising, existing customer, no objection to all messages",
        "This {kind} informs an existing customer without advertising; it needs no marketing consent.",
        "Diese {kind} informiert eine Bestandskundin oder einen Bestandskunden ohne Werbung; "
        "sie braucht keine Werbeeinwilligung.",
    ),
    "pending_signup": Wording(
        "allow", "plain doi_confirmation while a sign-up on the channel is unconfirmed and ≤ 7 days old",
        "The customer signed up by {channel} on {date} and has not confirmed yet; "
        "one plain confirmation request without advertising is allowed.",
        "Die Person hat sich am {date} per {channel} angemeldet und noch nicht bestätigt; "
        "eine schlichte Bestätigungsanfrage ohne Werbung ist erlaubt.",
    ),
    "valid_consent": Wording(
        "allow", "a valid, proven consent on the channel covering the message",
        "The customer consented to {purpose} by {channel} on {date}, and it is proven.",
        "Die Person hat am {date} in {purpose} per {channel} eingewilligt, und das ist belegt.",
    ),
    "existing_customer_privilege": Wording(
        "allow", "all conditions of the existing-customer privilege hold",
        "The customer bought {bought} and gave this {address} with the sale, was told "
        "they may object, and has not objected; {advertised} is similar.",
        "Die Person hat {bought} gekauft und dabei diese {address} angegeben, wurde auf ihr "
        "Widerspruchsrecht hingewiesen und hat nicht widersprochen; {advertised} ist ähnlich.",
    ),
    "presumed_consent": Wording(
        "allow", "business recipient who bought goods similar to those offered",
        "This business bought {bought} before; that shows a concrete interest in {advertised}.",
        "Dieses Unternehmen hat bereits {bought} gekauft; das zeigt ein konkretes Interesse an "
        "{advertised}.",
    ),
    "business_relationship": Wording(
        "allow", "phone call to an existing customer",
        "The person is an existing customer; a call within the business relationship is allowed.",
        "Die Person ist Kundin oder Kunde; ein Anruf im Rahmen der Geschäftsbeziehung ist erlaubt.",
    ),
    "listed_number": Wording(
        "allow", "phone number listed in the directory without a star",
        "The number is listed in the directory without a star, and the person has not refused calls.",
        "Die Nummer steht ohne Stern im Verzeichnis, und die Person hat Anrufen nicht widersprochen.",
    ),
    "personal_message": Wording(
        "allow", "message written by a person one by one (not mass advertising)",
        "A message a person writes one by one is not mass advertising; "
        "it is allowed as long as the customer has not refused it.",
        "Eine einzeln von Hand geschriebene Nachricht ist keine Massenwerbung; "
        "sie ist erlaubt, solange die Person nicht widersprochen hat.",
    ),
    "postal_advertising": Wording(
        "allow", "addressed letter, no objection, no do-not-advertise register",
        "Addressed advertising letters are allowed as long as the person has not refused them.",
        "Adressierte Werbebriefe sind erlaubt, solange die Person nicht widersprochen hat.",
    ),
    # --- messages that are not advertising -------------------------------------------------
    "transactional_opt_out": Wording(
        "deny", "the person turned off even order and booking messages",
        "The customer turned off even order and booking messages by {channel}; "
        "they must switch them on again first.",
        "Die Person hat auch Bestell- und Buchungsnachrichten per {channel} abgeschaltet; "
        "sie muss sie erst wieder einschalten.",
    ),
    "no_contract": Wording(
        "deny", "transactional kind but no purchase or booking at or before the send",
        "There is no purchase or booking on record that this {kind} could belong to.",
        "Es gibt keinen Kauf und keine Buchung, zu der diese {kind} gehören könnte.",
    ),
    "not_a_customer": Wording(
        "deny", "service kind to someone without a purchase or booking",
        "This {kind} may go only to existing customers, and this person has bought nothing yet.",
        "Diese {kind} darf nur an Kundinnen und Kunden gehen, und diese Person hat noch nichts gekauft.",
    ),
    "objection_to_all_messages": Wording(
        "deny", "objection with scope all on the channel (or all channels)",
        "The customer asked on {date} to receive no messages at all by {channel}.",
        "Die Person hat am {date} verlangt, gar keine Nachrichten mehr per {channel} zu bekommen.",
    ),
    "no_pending_signup": Wording(
        "deny",
        "doi_confirmation without an unconfirmed sign-up on the channel, at most 7 days old "
        "and not objected to since",
        "There is no recent sign-up by {channel} waiting for confirmation, so a confirmation request "
        "would be unsolicited.",
        "Es gibt keine aktuelle, unbestätigte Anmeldung per {channel}; eine Bestätigungsanfrage wäre "
        "unerwünscht.",
    ),
    "doi_with_advertising": Wording(
        "deny", "doi_confirmation that contains advertising",
        "A confirmation request must not advertise: before the confirmation there is no consent.",
        "Eine Bestätigungsanfrage darf nicht werben: vor der Bestätigung gibt es keine Einwilligung.",
    ),
    # --- blockers of advertising on every channel ------------------------------------------
    "objection": Wording(
        "deny", "objection on the channel or all channels, no valid consent given after it",
        "The customer objected to advertising by {channel} on {date}.",
        "Die Person hat am {date} der Werbung per {channel} widersprochen.",
    ),
    "sender_hidden": Wording(
        "deny", "sender not identified (for calls: no caller ID)",
        "The message does not say clearly who sends it.",
        "Die Nachricht nennt den Absender nicht klar.",
    ),
    "missing_opt_out_notice": Wording(
        "deny", "email or SMS advertising without a clear opt-out notice",
        "The message does not tell the customer that they may object at any time at no extra cost.",
        "Die Nachricht weist nicht darauf hin, dass die Person jederzeit kostenlos widersprechen kann.",
    ),
    # --- consent -----------------------------------------------------------------------------
    "no_consent": Wording(
        "deny", "no consent on the channel at or before the send",
        "The customer never consented to advertising by {channel}.",
        "Die Person hat nie in Werbung per {channel} eingewilligt.",
    ),
    "unconfirmed_consent": Wording(
        "deny", "online, booking, API or imported consent without double opt-in on its channel",
        "The customer never confirmed their consent by {channel} (double opt-in).",
        "Die Person hat ihre Einwilligung per {channel} nie bestätigt (Double-Opt-in).",
    ),
    "consent_without_evidence": Wording(
        "deny", "paper, recorded-call or staff consent with no record that proves it",
        "There is no record that proves the consent by {channel} (signed form, recording or log).",
        "Es gibt keinen Beleg für die Einwilligung per {channel} (unterschriebenes Formular, "
        "Aufzeichnung oder Protokoll).",
    ),
    "consent_withdrawn": Wording(
        "deny", "the consent was withdrawn at or before the send",
        "The customer withdrew their consent to advertising by {channel} on {date}.",
        "Die Person hat ihre Einwilligung in Werbung per {channel} am {date} widerrufen.",
    ),
    "consent_wrong_purpose": Wording(
        "deny", "the consent covers another purpose than this message",
        "The customer consented by {channel} only to {purpose}, which does not cover {wanted}.",
        "Die Person hat per {channel} nur in {purpose} eingewilligt; das deckt {wanted} nicht ab.",
    ),
    "consent_wrong_categories": Wording(
        "deny", "the consent is limited to categories that do not cover every advertised one",
        "The consent covers only {covered}, but the message advertises {advertised}.",
        "Die Einwilligung gilt nur für {covered}, die Nachricht bewirbt aber {advertised}.",
    ),
    "consent_pre_ticked": Wording(
        "deny", "consent given through a pre-ticked box",
        "The consent came from a pre-ticked box; that is no consent.",
        "Die Einwilligung kam aus einem vorangekreuzten Kästchen; das ist keine Einwilligung.",
    ),
    "consent_implied": Wording(
        "deny", "consent hidden in terms (opt-out style)",
        "The consent was hidden in terms the customer had to opt out of; that is no consent.",
        "Die Einwilligung war in Bedingungen versteckt, denen man widersprechen musste; "
        "das ist keine Einwilligung.",
    ),
    "consent_third_party": Wording(
        "deny", "consent given to someone else (list broker, partner)",
        "The consent was given to someone else, not to this business.",
        "Die Einwilligung wurde jemand anderem erteilt, nicht diesem Unternehmen.",
    ),
    "consent_record_inconsistent": Wording(
        "deny", "the consent record contradicts itself (confirmed or withdrawn before it was given)",
        "The consent record by {channel} contradicts itself (a date lies before the consent); "
        "check it before relying on it.",
        "Der Einwilligungsnachweis per {channel} widerspricht sich (ein Datum liegt vor der "
        "Einwilligung); bitte prüfen.",
    ),
    "consent_stale": Wording(
        "deny", "strict reading: consent older than 2 years and unused for 2 years",
        "The consent from {date} has not been used for over two years; under the strict reading "
        "it has lapsed.",
        "Die Einwilligung vom {date} wurde über zwei Jahre nicht genutzt; nach strenger Auffassung "
        "ist sie erloschen.",
    ),
    # --- existing-customer privilege -------------------------------------------------------
    "consent_request_needs_consent": Wording(
        "deny", "consent_request: the privilege never applies",
        "Asking for consent by {channel} is itself advertising and needs consent.",
        "Schon die Frage nach einer Einwilligung per {channel} ist Werbung und braucht eine "
        "Einwilligung.",
    ),
    "existing_customer_no_sale": Wording(
        "deny", "no purchase before the send with this channel's address collected",
        "The customer never gave their {address} when buying something.",
        "Die Person hat ihre {address} nie bei einem Kauf angegeben.",
    ),
    "existing_customer_no_notice_at_collection": Wording(
        "deny", "no clear objection notice when the address was collected",
        "When the {address} was collected, the customer was not told clearly that they "
        "may object.",
        "Bei der Erhebung der {address} wurde die Person nicht klar auf ihr "
        "Widerspruchsrecht hingewiesen.",
    ),
    "existing_customer_no_categories": Wording(
        "deny", "the message names no advertised category",
        "The message does not say which products it advertises, so it cannot rely on earlier "
        "purchases.",
        "Die Nachricht sagt nicht, welche Produkte sie bewirbt; sie kann sich daher nicht auf "
        "frühere Käufe stützen.",
    ),
    "existing_customer_whole_assortment": Wording(
        "deny", "the message advertises the whole assortment",
        "The message advertises the whole assortment, not goods similar to a purchase.",
        "Die Nachricht bewirbt das ganze Sortiment, nicht Waren ähnlich einem Kauf.",
    ),
    "existing_customer_not_similar": Wording(
        "deny", "an advertised category is not similar to a purchased one",
        "{advertised} is not similar to what the customer bought ({bought}).",
        "{advertised} ist nicht ähnlich zu dem, was die Person gekauft hat ({bought}).",
    ),
    "ecg_list": Wording(
        "deny", "AT: email address on the ECG list and no own consent",
        "The address is on the Austrian ECG list of people who refuse advertising email.",
        "Die Adresse steht auf der österreichischen ECG-Liste gegen Werbe-E-Mails.",
    ),
    "sms_privilege_strict": Wording(
        "deny", "DE strict reading: the privilege does not cover SMS",
        "Under the strict reading the existing-customer privilege does not cover SMS.",
        "Nach strenger Auffassung gilt das Bestandskundenprivileg nicht für SMS.",
    ),
    "review_request_strict": Wording(
        "deny", "strict reading: review requests cannot use the privilege",
        "Under the strict reading a review request cannot rely on the existing-customer privilege.",
        "Nach strenger Auffassung kann sich eine Bewertungsanfrage nicht auf das "
        "Bestandskundenprivileg stützen.",
    ),
    # --- phone and post --------------------------------------------------------------------
    "no_presumed_consent": Wording(
        "deny", "business recipient without an earlier purchase of similar goods",
        "Nothing this business bought before shows an interest in {advertised}.",
        "Nichts, was dieses Unternehmen bisher gekauft hat, zeigt ein Interesse an {advertised}.",
    ),
    "star_marked": Wording(
        "deny", "CH: number carries the directory star, no business relationship",
        "The number carries the star in the directory: no advertising calls.",
        "Die Nummer trägt im Verzeichnis den Stern: keine Werbeanrufe.",
    ),
    "not_listed": Wording(
        "deny", "CH: number not listed in a directory, no business relationship",
        "The number is not listed in a directory; that counts like the star: no advertising calls.",
        "Die Nummer steht in keinem Verzeichnis; das gilt wie der Stern: keine Werbeanrufe.",
    ),
    "robinson_list": Wording(
        "deny", "on a do-not-advertise register and no own consent",
        "The person is on a do-not-advertise list (Robinson list).",
        "Die Person steht auf einer Werbesperrliste (Robinsonliste).",
    ),
    # --- warnings ----------------------------------------------------------------------------
    "contested_sms_privilege": Wording(
        "warn", "DE: SMS allowed under the existing-customer privilege (prevailing view)",
        "Whether the existing-customer privilege covers SMS is contested in Germany; "
        "the strict reading denies it.",
        "Ob das Bestandskundenprivileg für SMS gilt, ist in Deutschland umstritten; "
        "die strenge Auffassung verneint es.",
    ),
    "contested_review_request": Wording(
        "warn", "review request allowed under the existing-customer privilege",
        "Whether a review request may rely on the existing-customer privilege is not settled "
        "by the courts.",
        "Ob sich eine Bewertungsanfrage auf das Bestandskundenprivileg stützen darf, ist "
        "gerichtlich nicht geklärt.",
    ),
    "stale_consent": Wording(
        "warn", "the consent relied on is older than 2 years and unused for 2 years",
        "The consent from {date} has not been used for over two years; some courts treat such "
        "consents as lapsed.",
        "Die Einwilligung vom {date} wurde über zwei Jahre nicht genutzt; manche Gerichte sehen "
        "sie als erloschen an.",
    ),
}
