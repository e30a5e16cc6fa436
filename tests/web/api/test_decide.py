"""POST /decide: for a stored customer exactly what the engine says through `facts.decide_for`, or
for a whole scenario what `konsent decide --scenario` says; refusals name their field."""

import json
from pathlib import Path

import pytest

from konsent import decide, parse_scenario
from konsent.services import api_keys, consents, facts, rights
from konsent.services.consents import ConsentDeclaration
from tests.web.api.builders import API, add_customer, error, other_organisation

EXAMPLES = sorted((Path(__file__).parents[3] / "examples" / "scenarios").glob("*.json"))
SIGNED = ConsentDeclaration(channel="email", source="paper_form", evidence={"document_hash": "ab" * 32})


def ask(web, auth, **body):
    return web.post(f"{API}/decide", headers=auth, json=body, params=body.pop("params", None))


def test_a_stored_customers_consent_allows_the_newsletter_with_reasons_in_both_languages(app, org, web, auth):
    anna = add_customer(web, auth)
    consents.give(app, org, anna["id"], SIGNED)
    response = ask(web, auth, customer_id=anna["id"], channel="email", kind="newsletter", params={"lang": "de"})
    assert response.status_code == 200
    decision = response.json()
    assert (decision["allowed"], decision["decision"], decision["basis"]) == (True, "allow", "consent")
    [reason] = decision["reasons"]
    assert reason["code"] == "valid_consent"
    assert reason["text"] == reason["texts"]["de"] != reason["texts"]["en"]
    assert decision["requirements"] == ["opt_out_notice", "unsubscribe_link", "sender_identity"]
    assert decision["rule_pack"].startswith("DE-")
    assert decision["citations"] == reason["citations"]


@pytest.mark.parametrize("history", ["nothing", "a purchase", "a purchase, sign-ups and an objection", "erased"])
def test_the_answer_is_the_one_facts_decide_for_gives(app, org, web, auth, clock, history):
    anna = add_customer(web, auth)
    if history != "nothing":
        web.post(f"{API}/customers/{anna['id']}/purchases", headers=auth, json={
            "occurred_at": "2026-11-02T10:00:00+01:00", "categories": ["haircut"],
            "contact_collected": ["email", "sms"], "objection_notice_at_collection": True})
    if history in ("a purchase, sign-ups and an objection", "erased"):
        consents.give(app, org, anna["id"], ConsentDeclaration(channel="sms", source="online_form"))
        consents.give(app, org, anna["id"], SIGNED)
        clock.advance(hours=2)
        consents.object_to(app, org, anna["id"], channel="phone")
    if history == "erased":
        rights.erase(app, org, anna["id"], actor="test")
    clock.advance(days=1)
    for channel in ("email", "sms", "phone", "post"):
        for kind, categories in (("product_ad", ["hair-care"]), ("newsletter", []), ("appointment_reminder", []),
                                 ("review_request", ["haircut"])):
            asked = facts.Asked(kind=kind, channel=channel, advertised_categories=tuple(categories))
            expected = facts.decide_for(app, org, anna["id"], asked)[1].to_dict("en")
            answer = ask(web, auth, customer_id=anna["id"], channel=channel, kind=kind,
                         advertised_categories=categories).json()
            assert answer == {"allowed": expected["decision"] == "allow", **expected}, (channel, kind)


def test_at_asks_about_another_moment(app, org, web, auth, clock):
    anna = add_customer(web, auth)
    clock.advance(days=3)
    consents.give(app, org, anna["id"], SIGNED)
    before = ask(web, auth, customer_id=anna["id"], channel="email", kind="newsletter", at="2026-11-21T09:00:00+01:00")
    assert before.json()["allowed"] is False
    assert ask(web, auth, customer_id=anna["id"], channel="email", kind="newsletter").json()["allowed"] is True


