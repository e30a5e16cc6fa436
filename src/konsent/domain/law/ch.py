"""Switzerland: UWG Art. 3 Abs. 1 lit. o (mass advertising), lit. u (calls), and DSG Art. 30/31.

Swiss law asks whether advertising is *mass* advertising — sent automatically, however few the
recipients (SLK 172/20). A message a person writes one by one is not; a call is judged by the
directory star and the business relationship.
"""

from konsent.domain.facts import Jurisdiction
from konsent.domain.kinds import ELECTRONIC_MAIL, Channel
from konsent.domain.law.case import Case, Citations

JURISDICTION = Jurisdiction.CH
RULE_PACK = "CH-2026.11"

_CONSENT = ("DSG Art. 6 Abs. 6",)

CITATIONS = Citations({
    "contract_performance": ("DSG Art. 31 Abs. 2 lit. a",),
    "no_contract": ("DSG Art. 31 Abs. 2 lit. a",),
    "transactional_opt_out": ("DSG Art. 30 Abs. 2 lit. b",),
    "information_only": ("DSG Art. 31 Abs. 1",),
    "not_a_customer": ("DSG Art. 31 Abs. 1",),
    "objection_to_all_messages": ("DSG Art. 30 Abs. 2 lit. b",),
    "pending_signup": ("DSG Art. 6 Abs. 6",),
    "no_pending_signup": ("UWG Art. 3 Abs. 1 lit. o",),
    "doi_with_advertising": ("UWG Art. 3 Abs. 1 lit. o",),
    "objection": ("DSG Art. 30 Abs. 2 lit. b", "UWG Art. 3 Abs. 1 lit. o"),
    "objection@phone": ("DSG Art. 30 Abs. 2 lit. b", "UWG Art. 3 Abs. 1 lit. u"),
    "objection@post": ("DSG Art. 30 Abs. 2 lit. b",),
    "sender_hidden": ("UWG Art. 3 Abs. 1 lit. o",),
    "sender_hidden@phone": ("UWG Art. 3 Abs. 1 lit. v",),
    "sender_hidden@post": ("UWG Art. 3 Abs. 1 lit. b",),
    "missing_opt_out_notice": ("UWG Art. 3 Abs. 1 lit. o",),
    "no_consent": ("UWG Art. 3 Abs. 1 lit. o",),
    "no_consent@phone": ("UWG Art. 3 Abs. 1 lit. u",),
    "valid_consent": ("UWG Art. 3 Abs. 1 lit. o",),
    "valid_consent@phone": ("UWG Art. 3 Abs. 1 lit. u",),
    "valid_consent@post": _CONSENT,
    "consent_record_inconsistent": _CONSENT,
    "unconfirmed_consent": _CONSENT,
    "consent_without_evidence": _CONSENT,
    "consent_withdrawn": ("DSG Art. 30 Abs. 2 lit. b",),
    "consent_wrong_purpose": _CONSENT,
    "consent_wrong_categories": _CONSENT,
    "consent_pre_ticked": _CONSENT,
    "consent_implied": _CONSENT,
    "consent_third_party": ("UWG Art. 3 Abs. 1 lit. o",),
    "stale_consent": _CONSENT,
    "consent_stale": _CONSENT,
    "consent_request_needs_consent": ("UWG Art. 3 Abs. 1 lit. o",),
    "existing_customer_privilege": ("UWG Art. 3 Abs. 1 lit. o",),
    "existing_customer_no_sale": ("UWG Art. 3 Abs. 1 lit. o",),
    "existing_customer_not_similar": ("UWG Art. 3 Abs. 1 lit. o",),
    "existing_customer_no_categories": ("UWG Art. 3 Abs. 1 lit. o",),
    "existing_customer_whole_assortment": ("UWG Art. 3 Abs. 1 lit. o",),
    "existing_customer_no_notice_at_collection": ("UWG Art. 3 Abs. 1 lit. o",),
    "contested_review_request": ("UWG Art. 3 Abs. 1 lit. o",),
    "review_request_strict": ("UWG Art. 3 Abs. 1 lit. o",),
    "personal_message": ("UWG Art. 3 Abs. 1 lit. o", "SLK 172/20"),
    "business_relationship": ("UWG Art. 3 Abs. 1 lit. u",),
    "listed_number": ("UWG Art. 3 Abs. 1 lit. u",),
    "star_marked": ("UWG Art. 3 Abs. 1 lit. u",),
    "not_listed": ("UWG Art. 3 Abs. 1 lit. u",),
    "postal_advertising": ("DSG Art. 31 Abs. 1",),
    "robinson_list": ("DSG Art. 30 Abs. 2 lit. b",),
})


def advertising(case: Case) -> None:
    # DSG Art. 30 Abs. 2 lit. b: processing against an express objection violates personality.
    case.deny_if_objected()
    # lit. o (correct sender), lit. v (displayed, registered caller number).
    case.deny_if_sender_hidden()

    if case.channel in ELECTRONIC_MAIL:
        if not case.message.automated:
            # Not mass advertising: lit. o does not apply to a message written one by one.
            case.settle(case.consent, case.personal_message)
            return
        case.deny_if_no_opt_out_notice()
        # lit. o: prior consent, or the customer's own similar goods after a sale with notice.
        case.settle(case.consent, case.existing_customer)
    elif case.channel is Channel.PHONE:
        # lit. u: calls are allowed unless the number is starred or unlisted — except to
        # existing customers.
        case.settle(case.consent, case.business_relationship, case.listed_number)
    else:
        case.postal_advertising()
