"""Germany (UWG §7 on top of the GDPR): one row per case, each with its source."""

import pytest

from tests.domain.table import Row, consent, objection, purchase, recipient, scenario

SHOES = [["tennis-shoes", "tennis-socks"]]

ROWS = [
    Row(
        "de-email-privilege-all-four-conditions",
        "rules.md §5; UWG §7 Abs. 3 Nr. 1-4; seed 000",
        scenario("DE", "email", "product_ad", advertised_categories=["tennis-socks"], similar=SHOES,
                 recipient=recipient(purchases=[purchase("tennis-shoes")])),
        "allow", "existing_customer",
        requirements=("opt_out_notice", "unsubscribe_link", "sender_identity"),
    ),
    Row(
        "de-email-privilege-lost-after-objection",
        "rules.md §3; UWG §7 Abs. 3 Nr. 3; Art. 21 (3) GDPR",
        scenario("DE", "email", "product_ad", advertised_categories=["tennis-socks"], similar=SHOES,
                 recipient=recipient(purchases=[purchase("tennis-shoes")],
                                     objections=[objection("email")])),
        "deny", reasons=("objection",),
    ),
    Row(
        "de-sms-newsletter-with-doi-consent",
        "rules.md §4; UWG §7 Abs. 2 Nr. 2; BGH I ZR 164/09",
        scenario("DE", "sms", "newsletter", recipient=recipient(consents=[consent("sms")])),
        "allow", "consent", requirements=("opt_out_notice", "sender_identity"),
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_germany(row: Row) -> None:
    row.check()
