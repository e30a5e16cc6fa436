"""Germany (UWG §7 on top of the GDPR): one row per case, each with its source.

Every expectation is derived from shared/legal/rules.md (and the engine conventions written down
with it), not from the engine's output. The send moment is table.AT = 2026-11-20T10:00+01:00,
i.e. 09:00 UTC; rows that test time boundaries use UTC timestamps around that instant.
"""

from typing import Any

import pytest

from tests.domain.table import Row, consent, objection, purchase, recipient, scenario

SHOES = [["tennis-shoes", "tennis-socks"]]
# socks are similar to shoes and to sweatbands, but sweatbands are not similar to shoes
CHAINED = [["tennis-shoes", "tennis-socks"], ["tennis-socks", "sweatbands"]]

EMAIL_AD = ("opt_out_notice", "unsubscribe_link", "sender_identity")
SMS_AD = ("opt_out_notice", "sender_identity")
IDENTITY = ("sender_identity",)
NOTHING = ()

SEND_UTC = "2026-11-20T09:00:00Z"  # the same instant as table.AT
STRICT = "strict"


def shoe_buyer(*, collected: tuple[str, ...] = ("email",), **fields: Any) -> dict[str, Any]:
    """A consumer who bought tennis shoes on 2 May 2026, told of the right to object."""
    return recipient(purchases=[purchase("tennis-shoes", collected=collected)], **fields)


def proven_offline(channel: str, **fields: Any) -> dict[str, Any]:
    """A consent on paper (signed form), proven by its own record rather than by double opt-in."""
    fields.setdefault("source", "paper_form")
    return consent(channel, doi_confirmed_at=None, **fields)


# --- messages that are not advertising (rules.md §2) ------------------------------------------

TRANSACTIONAL = [
    Row(
        "de-email-order-confirmation-contract",
        "rules.md §2; Art. 6 (1) b GDPR; seed 001",
        scenario("DE", "email", "order_confirmation", recipient=shoe_buyer()),
        "allow", "contract", requirements=IDENTITY,
    ),
    Row(
        "de-sms-booking-confirmation-contract",
        "rules.md §2; Art. 6 (1) b GDPR; seed 003",
        scenario("DE", "sms", "booking_confirmation", recipient=shoe_buyer(collected=("sms",))),
        "allow", "contract", requirements=IDENTITY,
    ),
    Row(
        "de-phone-appointment-reminder-contract",
        "rules.md §2, §6; Art. 6 (1) b GDPR; seed 003",
        scenario("DE", "phone", "appointment_reminder", recipient=shoe_buyer(collected=("phone",))),
        "allow", "contract", requirements=NOTHING,
    ),
    Row(
        "de-post-shipping-status-contract",
        "rules.md §2, §6; Art. 6 (1) b GDPR; seed 001",
        scenario("DE", "post", "shipping_status", recipient=shoe_buyer(collected=("post",))),
        "allow", "contract", requirements=NOTHING,
    ),
    Row(
        "de-email-loyalty-statement-contract",
        "rules.md §2; message-kinds.md (loyalty_statement); Art. 6 (1) b GDPR; seed 004",
        scenario("DE", "email", "loyalty_statement", recipient=shoe_buyer()),
        "allow", "contract", requirements=IDENTITY,
    ),
    Row(
        "de-email-invoice-despite-objection-to-all-and-withdrawal",
        "rules.md §2 (the contract still needs performing); Art. 6 (1) b, Art. 21 (3) GDPR",
        scenario("DE", "email", "invoice", recipient=shoe_buyer(
            objections=[objection("email", scope="all")],
            consents=[consent("email", withdrawn_at="2026-08-01T00:00:00Z")],
        )),
        "allow", "contract", requirements=IDENTITY,
    ),
    Row(
        "de-sms-appointment-reminder-after-full-opt-out",
        "rules.md §2; seed 003; Art. 21 (1) GDPR",
        scenario("DE", "sms", "appointment_reminder",
                 recipient=shoe_buyer(transactional_opt_out=True)),
        "deny", reasons=("transactional_opt_out",),
    ),
    Row(
        "de-email-shipping-status-without-purchase",
        "rules.md §2; Art. 6 (1) b GDPR (no contract to perform)",
        scenario("DE", "email", "shipping_status", recipient=recipient()),
        "deny", reasons=("no_contract",),
    ),
    Row(
        "de-email-order-confirmation-purchase-dated-after-send",
        "rules.md §2; Art. 6 (1) b GDPR; facts dated after the send do not exist yet",
        scenario("DE", "email", "order_confirmation",
                 recipient=recipient(
                     purchases=[purchase("tennis-shoes", at="2026-11-21T08:00:00Z")])),
        "deny", reasons=("no_contract",),
    ),
    Row(
        "de-sms-invoice-opt-out-and-no-contract-both-listed",
        "rules.md §2; Art. 6 (1) b, Art. 21 (1) GDPR; a denial lists every reason",
        scenario("DE", "sms", "invoice", recipient=recipient(transactional_opt_out=True)),
        "deny", reasons=("transactional_opt_out", "no_contract"),
    ),
    Row(
        "de-email-order-confirmation-with-teaser-names-no-category",
        "rules.md §1, §5 cond. 2; KG 5 U 35/20; BGH VI ZR 134/15; UWG §7 Abs. 2 Nr. 2",
        scenario("DE", "email", "order_confirmation", contains_advertising=True,
                 recipient=shoe_buyer()),
        "deny", reasons=("no_consent", "existing_customer_no_categories"),
    ),
    Row(
        "de-email-order-confirmation-with-similar-teaser-privilege",
        "rules.md §1, §5, §6; UWG §7 Abs. 3; KG 5 U 35/20",
        scenario("DE", "email", "order_confirmation", contains_advertising=True,
                 advertised_categories=["tennis-socks"], similar=SHOES, recipient=shoe_buyer()),
        "allow", "existing_customer", requirements=EMAIL_AD,
    ),
]

