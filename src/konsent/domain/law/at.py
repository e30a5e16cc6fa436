"""Austria: TKG 2021 §174 (unsolicited messages) and the ECG list, on top of the GDPR.

Calls need prior consent from everyone (§174 Abs. 1); email and SMS need it too (§174 Abs. 3)
unless the existing-customer exception of §174 Abs. 4 holds, which also requires that the
recipient is not on the ECG list (§7 Abs. 2 ECG).
"""

from konsent.domain.facts import Jurisdiction
from konsent.domain.kinds import ELECTRONIC_MAIL, Channel
from konsent.domain.law.case import Case, Citations
from konsent.domain.law.gdpr import GDPR

JURISDICTION = Jurisdiction.AT
RULE_PACK = "AT-2026.11"

CITATIONS = Citations({
    **GDPR,
    "no_pending_signup": ("TKG 2021 §174 Abs. 3",),
    "doi_with_advertising": ("TKG 2021 §174 Abs. 3",),
    "objection": ("TKG 2021 §174 Abs. 4", "Art. 21 (3) GDPR"),
    "objection@phone": ("TKG 2021 §174 Abs. 1", "Art. 21 (3) GDPR"),
    "objection@post": ("Art. 21 (3) GDPR",),
    "sender_hidden": ("TKG 2021 §174",),
    "missing_opt_out_notice": ("TKG 2021 §174 Abs. 4",),
    "no_consent": ("TKG 2021 §174 Abs. 3",),
    "no_consent@phone": ("TKG 2021 §174 Abs. 1",),
    "valid_consent": ("TKG 2021 §174 Abs. 3",),
    "valid_consent@phone": ("TKG 2021 §174 Abs. 1",),
    "valid_consent@post": GDPR["valid_consent@post"],
    "consent_request_needs_consent": ("TKG 2021 §174 Abs. 3",),
    "existing_customer_privilege": ("TKG 2021 §174 Abs. 4",),
    "existing_customer_no_sale": ("TKG 2021 §174 Abs. 4",),
    "existing_customer_not_similar": ("TKG 2021 §174 Abs. 4",),
    "existing_customer_no_categories": ("TKG 2021 §174 Abs. 4",),
    "existing_customer_whole_assortment": ("TKG 2021 §174 Abs. 4",),
    "existing_customer_no_notice_at_collection": ("TKG 2021 §174 Abs. 4",),
    "ecg_list": ("TKG 2021 §174 Abs. 4", "ECG §7 Abs. 2"),
    "robinson_list": ("GewO §151", "Art. 21 (3) GDPR"),
})


def advertising(case: Case) -> None:
    # Art. 21 (3) GDPR, §174 Abs. 4 TKG 2021: no advertising after an objection.
    case.deny_if_objected()
    # §174 TKG 2021: no concealed sender, no spoofed caller ID.
    case.deny_if_sender_hidden()

    if case.channel in ELECTRONIC_MAIL:
        case.deny_if_no_opt_out_notice()
        # §174 Abs. 3: "elektronische Post – einschließlich SMS" needs prior consent, from
        # consumers and businesses, unless every condition of §174 Abs. 4 holds.
        case.settle(case.consent, lambda: case.existing_customer(ecg_list=True))
    elif case.channel is Channel.PHONE:
        # §174 Abs. 1: calls only with prior consent — no business or existing-customer exception.
        case.settle(case.consent)
    else:
        # Letters are outside §174: the GDPR's legitimate interest unless refused.
        case.postal_advertising()
