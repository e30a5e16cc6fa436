"""`POST /hooks/sms/<slug>`: the SMS provider reports a reply; STOP opts the number out."""

import base64
import dataclasses
import hashlib
import hmac
import json
from urllib.parse import urlencode

from konsent.config import SmsSettings
from konsent.services import consents, facts
from konsent.services.consents import ConsentDeclaration
from tests.web.public.conftest import client_for
from tests.web.public.people import ANNA_PHONE, add_anna, footprint, slug_of

BIRTHDAY_SMS = facts.Asked(kind="birthday_greeting", channel="sms")
SECRET = "shared-secret"
TWILIO = {"provider": "twilio", "account": "AC" + "0" * 32, "token": "twilio-auth-token", "sender": "Salon"}


def with_sms(app, **settings):
    return dataclasses.replace(app, settings=app.settings.model_copy(update={"sms": SmsSettings(**settings)}))


def anna_on_sms(app, org):
    anna = add_anna(app, org)
    consents.give(app, org, anna.id, ConsentDeclaration(channel="sms", source="paper_form",
                                                        evidence={"document_hash": "ab" * 32}), actor="staff:mia")
    assert facts.decide_for(app, org, anna.id, BIRTHDAY_SMS)[1].allowed
    return anna


def signed(body: bytes) -> dict[str, str]:
    return {"X-Konsent-Signature": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
            "Content-Type": "application/json"}


def test_a_signed_stop_opts_the_number_out(app, org):
    gateway = with_sms(app, provider="webhook", url="https://gateway.example/sms", signing_secret=SECRET)
    anna = anna_on_sms(app, org)
    body = json.dumps({"from": ANNA_PHONE, "text": "Stopp!", "id": "gw-1"}).encode()
    with client_for(gateway) as provider:
        response = provider.post(f"/hooks/sms/{slug_of(app, org)}", content=body, headers=signed(body))
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert not facts.decide_for(app, org, anna.id, BIRTHDAY_SMS)[1].allowed


def test_a_bad_signature_is_403_and_changes_nothing(app, org):
    gateway = with_sms(app, provider="webhook", url="https://gateway.example/sms", signing_secret=SECRET)
    anna = anna_on_sms(app, org)
    body = json.dumps({"from": ANNA_PHONE, "text": "STOP"}).encode()
    before = footprint(app, org)
    with client_for(gateway) as forger:
        response = forger.post(f"/hooks/sms/{slug_of(app, org)}", content=body,
                               headers={**signed(b"another body"), "Content-Type": "application/json"})
        unconfigured = client_for(app)
        with unconfigured:
            refused = unconfigured.post(f"/hooks/sms/{slug_of(app, org)}", content=body, headers=signed(body))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert refused.status_code == 403  # no provider configured: no webhook can prove itself
    assert footprint(app, org) == before
    assert facts.decide_for(app, org, anna.id, BIRTHDAY_SMS)[1].allowed


def test_twilio_signs_the_public_url_and_gets_empty_twiml(app, org):
    twilio = with_sms(app, **TWILIO)
    anna = anna_on_sms(app, org)
    path = f"/hooks/sms/{slug_of(app, org)}"
    form = {"MessageSid": "SM" + "ef" * 16, "From": ANNA_PHONE, "To": "+4930123456", "Body": "STOP"}
    url = "http://127.0.0.1:8000" + path  # server.public_url: what Twilio was told to call
    signed_url = url + "".join(name + value for name, value in sorted(form.items()))
    signature = base64.b64encode(hmac.new(b"twilio-auth-token", signed_url.encode(), hashlib.sha1).digest()).decode()
    with client_for(twilio) as provider:
        response = provider.post(path, content=urlencode(form).encode(), headers={
            "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text.endswith("<Response/>")
    assert not facts.decide_for(app, org, anna.id, BIRTHDAY_SMS)[1].allowed