SERVICE = [
    Row(
        "de-email-after-sales-info-no-advertising",
        "rules.md §2; Art. 6 (1) f GDPR; seed 001",
        scenario("DE", "email", "after_sales_info", recipient=shoe_buyer()),
        "allow", "no_advertising", requirements=IDENTITY,
    ),
    Row(
        "de-email-business-notice-opening-hours",
        "rules.md §2; Art. 6 (1) f GDPR; seed 003",
        scenario("DE", "email", "business_notice", recipient=shoe_buyer()),
        "allow", "no_advertising", requirements=IDENTITY,
    ),
    Row(
        "de-post-business-notice-moved-premises",
        "rules.md §2, §6; Art. 6 (1) f GDPR; seed 003",
        scenario("DE", "post", "business_notice", recipient=shoe_buyer(collected=("post",))),
        "allow", "no_advertising", requirements=NOTHING,
    ),
    Row(
        "de-email-after-sales-objection-to-all-messages",
        "rules.md §2; Art. 21 (1) GDPR",
        scenario("DE", "email", "after_sales_info",
                 recipient=shoe_buyer(objections=[objection("email", scope="all")])),
        "deny", reasons=("objection_to_all_messages",),
    ),
    Row(
        "de-sms-after-sales-objection-to-advertising-only",
        "rules.md §2 (service honours only objections with scope all); Art. 21 (2) GDPR",
        scenario("DE", "sms", "after_sales_info",
                 recipient=shoe_buyer(collected=("sms",), objections=[objection("all")])),
        "allow", "no_advertising", requirements=IDENTITY,
    ),
    Row(
        "de-email-after-sales-objection-to-all-on-sms-only",
        "rules.md §2 (objection on that channel or all channels); Art. 21 (1) GDPR",
        scenario("DE", "email", "after_sales_info",
                 recipient=shoe_buyer(objections=[objection("sms", scope="all")])),
        "allow", "no_advertising", requirements=IDENTITY,
    ),
    Row(
        "de-email-after-sales-objection-to-all-received-after-send",
        "rules.md §2; Art. 21 (1) GDPR; 09:30 UTC is after 10:00+01:00",
        scenario("DE", "email", "after_sales_info", recipient=shoe_buyer(
            objections=[objection("all", scope="all", at="2026-11-20T09:30:00Z")])),
        "allow", "no_advertising", requirements=IDENTITY,
    ),
    Row(
        "de-email-business-notice-not-a-customer",
        "rules.md §2; message-kinds.md (service: to existing customers); Art. 6 (1) f GDPR",
        scenario("DE", "email", "business_notice", recipient=recipient()),
        "deny", reasons=("not_a_customer",),
    ),
    Row(
        "de-sms-business-notice-every-service-failure-listed",
        "rules.md §2; Art. 6 (1) f, Art. 21 (1) GDPR; a denial lists every reason",
        scenario("DE", "sms", "business_notice", recipient=recipient(
            transactional_opt_out=True, objections=[objection("all", scope="all")])),
        "deny", reasons=("transactional_opt_out", "objection_to_all_messages", "not_a_customer"),
    ),
    Row(
        "de-post-business-notice-inviting-to-buy-is-advertising",
        "rules.md §1, §5 (post), §6; UWG §7 Abs. 1; Art. 6 (1) f GDPR, Recital 47",
        scenario("DE", "post", "business_notice", contains_advertising=True,
                 recipient=shoe_buyer(collected=("post",))),
        "allow", "legitimate_interest", requirements=IDENTITY,
    ),
]

DOUBLE_OPT_IN = [
    Row(
        "de-email-doi-confirmation-pending-signup",
        "rules.md §2; BGH I ZR 164/09; OLG Celle 13 U 15/14",
        scenario("DE", "email", "doi_confirmation", recipient=recipient(
            consents=[consent("email", given_at="2026-11-18T12:00:00Z", doi_confirmed_at=None)])),
        "allow", "doi_request", requirements=IDENTITY,
    ),
    Row(
        "de-email-doi-confirmation-signup-exactly-seven-days-old",
        "rules.md §2 (at most 7 days old); OLG Celle 13 U 15/14",
        scenario("DE", "email", "doi_confirmation", recipient=recipient(
            consents=[consent("email", given_at="2026-11-13T09:00:00Z", doi_confirmed_at=None)])),
        "allow", "doi_request", requirements=IDENTITY,
    ),
    Row(
        "de-email-doi-confirmation-signup-seven-days-and-a-second-old",
        "rules.md §2 (at most 7 days old); OLG München 29 U 1682/12",
        scenario("DE", "email", "doi_confirmation", recipient=recipient(
            consents=[consent("email", given_at="2026-11-13T08:59:59Z", doi_confirmed_at=None)])),
        "deny", reasons=("no_pending_signup",),
    ),
    Row(
        "de-email-doi-confirmation-signup-already-confirmed",
        "rules.md §2 (only while the sign-up awaits confirmation); OLG München 29 U 1682/12",
        scenario("DE", "email", "doi_confirmation", recipient=recipient(
            consents=[consent("email", given_at="2026-11-18T12:00:00Z")])),
        "deny", reasons=("no_pending_signup",),
    ),
    Row(
        "de-sms-doi-confirmation-confirmed-only-after-send",
        "rules.md §2; BGH I ZR 164/09; a confirmation after the send has not happened yet",
        scenario("DE", "sms", "doi_confirmation", recipient=recipient(consents=[
            consent("sms", given_at="2026-11-19T12:00:00Z",
                    doi_confirmed_at="2026-11-20T12:00:00Z")])),
        "allow", "doi_request", requirements=IDENTITY,
    ),
    Row(
        "de-email-doi-confirmation-signup-was-by-sms",
        "rules.md §2 (a sign-up on that channel); OLG München 29 U 1682/12",
        scenario("DE", "email", "doi_confirmation", recipient=recipient(
            consents=[consent("sms", given_at="2026-11-18T12:00:00Z", doi_confirmed_at=None)])),
        "deny", reasons=("no_pending_signup",),
    ),
    Row(
        "de-email-doi-confirmation-signup-withdrawn",
        "rules.md §2; Art. 7 (3) GDPR; OLG München 29 U 1682/12",
        scenario("DE", "email", "doi_confirmation", recipient=recipient(consents=[
            consent("email", given_at="2026-11-18T12:00:00Z", doi_confirmed_at=None,
                    withdrawn_at="2026-11-19T08:00:00Z")])),
        "deny", reasons=("no_pending_signup",),
    ),
    Row(
        "de-email-doi-confirmation-signup-dated-after-send",
        "rules.md §2; OLG München 29 U 1682/12; facts after the send do not exist yet",
        scenario("DE", "email", "doi_confirmation", recipient=recipient(
            consents=[consent("email", given_at="2026-11-20T09:30:00Z", doi_confirmed_at=None)])),
        "deny", reasons=("no_pending_signup",),
    ),
    Row(
        "de-sms-doi-confirmation-without-any-signup",
        "rules.md §2; OLG München 29 U 1682/12",
        scenario("DE", "sms", "doi_confirmation", recipient=recipient()),
        "deny", reasons=("no_pending_signup",),
    ),
    Row(
        "de-email-doi-confirmation-with-coupon",
        "rules.md §1, §2, §4, §5; LG Stendal 22 S 87/20; UWG §7 Abs. 2 Nr. 2",
        scenario("DE", "email", "doi_confirmation", contains_advertising=True,
                 recipient=recipient(consents=[
                     consent("email", given_at="2026-11-18T12:00:00Z", doi_confirmed_at=None)])),
        "deny", reasons=("doi_with_advertising", "unconfirmed_consent", "existing_customer_no_sale",
                         "existing_customer_no_categories"),
    ),
]

