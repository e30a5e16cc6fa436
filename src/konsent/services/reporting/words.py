"""The owner's words for the codes the reports count: channels, sources, bases, ways of objecting,
reasons a message was withheld — short enough for a chart's legend or a table's first column."""

from konsent.domain.wording import GLOSSARY

LANGS = ("de", "en")

_WORDS: dict[str, tuple[str, str]] = {  # code: (de, en)
    # channels
    "email": ("E-Mail", "Email"), "sms": ("SMS", "SMS"), "phone": ("Telefon", "Phone"), "post": ("Brief", "Letter"),
    "all": ("alle Kanäle", "all channels"),
    # where a consent came from
    "online_form": ("Online-Formular", "Online form"), "booking": ("Buchung", "Booking"),
    "manual_staff": ("Am Empfang / Telefon erfasst", "Recorded at the desk / phone"),
    "paper_form": ("Unterschriebenes Formular", "Signed paper form"),
    "recorded_call": ("Aufgezeichnetes Telefonat", "Recorded call"), "import": ("Import", "Import"),
    "api": ("Schnittstelle (API)", "Interface (API)"),
    # how an objection arrived
    "unsubscribe": ("Abmeldelink", "Unsubscribe link"), "unsubscribe_link": ("Abmeldelink", "Unsubscribe link"),
    "preference_centre": ("Einstellungsseite", "Preference page"), "sms_stop": ("SMS mit STOP", "SMS reply STOP"),
    "complaint": ("Beschwerde", "Complaint"), "staff": ("Durch Mitarbeiter erfasst", "Recorded by staff"),
    "suppression_list": ("Sperrliste (frühere Adresse)", "Suppression list (earlier address)"),
    "unknown": ("unbekannt", "unknown"),
    # why a message was withheld at the moment of sending
    "objection": ("Widerspruch", "Objection"),
    "objection_to_all_messages": ("Widerspruch gegen alle Nachrichten", "Objection to all messages"),
    "consent_withdrawn": ("Einwilligung widerrufen", "Consent withdrawn"),
    "no_consent": ("Keine Einwilligung", "No consent"),
    "unconfirmed_consent": ("Anmeldung nie bestätigt", "Sign-up never confirmed"),
    "consent_without_evidence": ("Einwilligung ohne Beleg", "Consent without evidence"),
    "transactional_opt_out": ("Service-Nachrichten abbestellt", "Service messages turned off"),
    "robinson_list": ("Robinsonliste", "Robinson list"), "ecg_list": ("ECG-Liste", "ECG list"),
    "star_marked": ("Sterneintrag im Telefonbuch", "Star in the directory"),
    "erased": ("Kunde gelöscht", "Customer erased"),
    "campaign_cancelled": ("Kampagne abgebrochen", "Campaign cancelled"),
    "no_address": ("Keine Adresse für den Kanal", "No address for the channel"),
    "bounced": ("Adresse unzustellbar", "Address bounced"), "other": ("Sonstiges", "Other"),
}


def word(code: str, lang: str) -> str:
    """A code in words; a legal basis in the decision engine's own words; otherwise the code itself."""
    if code in _WORDS:
        return _WORDS[code][0 if lang == "de" else 1]
    glossary = GLOSSARY["de" if lang == "de" else "en"]
    if code in glossary:
        text = glossary[code]
        return text[:1].upper() + text[1:]
    return code


def withheld_reason(decision: dict[str, object] | None, error: str | None) -> str:
    """Why a withheld message was stopped: the first reason of the decision that denied it, or what the
    worker found (the customer erased, the campaign cancelled, no address, a bounced address)."""
    decision = decision or {}
    if decision.get("decision") == "deny":
        reasons = decision.get("reasons")
        if isinstance(reasons, list) and reasons and isinstance(reasons[0], dict) and reasons[0].get("code"):
            return str(reasons[0]["code"])
        return "other"
    text = error or ""
    for needle, code in (("erased", "erased"), ("cancelled", "campaign_cancelled"), ("has no", "no_address"),
                         ("bounced", "bounced")):
        if needle in text:
            return code
    return "other"