def test_a_hand_written_letter_and_a_message_without_opt_out_notice_are_different_questions(app, org, web, auth):
    anna = add_customer(web, auth)
    consents.give(app, org, anna["id"], SIGNED)
    without_notice = ask(web, auth, customer_id=anna["id"], channel="email", kind="newsletter",
                         includes_opt_out_notice=False).json()
    assert without_notice["allowed"] is False
    assert "missing_opt_out_notice" in [r["code"] for r in without_notice["reasons"]]
    expected = facts.decide_for(app, org, anna["id"], facts.Asked(kind="winback", channel="phone", automated=False))
    answer = ask(web, auth, customer_id=anna["id"], channel="phone", kind="winback", hand_written=True).json()
    assert answer["reasons"] == expected[1].to_dict("en")["reasons"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_a_whole_scenario_is_decided_as_the_command_line_decides_it(web, auth, example):
    document = json.loads(example.read_text(encoding="utf-8"))
    response = ask(web, auth, scenario=document)
    assert response.status_code == 200, response.text
    expected = decide(parse_scenario(example.read_text(encoding="utf-8"))).to_dict("en")
    assert response.json() == {"allowed": expected["decision"] == "allow", **expected}
    assert response.json()["decision"] == document["expect"]["decision"]


@pytest.mark.parametrize(("body", "field"), [
    ({"channel": "email", "kind": "newsletter"}, "customer_id"),
    ({"customer_id": "{anna}", "kind": "newsletter"}, "channel"),
    ({"customer_id": "{anna}", "channel": "fax", "kind": "newsletter"}, "channel"),
    ({"customer_id": "{anna}", "channel": "email", "kind": "spam"}, "kind"),
    ({"customer_id": "{anna}", "channel": "email", "kind": "newsletter", "at": "2026-11-20T10:00:00"}, "at"),
    ({"customer_id": "{anna}", "channel": "email", "kind": "newsletter", "urgent": True}, "urgent"),
    ({"customer_id": "{anna}", "channel": "email", "kind": "product_ad", "advertised_categories": [""]},
     "advertised_categories.0"),
    ({"scenario": {"jurisdiction": "DE", "at": "2026-11-20", "message": {"channel": "fax", "kind": "newsletter"}}},
     "scenario.message.channel"),
    ({"scenario": {"jurisdiction": "FR", "at": "2026-11-20", "message": {"channel": "email", "kind": "newsletter"}}},
     "scenario.jurisdiction"),
    ({"scenario": {"jurisdiction": "DE", "message": {"channel": "email", "kind": "newsletter"}}}, "scenario.at"),
    ({"scenario": {"jurisdiction": "DE", "at": "2026-11-20", "message": {"channel": "email", "kind": "newsletter"},
                   "recipient": {"consents": [{"channel": "email"}]}}}, "scenario.recipient.consents[0].given_at"),
    ({"scenario": {"jurisdiction": "DE", "at": "2026-11-20", "message": {"channel": "email", "kind": "newsletter"}},
      "customer_id": "{anna}"}, "customer_id"),
])
def test_a_bad_question_is_refused_by_name(web, auth, body, field):
    anna = add_customer(web, auth)
    body = json.loads(json.dumps(body).replace("{anna}", anna["id"]))
    response = ask(web, auth, **body)
    assert response.status_code == 422, response.text
    assert error(response)["field"] == field


def test_another_organisations_customer_is_not_found(app, org, web, auth):
    anna = add_customer(web, auth)
    consents.give(app, org, anna["id"], SIGNED)
    _, theirs = other_organisation(app)
    response = ask(web, theirs, customer_id=anna["id"], channel="email", kind="newsletter")
    assert response.status_code == 404
    assert "allow" not in response.text


@pytest.mark.parametrize("key", ["anna.berg@example.com", "+4915123456789", "K-17"])
def test_a_customer_is_named_only_by_konsent_id(web, auth, key):
    add_customer(web, auth, external_id="K-17")
    response = ask(web, auth, customer_id=key, channel="email", kind="newsletter")
    assert response.status_code == 404
    assert key not in response.text


def test_it_needs_a_key_with_the_read_scope(app, org, web):
    assert ask(web, {}, scenario={"jurisdiction": "DE", "at": "2026-11-20",
                                  "message": {"channel": "email", "kind": "newsletter"}}).status_code == 401
    writer = {"Authorization": f"Bearer {api_keys.create(app, org, name='writer', scopes=['write'])[1]}"}
    response = ask(web, writer, scenario={"jurisdiction": "DE", "at": "2026-11-20",
                                          "message": {"channel": "email", "kind": "newsletter"}})
    assert response.status_code == 403
    revoked, plain = api_keys.create(app, org, name="old", scopes=["read"])
    api_keys.revoke(app, org, revoked.id)
    assert ask(web, {"Authorization": f"Bearer {plain}"}, scenario={}).status_code == 401


def test_the_schema_promises_what_it_answers(web):
    operation = web.get("/openapi.json").json()["paths"]["/api/v1/decide"]["post"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DecisionOut"}
    assert {"401", "403", "404", "422"} <= set(operation["responses"])