# --- advertising by email and SMS (rules.md §3-§5) --------------------------------------------

ELECTRONIC_CONSENT = [
    Row(
        "de-sms-newsletter-with-doi-consent",
        "rules.md §4; UWG §7 Abs. 2 Nr. 2; BGH I ZR 164/09",
        scenario("DE", "sms", "newsletter", recipient=recipient(consents=[consent("sms")])),
        "allow", "consent", requirements=SMS_AD,
    ),
    Row(
        "de-email-newsletter-with-doi-consent",
        "rules.md §4, §6; UWG §7 Abs. 2 Nr. 2; BGH I ZR 164/09",
        scenario("DE", "email", "newsletter", recipient=recipient(consents=[consent("email")])),
        "allow", "consent", requirements=EMAIL_AD,
    ),
    Row(
        "de-sms-birthday-greeting-booking-consent-confirmed",
        "rules.md §4; seed 003; UWG §7 Abs. 2 Nr. 2; BGH I ZR 164/09",
        scenario("DE", "sms", "birthday_greeting", recipient=recipient(consents=[
            consent("sms", given_at="2026-02-01T09:00:00Z", source="booking",
                    doi_confirmed_at="2026-02-01T09:05:00Z")])),
        "allow", "consent", requirements=SMS_AD,
    ),
    Row(
        "de-email-birthday-greeting-consent-for-exactly-that-kind",
        "rules.md §4 (purpose advertising or exactly the message's kind); Art. 4 Nr. 11 GDPR",
        scenario("DE", "email", "birthday_greeting", recipient=recipient(
            consents=[consent("email", purpose="birthday_greeting")])),
        "allow", "consent", requirements=EMAIL_AD,
    ),
    Row(
        "de-email-feedback-survey-consent-for-surveys",
        "rules.md §4; BGH VI ZR 225/17; Art. 4 Nr. 11 GDPR",
        scenario("DE", "email", "feedback_survey", recipient=recipient(
            consents=[consent("email", purpose="feedback_survey")])),
        "allow", "consent", requirements=EMAIL_AD,
    ),
    Row(
        "de-email-consent-request-to-someone-who-consented",
        "rules.md §4, §5; UWG §7 Abs. 2 Nr. 2",
        scenario("DE", "email", "consent_request",
                 recipient=recipient(consents=[consent("email")])),
        "allow", "consent", requirements=EMAIL_AD,
    ),
    Row(
        "de-email-product-ad-category-consent-covers-all-advertised",
        "rules.md §4 (categories covering every advertised category); Art. 4 Nr. 11 GDPR",
        scenario("DE", "email", "product_ad", advertised_categories=["tennis-rackets"],
                 recipient=recipient(consents=[
                     consent("email", categories=["tennis-rackets", "tennis-balls"])])),
        "allow", "consent", requirements=EMAIL_AD,
    ),
    Row(
        "de-email-newsletter-old-unused-consent-warns",
        "rules.md §4 (warn when older than 2 years and unused); BGH III ZR 196/17",
        scenario("DE", "email", "newsletter", recipient=recipient(
            consents=[consent("email", given_at="2024-01-10T12:00:00Z")])),
        "allow", "consent", warnings=("stale_consent",), requirements=EMAIL_AD,
    ),
    Row(
        "de-email-newsletter-old-consent-used-recently-no-warning",
        "rules.md §4; BGH III ZR 196/17",
        scenario("DE", "email", "newsletter", recipient=recipient(consents=[
            consent("email", given_at="2024-01-10T12:00:00Z",
                    last_used_at="2026-03-01T08:00:00Z")])),
        "allow", "consent", requirements=EMAIL_AD,
    ),
    Row(
        "de-email-newsletter-consent-exactly-730-days-old-not-stale",
        "rules.md §4 (older than 2 years = more than 730 days); BGH III ZR 196/17",
        scenario("DE", "email", "newsletter", recipient=recipient(consents=[
            consent("email", given_at="2024-11-20T09:00:00Z",
                    doi_confirmed_at="2024-11-20T09:03:00Z")])),
        "allow", "consent", requirements=EMAIL_AD,
    ),
    Row(
        "de-email-newsletter-old-unused-consent-strict-lapsed",
        "rules.md intro + §4 (strict reading); OLG Köln 6 U 69/12; AG Bonn 104 C 227/15",
        scenario("DE", "email", "newsletter", reading=STRICT, recipient=shoe_buyer(
            consents=[consent("email", given_at="2024-01-10T12:00:00Z")])),
        "deny", reasons=("consent_stale", "existing_customer_no_categories"),
    ),
    Row(
        "de-email-product-ad-contains-advertising-false-is-still-advertising",
        "rules.md §1, §5; decision-scenario.md (false: the kind's nature); UWG §7 Abs. 2 Nr. 2",
        scenario("DE", "email", "product_ad", contains_advertising=False,
                 advertised_categories=["tennis-socks"], recipient=recipient()),
        "deny", reasons=("no_consent", "existing_customer_no_sale"),
    ),
    Row(
        "de-email-newsletter-nothing-on-record",
        "rules.md §5; UWG §7 Abs. 2 Nr. 2; seed 002",
        scenario("DE", "email", "newsletter", recipient=recipient()),
        "deny",
        reasons=("no_consent", "existing_customer_no_sale", "existing_customer_no_categories"),
    ),
    Row(
        "de-email-review-request-consent-never-confirmed",
        "rules.md §4; seed 003; BGH I ZR 164/09; Art. 7 (1) GDPR",
        scenario("DE", "email", "review_request", recipient=recipient(consents=[
            consent("email", given_at="2026-02-01T09:00:00Z", doi_confirmed_at=None)])),
        "deny", reasons=("unconfirmed_consent", "existing_customer_no_sale",
                         "existing_customer_no_categories"),
    ),
    Row(
        "de-email-newsletter-confirmation-only-after-send",
        "rules.md §4 (given and proven at the send); BGH I ZR 164/09",
        scenario("DE", "email", "newsletter", recipient=shoe_buyer(consents=[
            consent("email", given_at="2026-11-01T12:00:00Z",
                    doi_confirmed_at="2026-11-21T12:00:00Z")])),
        "deny", reasons=("unconfirmed_consent", "existing_customer_no_categories"),
    ),
    Row(
        "de-email-newsletter-staff-consent-without-record",
        "rules.md §4 (manual_staff with evidence); Art. 7 (1) GDPR; BGH I ZR 164/09",
        scenario("DE", "email", "newsletter", recipient=shoe_buyer(
            consents=[proven_offline("email", source="manual_staff", evidence=False)])),
        "deny", reasons=("consent_without_evidence", "existing_customer_no_categories"),
    ),
    Row(
        "de-email-winback-consent-for-newsletter-only",
        "rules.md §4 (purpose); Art. 4 Nr. 11 GDPR; BGH I ZR 7/16",
        scenario("DE", "email", "winback", recipient=shoe_buyer(
            consents=[consent("email", purpose="newsletter")])),
        "deny", reasons=("consent_wrong_purpose", "existing_customer_no_categories"),
    ),
    Row(
        "de-email-product-ad-category-consent-does-not-cover",
        "rules.md §4 (categories); Art. 4 Nr. 11 GDPR; BGH I ZR 7/16",
        scenario("DE", "email", "product_ad", advertised_categories=["tennis-rackets"],
                 recipient=recipient(consents=[consent("email", categories=["tennis-shoes"])])),
        "deny", reasons=("consent_wrong_categories", "existing_customer_no_sale"),
    ),
    Row(
        "de-email-newsletter-category-consent-but-no-category-named",
        "rules.md §4; engine convention (a category-limited consent needs a named category)",
        scenario("DE", "email", "newsletter",
                 recipient=recipient(consents=[consent("email", categories=["tennis-shoes"])])),
        "deny", reasons=("consent_wrong_categories", "existing_customer_no_sale",
                         "existing_customer_no_categories"),
    ),
    Row(
        "de-sms-newsletter-email-consent-does-not-cover-sms",
        "rules.md §4 (on the message's channel); UWG §7 Abs. 2 Nr. 2",
        scenario("DE", "sms", "newsletter",
                 recipient=recipient(consents=[consent("email")])),
        "deny",
        reasons=("no_consent", "existing_customer_no_sale", "existing_customer_no_categories"),
    ),
    Row(
        "de-sms-product-ad-pre-ticked-and-implied-consents",
        "rules.md §4; CJEU C-673/17 (Planet49); BGH VIII ZR 348/06 (Payback)",
        scenario("DE", "sms", "product_ad", advertised_categories=["tennis-socks"], similar=SHOES,
                 recipient=shoe_buyer(collected=("email",), consents=[
                     consent("sms", method="pre_ticked"), consent("sms", method="implied")])),
        "deny", reasons=("consent_pre_ticked", "consent_implied", "existing_customer_no_sale"),
    ),
    Row(
        "de-email-consent-request-without-consent",
        "rules.md §5 cond. 2 (nor can consent_request); seed 002; OLG München 29 U 1682/12",
        scenario("DE", "email", "consent_request", advertised_categories=["tennis-socks"],
                 similar=SHOES, recipient=shoe_buyer()),
        "deny", reasons=("no_consent", "consent_request_needs_consent"),
    ),
]

