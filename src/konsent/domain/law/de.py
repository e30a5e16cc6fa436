"""Germany: UWG §7 (unreasonable harassment by advertising), on top of the GDPR.

Phone is §7 Abs. 2 Nr. 1, email and SMS are §7 Abs. 2 Nr. 2 with the existing-customer
privilege of §7 Abs. 3, letters fall under the general clause of §7 Abs. 1.
"""

from konsent.domain.facts import Jurisdiction, RecipientType
from konsent.domain.kinds import ELECTRONIC_MAIL, Channel
from konsent.domain.law.case import Case, Citations
from konsent.domain.law.gdpr import GDPR

JURISDICTION = Jurisdiction.DE
RULE_PACK = "DE-2026.11"

CITATIONS = Citations({
    **GDPR,
    "no_pending_signup": ("UWG §7 Abs. 2 Nr. 2", "OLG München 29 U 1682/12"),
    "doi_with_advertising": ("UWG §7 Abs. 2 Nr. 2", "LG Stendal 22 S 87/20"),
    "objection": ("UWG §7 Abs. 3 Nr. 3", "Art. 21 (3) GDPR"),
    "objection@post": ("UWG §7 Abs. 1 S. 2", "Art. 21 (3) GDPR"),
    "objection@phone": ("UWG §7 Abs. 1 S. 2", "Art. 21 (3) GDPR"),
    "sender_hidden": ("UWG §7 Abs. 2 Nr. 3 lit. a",),
    "missing_opt_out_notice": ("UWG §7 Abs. 2 Nr. 3 lit. c", "UWG §7 Abs. 3 Nr. 4"),
    "no_consent": ("UWG §7 Abs. 2 Nr. 2",),
    "no_consent@phone": ("UWG §7 Abs. 2 Nr. 1",),
    "valid_consent": ("UWG §7 Abs. 2 Nr. 2",),
    "valid_consent@phone": ("UWG §7 Abs. 2 Nr. 1", "UWG §7a"),
    "valid_consent@post": GDPR["valid_consent@post"],
    "consent_without_evidence@phone": ("UWG §7a", "BGH I ZR 164/09"),
    "unconfirmed_consent@phone": ("UWG §7a", "BGH I ZR 164/09"),
    "consent_request_needs_consent": ("UWG §7 Abs. 2 Nr. 2", "OLG München 29 U 1682/12"),
    "existing_customer_privilege": ("UWG §7 Abs. 3",),
    "existing_customer_no_sale": ("UWG §7 Abs. 3 Nr. 1", "LG München I 4 HK O 8135/17"),
    "existing_customer_not_similar": ("UWG §7 Abs. 3 Nr. 2", "KG 5 W 59/11"),
    "existing_customer_no_categories": ("UWG §7 Abs. 3 Nr. 2",),
    "existing_customer_whole_assortment": ("UWG §7 Abs. 3 Nr. 2", "LG Frankfurt 2-03 O 372/17"),
    "existing_customer_no_notice_at_collection": (
        "UWG §7 Abs. 3 Nr. 4", "LG Paderborn 2 O 325/23",
    ),
    "contested_sms_privilege": ("UWG §7 Abs. 3", "Art. 13 (2) Directive 2002/58/EC"),
    "sms_privilege_strict": ("UWG §7 Abs. 3",),
    "presumed_consent": ("UWG §7 Abs. 2 Nr. 1", "BGH I ZR 191/03"),
    "no_presumed_consent": ("UWG §7 Abs. 2 Nr. 1", "BGH I ZR 191/03", "LG München I 1 HK O 7394/10"),
    "robinson_list": ("UWG §7 Abs. 1 S. 2",),
})


def advertising(case: Case) -> None:
    # §7 Abs. 3 Nr. 3 UWG, Art. 21 (3) GDPR: an objection ends advertising at once, by any means.
    case.deny_if_objected()
    # §7 Abs. 2 Nr. 3 UWG: the sender is named and reachable for a stop request.
    case.deny_if_sender_hidden()

    if case.channel in ELECTRONIC_MAIL:
        case.deny_if_no_opt_out_notice()
        # §7 Abs. 2 Nr. 2 UWG: prior express consent, consumers and businesses alike — or all four
        # conditions of §7 Abs. 3. For SMS the privilege is the prevailing, not the only, reading.
        case.settle(case.consent, lambda: case.existing_customer(sms_contested=True))
    elif case.channel is Channel.PHONE:
        if case.recipient.type is RecipientType.CONSUMER:
            # §7 Abs. 2 Nr. 1 UWG: a consumer only with prior express consent; being a customer
            # is not consent (OLG Frankfurt 6 U 175/04).
            case.settle(case.consent)
        else:
            # ... a business at least with presumed consent shown by concrete facts.
            case.settle(case.consent, case.presumed_consent)
    else:
        # §7 Abs. 1 S. 2 UWG: a letter harasses only once the refusal is recognisable.
        case.postal_advertising()
