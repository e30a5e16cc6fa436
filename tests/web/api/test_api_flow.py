"""The issue's acceptance, end to end over HTTP: a vendor's platform creates an organisation, its
booking form records a consent, the confirmation mail arrives at a real SMTP server, the person
confirms on the public page, `decide` allows the newsletter on consent, and the dossier proves it."""

import re
import uuid

from pydantic import SecretStr

from konsent.config import SecuritySettings, SmtpSettings
from tests.transports.smtp_server import smtp_server, text_of
from tests.web.api.builders import API, client, with_settings

PLATFORM = "platform-token-for-the-flow-test-0123456789"
LINK = re.compile(r"http://127\.0\.0\.1:8000(/c/\S+)")


def test_a_booking_form_consent_confirmed_by_mail_allows_the_newsletter_and_is_proven(app, clock):
    with smtp_server() as inbox:
        smtp = SmtpSettings(host="127.0.0.1", port=inbox.port, security="none", sender="Salon <no-reply@salon.example>")
        platform = SecuritySettings(platform_token=SecretStr(PLATFORM))
        with client(with_settings(app, smtp=smtp, security=platform)) as web:
            slug = f"salon-{uuid.uuid4().hex[:8]}"
            created = web.post(f"{API}/organisations", headers={"Authorization": f"Bearer {PLATFORM}"}, json={
                "slug": slug, "name": "Salon Sonnenschein", "jurisdiction": "DE", "sender_name": "Salon Sonnenschein",
                "sender_address": "Hauptstraße 1, 10115 Berlin", "similar_categories": [["haircut", "hair-care"]]})
            assert created.status_code == 201, created.text
            auth = {"Authorization": f"Bearer {created.json()['api_key']['key']}"}

            anna = web.post(f"{API}/customers", headers=auth, json={
                "email": "anna.berg@example.com", "first_name": "Anna", "external_id": "K-17"}).json()
            text = web.post(f"{API}/consent-texts", headers=auth, json={
                "key": "booking-newsletter", "locale": "de", "title": "Newsletter",
                "body": "Ja, schicken Sie mir den Newsletter des Salons per E-Mail."}).json()
            booked = web.post(f"{API}/customers/{anna['id']}/consents", headers={**auth, "Idempotency-Key": "b-1"},
                              json={"channel": "email", "source": "booking", "text_version_id": text["id"],
                                    "evidence": {"ip": "192.0.2.7", "user_agent": "Firefox/140",
                                                 "page_url": "https://salon.example/booking"}})
            assert booked.status_code == 201, booked.text
            assert booked.json()["double_opt_in"]["status"] == "sent"
            ask = {"customer_id": anna["id"], "channel": "email", "kind": "newsletter"}
            assert web.post(f"{API}/decide", headers=auth, json=ask).json()["allowed"] is False

            [mail] = inbox.messages()
            assert mail["To"] == "anna.berg@example.com"
            path = LINK.search(text_of(mail, "plain")).group(1)
            clock.advance(minutes=5)
            page = web.get(path)  # a mail scanner opening the link confirms nothing
            assert page.status_code == 200
            assert 'method="post"' in page.text
            assert web.post(f"{API}/decide", headers=auth, json=ask).json()["allowed"] is False
            confirmed = web.post(path)
            assert confirmed.status_code == 200

            decision = web.post(f"{API}/decide", headers=auth, json=ask).json()
            assert (decision["allowed"], decision["basis"]) == (True, "consent")
            permissions = web.get(f"{API}/customers/{anna['id']}/permissions", headers=auth).json()["permissions"]
            status = {(p["channel"], p["purpose"]): p["status"] for p in permissions}
            assert status[("email", "newsletter")] == "allowed"

            dossier = web.get(f"{API}/customers/{anna['id']}/dossier", headers=auth)
            assert dossier.status_code == 200, dossier.text
            proof = dossier.json()
            assert [e["type"] for e in proof["events"]] == ["consent.given", "doi.requested", "doi.confirmed"]
            assert proof["verification"]["ok"] is True
            assert [t["id"] for t in proof["consent_texts"]] == [text["id"]]
            assert len(proof["doi_messages"]) == 1