PRIVILEGE = [
    Row(
        "de-email-privilege-all-four-conditions",
        "rules.md §5; UWG §7 Abs. 3 Nr. 1-4; seed 000",
        scenario("DE", "email", "product_ad", advertised_categories=["tennis-socks"], similar=SHOES,
                 recipient=recipient(purchases=[purchase("tennis-shoes")])),
        "allow", "existing_customer",
        requirements=("opt_out_notice", "unsubscribe_link", "sender_identity"),
    ),
    Row(
        "de-email-privilege-for-the-same-category",
        "rules.md §5 cond. 2 (a category is similar to itself); UWG §7 Abs. 3",
        scenario("DE", "email", "newsletter", advertised_categories=["tennis-shoes"],
                 recipient=shoe_buyer()),
        "allow", "existing_customer", requirements=EMAIL_AD,
    ),
    Row(
        "de-sms-privilege-prevailing-view-warns",
        "rules.md §5 (DE SMS); UWG §7 Abs. 3; Art. 13 (2) Directive 2002/58/EC",
        scenario("DE", "sms", "product_ad", advertised_categories=["tennis-socks"], similar=SHOES,
                 recipient=shoe_buyer(collected=("sms",))),
        "allow", "existing_customer", warnings=("contested_sms_privilege",), requirements=SMS_AD,
    ),
    Row(
        "de-sms-privilege-strict-reading-denies",
        "rules.md intro + §5 (DE SMS, strict reading); UWG §7 Abs. 3; research-memo A.3",
        scenario("DE", "sms", "product_ad", advertised_categories=["tennis-socks"], similar=SHOES,
                 reading=STRICT, recipient=shoe_buyer(collected=("sms",))),
        "deny", reasons=("no_consent", "sms_privilege_strict"),
    ),
    Row(
        "de-email-review-request-privilege-warns",
        "rules.md §5 (review requests under the privilege); BGH VI ZR 225/17",
        scenario("DE", "email", "review_request", advertised_categories=["tennis-shoes"],
                 recipient=shoe_buyer()),
        "allow", "existing_customer", warnings=("contested_review_request",),
        requirements=EMAIL_AD,
    ),
    Row(
        "de-email-review-request-privilege-strict-reading-denies",
        "rules.md intro + §5 (strict reading); BGH VI ZR 225/17",
        scenario("DE", "email", "review_request", advertised_categories=["tennis-shoes"],
                 reading=STRICT, recipient=shoe_buyer()),
        "deny", reasons=("no_consent", "review_request_strict"),
    ),
    Row(
        "de-sms-review-request-privilege-both-warnings",
        "rules.md §5; UWG §7 Abs. 3; BGH VI ZR 225/17; Art. 13 (2) Directive 2002/58/EC",
        scenario("DE", "sms", "review_request", advertised_categories=["tennis-shoes"],
                 recipient=shoe_buyer(collected=("sms",))),
        "allow", "existing_customer",
        warnings=("contested_sms_privilege", "contested_review_request"), requirements=SMS_AD,
    ),
    Row(
        "de-email-feedback-survey-customer-without-consent",
        "rules.md §1, §5 cond. 2; seed 004; BGH VI ZR 225/17",
        scenario("DE", "email", "feedback_survey", recipient=shoe_buyer()),
        "deny", reasons=("no_consent", "existing_customer_no_categories"),
    ),
    Row(
        "de-email-privilege-notice-only-in-privacy-policy",
        "rules.md §5 cond. 4; UWG §7 Abs. 3 Nr. 4; LG Paderborn 2 O 325/23",
        scenario("DE", "email", "product_ad", advertised_categories=["tennis-socks"], similar=SHOES,
                 recipient=recipient(purchases=[purchase("tennis-shoes", notice=False)])),
        "deny", reasons=("no_consent", "existing_customer_no_notice_at_collection"),
    ),
    Row(
        "de-email-privilege-no-opt-out-notice-in-message",
        "rules.md §3, §5 cond. 4; UWG §7 Abs. 2 Nr. 3 lit. c, Abs. 3 Nr. 4",
        scenario("DE", "email", "product_ad", advertised_categories=["tennis-socks"], similar=SHOES,
                 includes_opt_out_notice=False, recipient=shoe_buyer()),
        "deny", reasons=("missing_opt_out_notice",),
    ),
    Row(
        "de-email-racket-ad-without-any-notice",
        "rules.md §3, §5; seed 000; UWG §7 Abs. 3 Nr. 2, Nr. 4; KG 5 W 59/11",
        scenario("DE", "email", "product_ad", advertised_categories=["tennis-rackets"],
                 includes_opt_out_notice=False,
                 recipient=recipient(purchases=[purchase("tennis-shoes", notice=False)])),
        "deny", reasons=("missing_opt_out_notice", "no_consent",
                         "existing_customer_no_notice_at_collection",
                         "existing_customer_not_similar"),
    ),
    Row(
        "de-email-privilege-puzzle-buyer-gets-napkin-ad",
        "rules.md §5 cond. 2; UWG §7 Abs. 3 Nr. 2; KG 5 W 59/11",
        scenario("DE", "email", "newsletter", advertised_categories=["origami-napkins"],
                 recipient=recipient(purchases=[purchase("puzzle-games")])),
        "deny", reasons=("no_consent", "existing_customer_not_similar"),
    ),
    Row(
        "de-email-privilege-similarity-not-transitive",
        "rules.md §5 cond. 2; decision-scenario.md (not transitive across groups); KG 5 W 59/11",
        scenario("DE", "email", "product_ad", advertised_categories=["sweatbands"], similar=CHAINED,
                 recipient=shoe_buyer()),
        "deny", reasons=("no_consent", "existing_customer_not_similar"),
    ),
    Row(
        "de-email-privilege-one-of-two-categories-not-similar",
        "rules.md §5 cond. 2 (every advertised category); UWG §7 Abs. 3 Nr. 2",
        scenario("DE", "email", "product_ad", similar=SHOES, recipient=shoe_buyer(),
                 advertised_categories=["tennis-socks", "tennis-rackets"]),
        "deny", reasons=("no_consent", "existing_customer_not_similar"),
    ),
    Row(
        "de-email-winback-whole-assortment-voucher",
        "rules.md §5 cond. 2; UWG §7 Abs. 3 Nr. 2; LG Frankfurt 2-03 O 372/17",
        scenario("DE", "email", "winback", advertised_categories=["whole-assortment"],
                 recipient=recipient(purchases=[purchase("gaming-chairs")])),
        "deny", reasons=("no_consent", "existing_customer_whole_assortment"),
    ),
    Row(
        "de-email-privilege-aborted-checkout-is-no-sale",
        "rules.md §5 cond. 1 (an aborted checkout is no sale, so none is on record); "
        "LG München I 4 HK O 8135/17",
        scenario("DE", "email", "product_ad", advertised_categories=["tennis-socks"], similar=SHOES,
                 recipient=recipient()),
        "deny", reasons=("no_consent", "existing_customer_no_sale"),
    ),
    Row(
        "de-email-privilege-purchase-dated-after-send",
        "rules.md §5 cond. 1 (a purchase before the send); UWG §7 Abs. 3 Nr. 1",
        scenario("DE", "email", "product_ad", advertised_categories=["tennis-socks"], similar=SHOES,
                 recipient=recipient(
                     purchases=[purchase("tennis-shoes", at="2026-12-01T10:00:00Z")])),
        "deny", reasons=("no_consent", "existing_customer_no_sale"),
    ),
    Row(
        "de-sms-privilege-number-not-given-with-the-sale",
        "rules.md §5 cond. 1 (this channel's address); UWG §7 Abs. 3 Nr. 1",
        scenario("DE", "sms", "product_ad", advertised_categories=["tennis-socks"], similar=SHOES,
                 recipient=shoe_buyer(collected=("email",))),
        "deny", reasons=("no_consent", "existing_customer_no_sale"),
    ),
    Row(
        "de-email-business-recipient-still-needs-consent",
        "rules.md §5 (consumers and businesses alike); UWG §7 Abs. 2 Nr. 2; BGH I ZR 218/07",
        scenario("DE", "email", "product_ad", advertised_categories=["office-chairs"],
                 recipient=recipient(type="business")),
        "deny", reasons=("no_consent", "existing_customer_no_sale"),
    ),
]

OBJECTIONS_AND_BLOCKERS = [
    Row(
        "de-email-privilege-lost-after-objection",
        "rules.md §3; UWG §7 Abs. 3 Nr. 3; Art. 21 (3) GDPR",
        scenario("DE", "email", "product_ad", advertised_categories=["tennis-socks"], similar=SHOES,
                 recipient=recipient(purchases=[purchase("tennis-shoes")],
                                     objections=[objection("email")])),
        "deny", reasons=("objection",),
    ),
    Row(
        "de-email-privilege-objection-on-sms-only",
        "rules.md §3 (objection on that channel or all); UWG §7 Abs. 3 Nr. 3",
        scenario("DE", "email", "product_ad", advertised_categories=["tennis-socks"], similar=SHOES,
                 recipient=shoe_buyer(objections=[objection("sms")])),
        "allow", "existing_customer", requirements=EMAIL_AD,
    ),
    Row(
        "de-email-newsletter-consent-given-after-objection",
        "rules.md §3 (unless a valid consent was given after it); Art. 21 (3) GDPR",
        scenario("DE", "email", "newsletter", recipient=recipient(
            objections=[objection("email", at="2026-06-01T00:00:00Z")],
            consents=[consent("email", given_at="2026-07-01T12:00:00Z")])),
        "allow", "consent", requirements=EMAIL_AD,
    ),
    Row(
        "de-email-newsletter-consent-at-objection-moment-does-not-override",
        "rules.md §3 (a consent given after the objection, strictly); Art. 21 (3) GDPR",
        scenario("DE", "email", "newsletter", recipient=recipient(
            objections=[objection("email", at="2026-06-01T00:00:00Z")],
            consents=[consent("email", given_at="2026-06-01T00:00:00Z",
                              doi_confirmed_at="2026-06-01T00:03:00Z")])),
        "deny", reasons=("objection",),
    ),
    Row(
        "de-email-newsletter-unconfirmed-consent-after-objection-does-not-override",
        "rules.md §3, §4 (only a valid consent overrides); Art. 21 (3), Art. 7 (1) GDPR",
        scenario("DE", "email", "newsletter", recipient=recipient(
            objections=[objection("email", at="2026-06-01T00:00:00Z")],
            consents=[consent("email", given_at="2026-07-01T12:00:00Z", doi_confirmed_at=None)])),
        "deny", reasons=("objection", "unconfirmed_consent", "existing_customer_no_sale",
                         "existing_customer_no_categories"),
    ),
    Row(
        "de-email-newsletter-objection-at-the-send-moment",
        "rules.md §3 (effective at once); LG Paderborn 2 O 35/23; 09:00 UTC = 10:00+01:00",
        scenario("DE", "email", "newsletter", recipient=recipient(
            consents=[consent("email")], objections=[objection("all", at=SEND_UTC)])),
        "deny", reasons=("objection",),
    ),
    Row(
        "de-email-newsletter-objection-received-after-send",
        "rules.md §3; facts after the send do not exist yet; 09:30 UTC is after 10:00+01:00",
        scenario("DE", "email", "newsletter", recipient=recipient(
            consents=[consent("email")], objections=[objection("all", at="2026-11-20T09:30:00Z")])),
        "allow", "consent", requirements=EMAIL_AD,
    ),
    Row(
        "de-sms-newsletter-objection-to-all-messages-blocks-advertising",
        "rules.md §3; Art. 21 (2), (3) GDPR; UWG §7 Abs. 3 Nr. 3",
        scenario("DE", "sms", "newsletter", recipient=recipient(
            consents=[consent("sms")], objections=[objection("all", scope="all")])),
        "deny", reasons=("objection",),
    ),
    Row(
        "de-email-every-blocker-listed",
        "rules.md §3 (all that apply are listed); UWG §7 Abs. 2 Nr. 3 lit. a, c; Art. 21 (3) GDPR",
        scenario("DE", "email", "newsletter",
                 sender_identified=False, includes_opt_out_notice=False,
                 recipient=recipient(consents=[consent("email")], objections=[objection("email")])),
        "deny", reasons=("objection", "sender_hidden", "missing_opt_out_notice"),
    ),
    Row(
        "de-sms-newsletter-missing-opt-out-notice",
        "rules.md §3; UWG §7 Abs. 2 Nr. 3 lit. c",
        scenario("DE", "sms", "newsletter", includes_opt_out_notice=False,
                 recipient=recipient(consents=[consent("sms")])),
        "deny", reasons=("missing_opt_out_notice",),
    ),
    Row(
        "de-email-newsletter-sender-hidden",
        "rules.md §3; UWG §7 Abs. 2 Nr. 3 lit. a",
        scenario("DE", "email", "newsletter", sender_identified=False,
                 recipient=recipient(consents=[consent("email")])),
        "deny", reasons=("sender_hidden",),
    ),
]

# --- advertising by phone (rules.md §5, Phone) --------------------------------------------------

PHONE = [
    Row(
        "de-phone-consumer-consent-confirmed-by-code",
        "rules.md §5 (DE consumer); UWG §7 Abs. 2 Nr. 1; UWG §7a",
        scenario("DE", "phone", "product_ad", advertised_categories=["tennis-socks"],
                 recipient=recipient(consents=[consent("phone")])),
        "allow", "consent", requirements=IDENTITY,
    ),
    Row(
        "de-phone-consumer-recorded-call-with-recording",
        "rules.md §4 (recorded_call with evidence); UWG §7a; BGH I ZR 164/09",
        scenario("DE", "phone", "winback",
                 recipient=recipient(consents=[proven_offline("phone", source="recorded_call")])),
        "allow", "consent", requirements=IDENTITY,
    ),
    Row(
        "de-phone-consumer-no-opt-out-notice-needed-on-a-call",
        "rules.md §3 (opt-out notice blocks email and SMS only), §6; UWG §7 Abs. 2 Nr. 1",
        scenario("DE", "phone", "newsletter", includes_opt_out_notice=False,
                 recipient=recipient(consents=[consent("phone")])),
        "allow", "consent", requirements=IDENTITY,
    ),
    Row(
        "de-phone-consumer-consent-given-and-confirmed-at-the-send-moment",
        "rules.md §4 (given at or before the send); UWG §7 Abs. 2 Nr. 1",
        scenario("DE", "phone", "product_ad", advertised_categories=["tennis-socks"],
                 recipient=recipient(consents=[
                     consent("phone", given_at=SEND_UTC, doi_confirmed_at=SEND_UTC)])),
        "allow", "consent", requirements=IDENTITY,
    ),
    Row(
        "de-phone-consumer-withdrawal-after-send",
        "rules.md §4 (not withdrawn at or before the send); Art. 7 (3) GDPR",
        scenario("DE", "phone", "product_ad", advertised_categories=["tennis-socks"],
                 recipient=recipient(consents=[
                     consent("phone", withdrawn_at="2026-11-20T09:00:01Z")])),
        "allow", "consent", requirements=IDENTITY,
    ),
    Row(
        "de-phone-consumer-one-valid-among-invalid-consents",
        "rules.md §4; UWG §7 Abs. 2 Nr. 1; CJEU C-673/17 (Planet49)",
        scenario("DE", "phone", "product_ad", advertised_categories=["tennis-socks"],
                 recipient=recipient(consents=[consent("phone", method="pre_ticked"),
                                               consent("phone")])),
        "allow", "consent", requirements=IDENTITY,
    ),
    Row(
        "de-phone-consumer-customer-without-consent",
        "rules.md §5 (a customer has not consented); UWG §7 Abs. 2 Nr. 1; OLG Frankfurt 6 U 175/04",
        scenario("DE", "phone", "product_ad", advertised_categories=["tennis-socks"], similar=SHOES,
                 recipient=shoe_buyer(collected=("phone",))),
        "deny", reasons=("no_consent",),
    ),
    Row(
        "de-phone-consumer-email-doi-does-not-prove-phone-consent",
        "rules.md §5 (an email DOI does not prove phone consent); BGH I ZR 164/09",
        scenario("DE", "phone", "newsletter", recipient=recipient(consents=[consent("email")])),
        "deny", reasons=("no_consent",),
    ),
    Row(
        "de-phone-consumer-online-consent-without-code",
        "rules.md §4 (unconfirmed); UWG §7a; BGH I ZR 164/09",
        scenario("DE", "phone", "product_ad", advertised_categories=["tennis-socks"],
                 recipient=recipient(consents=[consent("phone", doi_confirmed_at=None)])),
        "deny", reasons=("unconfirmed_consent",),
    ),
    Row(
        "de-phone-consumer-imported-consent-without-code",
        "rules.md §4 (imported consent without its own channel's confirmation); UWG §7a",
        scenario("DE", "phone", "winback", recipient=recipient(
            consents=[consent("phone", source="import", doi_confirmed_at=None)])),
        "deny", reasons=("unconfirmed_consent",),
    ),
    Row(
        "de-phone-consumer-recorded-call-recording-lost",
        "rules.md §4 (with evidence); UWG §7a; BGH I ZR 164/09",
        scenario("DE", "phone", "product_ad", advertised_categories=["tennis-socks"],
                 recipient=recipient(consents=[
                     proven_offline("phone", source="recorded_call", evidence=False)])),
        "deny", reasons=("consent_without_evidence",),
    ),
    Row(
        "de-phone-consumer-pre-ticked-consent",
        "rules.md §4; CJEU C-673/17 (Planet49); BGH I ZR 7/16",
        scenario("DE", "phone", "newsletter",
                 recipient=recipient(consents=[consent("phone", method="pre_ticked")])),
        "deny", reasons=("consent_pre_ticked",),
    ),
    Row(
        "de-phone-consumer-consent-hidden-in-terms",
        "rules.md §4; BGH VIII ZR 348/06 (Payback)",
        scenario("DE", "phone", "newsletter",
                 recipient=recipient(consents=[consent("phone", method="implied")])),
        "deny", reasons=("consent_implied",),
    ),
    Row(
        "de-phone-consumer-consent-given-to-list-broker",
        "rules.md §4 (given to this sender); BGH I ZR 7/16; OLG Frankfurt 6 U 30/15",
        scenario("DE", "phone", "product_ad", advertised_categories=["tennis-socks"],
                 recipient=recipient(consents=[consent("phone", third_party=True)])),
        "deny", reasons=("consent_third_party",),
    ),
    Row(
        "de-phone-consumer-confirmed-before-it-was-given",
        "engine convention (consent_record_inconsistent); rules.md §4 (proven); Art. 7 (1) GDPR",
        scenario("DE", "phone", "newsletter", recipient=recipient(consents=[
            consent("phone", given_at="2026-03-01T12:00:00Z",
                    doi_confirmed_at="2026-02-28T12:00:00Z")])),
        "deny", reasons=("consent_record_inconsistent",),
    ),
    Row(
        "de-phone-consumer-withdrawn-at-the-send-moment",
        "rules.md §4 (not withdrawn at or before the send); Art. 7 (3) GDPR",
        scenario("DE", "phone", "product_ad", advertised_categories=["tennis-socks"],
                 recipient=recipient(consents=[consent("phone", withdrawn_at=SEND_UTC)])),
        "deny", reasons=("consent_withdrawn",),
    ),
    Row(
        "de-phone-consumer-consent-given-after-send",
        "rules.md §4 (given at or before the send); UWG §7 Abs. 2 Nr. 1 (prior consent)",
        scenario("DE", "phone", "newsletter", recipient=recipient(
            consents=[consent("phone", given_at="2026-11-21T12:00:00Z")])),
        "deny", reasons=("no_consent",),
    ),
    Row(
        "de-phone-consumer-every-consent-failure-listed",
        "rules.md §4; Art. 7 (3) GDPR; CJEU C-673/17; BGH I ZR 7/16",
        scenario("DE", "phone", "product_ad", advertised_categories=["tennis-socks"],
                 recipient=recipient(consents=[
                     consent("phone", method="pre_ticked"),
                     consent("phone", withdrawn_at="2026-10-01T00:00:00Z"),
                     consent("phone", third_party=True),
                 ])),
        "deny", reasons=("consent_pre_ticked", "consent_withdrawn", "consent_third_party"),
    ),
    Row(
        "de-phone-consumer-old-unused-consent-strict-lapsed",
        "rules.md intro + §4 (strict reading); OLG Köln 6 U 69/12; AG Bonn 104 C 227/15",
        scenario("DE", "phone", "newsletter", reading=STRICT, recipient=recipient(
            consents=[consent("phone", given_at="2024-01-10T12:00:00Z",
                              last_used_at="2024-06-01T12:00:00Z")])),
        "deny", reasons=("consent_stale",),
    ),
    Row(
        "de-phone-consumer-caller-id-hidden",
        "rules.md §3; UWG §7 Abs. 2 Nr. 3 lit. a",
        scenario("DE", "phone", "product_ad", advertised_categories=["tennis-socks"],
                 sender_identified=False, recipient=recipient(consents=[consent("phone")])),
        "deny", reasons=("sender_hidden",),
    ),
    Row(
        "de-phone-consumer-objection-after-consent",
        "rules.md §3; UWG §7 Abs. 1 S. 2; Art. 21 (3) GDPR",
        scenario("DE", "phone", "product_ad", advertised_categories=["tennis-socks"],
                 recipient=recipient(consents=[consent("phone")], objections=[objection("phone")])),
        "deny", reasons=("objection",),
    ),
    Row(
        "de-phone-business-presumed-consent-similar-purchase",
        "rules.md §5 (DE business); UWG §7 Abs. 2 Nr. 1; BGH I ZR 191/03",
        scenario("DE", "phone", "product_ad", advertised_categories=["tennis-socks"], similar=SHOES,
                 recipient=shoe_buyer(collected=("phone",), type="business")),
        "allow", "presumed_consent", requirements=IDENTITY,
    ),
    Row(
        "de-phone-business-with-consent",
        "rules.md §5 (DE business: valid consent); UWG §7 Abs. 2 Nr. 1",
        scenario("DE", "phone", "newsletter",
                 recipient=recipient(type="business", consents=[consent("phone")])),
        "allow", "consent", requirements=IDENTITY,
    ),
    Row(
        "de-phone-business-purchase-not-similar",
        "rules.md §5 (DE business); UWG §7 Abs. 2 Nr. 1; BGH I ZR 191/03",
        scenario("DE", "phone", "product_ad", advertised_categories=["sweatbands"], similar=SHOES,
                 recipient=shoe_buyer(collected=("phone",), type="business")),
        "deny", reasons=("no_consent", "no_presumed_consent"),
    ),
    Row(
        "de-phone-business-directory-entry-only",
        "rules.md §5 (a directory entry is not enough); LG München I 1 HK O 7394/10",
        scenario("DE", "phone", "product_ad", advertised_categories=["tennis-socks"],
                 recipient=recipient(type="business")),
        "deny", reasons=("no_consent", "no_presumed_consent"),
    ),
    Row(
        "de-phone-business-whole-assortment-offer",
        "rules.md §5 (goods similar to those offered); BGH I ZR 191/03; LG Frankfurt 2-03 O 372/17",
        scenario("DE", "phone", "winback", advertised_categories=["whole-assortment"],
                 recipient=shoe_buyer(collected=("phone",), type="business")),
        "deny", reasons=("no_consent", "no_presumed_consent"),
    ),
    Row(
        "de-phone-business-purchase-dated-after-send",
        "rules.md §5 (DE business); BGH I ZR 191/03 (circumstances before the call)",
        scenario("DE", "phone", "product_ad", advertised_categories=["tennis-socks"], similar=SHOES,
                 recipient=recipient(type="business", purchases=[
                     purchase("tennis-shoes", at="2026-12-01T10:00:00Z", collected=("phone",))])),
        "deny", reasons=("no_consent", "no_presumed_consent"),
    ),
]

# --- advertising by post (rules.md §5, Post) ---------------------------------------------------

POST = [
    Row(
        "de-post-product-ad-legitimate-interest",
        "rules.md §5 (post), §6; UWG §7 Abs. 1; Art. 6 (1) f GDPR, Recital 47",
        scenario("DE", "post", "product_ad", advertised_categories=["tennis-rackets"],
                 recipient=recipient()),
        "allow", "legitimate_interest", requirements=IDENTITY,
    ),
    Row(
        "de-post-no-opt-out-notice-needed-in-a-letter",
        "rules.md §3 (opt-out notice blocks email and SMS only); UWG §7 Abs. 1",
        scenario("DE", "post", "newsletter", includes_opt_out_notice=False, recipient=recipient()),
        "allow", "legitimate_interest", requirements=IDENTITY,
    ),
    Row(
        "de-post-email-consent-withdrawn-letters-continue",
        "rules.md §5 (a withdrawal of email consent alone does not stop letters); BGH I ZR 167/09",
        scenario("DE", "post", "birthday_greeting", recipient=shoe_buyer(
            consents=[consent("email", withdrawn_at="2026-09-01T00:00:00Z")])),
        "allow", "legitimate_interest", requirements=IDENTITY,
    ),
    Row(
        "de-post-objection",
        "rules.md §3, §5 (post); UWG §7 Abs. 1 S. 2; OLG Frankfurt 6 U 54/19",
        scenario("DE", "post", "product_ad", advertised_categories=["tennis-rackets"],
                 recipient=recipient(objections=[objection("post")])),
        "deny", reasons=("objection",),
    ),
    Row(
        "de-post-robinson-list",
        "rules.md §5 (post: Robinson list); UWG §7 Abs. 1 S. 2",
        scenario("DE", "post", "newsletter", recipient=recipient(registers={"robinson": True})),
        "deny", reasons=("robinson_list",),
    ),
    Row(
        "de-post-robinson-list-overridden-by-own-consent",
        "rules.md §5 (an own consent overrides the list); Art. 6 (1) a GDPR",
        scenario("DE", "post", "newsletter", recipient=recipient(
            registers={"robinson": True}, consents=[proven_offline("post")])),
        "allow", "consent", requirements=IDENTITY,
    ),
    Row(
        "de-post-robinson-list-invalid-consent-not-listed",
        "rules.md §5 (post); engine convention (consent failures are not listed for post); "
        "CJEU C-673/17",
        scenario("DE", "post", "product_ad", advertised_categories=["tennis-rackets"],
                 recipient=recipient(registers={"robinson": True},
                                     consents=[proven_offline("post", method="pre_ticked")])),
        "deny", reasons=("robinson_list",),
    ),
    Row(
        "de-post-objection-and-robinson-list",
        "rules.md §3, §5 (post); UWG §7 Abs. 1 S. 2; Art. 21 (3) GDPR",
        scenario("DE", "post", "winback", recipient=recipient(
            registers={"robinson": True}, objections=[objection("all")])),
        "deny", reasons=("objection", "robinson_list"),
    ),
    Row(
        "de-post-consent-given-after-objection",
        "rules.md §3 (unless a valid consent was given after it), §5; Art. 6 (1) a GDPR",
        scenario("DE", "post", "newsletter", recipient=recipient(
            objections=[objection("all", at="2026-06-01T00:00:00Z")],
            consents=[proven_offline("post", given_at="2026-07-01T12:00:00Z")])),
        "allow", "consent", requirements=IDENTITY,
    ),
    Row(
        "de-post-sender-not-identified",
        "rules.md §3 (on every channel); UWG §7 Abs. 2 Nr. 3 lit. a",
        scenario("DE", "post", "product_ad", advertised_categories=["tennis-rackets"],
                 sender_identified=False, recipient=recipient()),
        "deny", reasons=("sender_hidden",),
    ),
]

ROWS = [
    *TRANSACTIONAL, *SERVICE, *DOUBLE_OPT_IN, *ELECTRONIC_CONSENT, *PRIVILEGE,
    *OBJECTIONS_AND_BLOCKERS, *PHONE, *POST,
    Row(
        "de-email-privilege-purchase-at-the-send-moment",
        "rules.md §5 cond. 1 (a purchase before the send); UWG §7 Abs. 3 Nr. 1",
        scenario("DE", "email", "product_ad", advertised_categories=["tennis-socks"], similar=SHOES,
                 recipient=recipient(purchases=[purchase("tennis-shoes", at=SEND_UTC)])),
        "deny", reasons=("no_consent", "existing_customer_no_sale"),
    ),
    Row(
        "de-phone-business-purchase-at-the-call-moment",
        "rules.md §5 (DE business); BGH I ZR 191/03 (circumstances before the call)",
        scenario("DE", "phone", "product_ad", advertised_categories=["tennis-socks"], similar=SHOES,
                 recipient=recipient(type="business", purchases=[
                     purchase("tennis-shoes", at=SEND_UTC, collected=("phone",))])),
        "deny", reasons=("no_consent", "no_presumed_consent"),
    ),
    # When the privilege cannot apply at all, its other conditions are not listed: they would
    # send the owner after a sale or a category that could never help.
    Row(
        "de-email-consent-request-nothing-on-record",
        "rules.md §5 cond. 2; seed 002; OLG München 29 U 1682/12",
        scenario("DE", "email", "consent_request", recipient=recipient()),
        "deny", reasons=("no_consent", "consent_request_needs_consent"),
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_germany(row: Row) -> None:
    row.check()
