"""POST /decide: for a stored customer exactly what the engine says through `facts.decide_for`, or
for a whole scenario what `konsent decide --scenario` says; refusals name their field."""

import json
from pathlib import Path

import pytest

from konsent import decide, parse_scenario
from konsent.services import api_keys, consents, facts, rights
from konsent.services.consents import ConsentDeclaration
from konsent.web.api import auth as api_auth
from konsent.web.errors import ApiError
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


def _chunked(body: dict[str, object]):
    # Sent in chunks, without Content-Length: the shortcut leaves such a request to the route.
    yield json.dumps(body).encode()


def test_a_plain_question_is_answered_ahead_of_the_router(web, auth):
    anna = add_customer(web, auth)
    question = {"customer_id": anna["id"], "channel": "email", "kind": "newsletter"}

    def the_route_answers() -> None:
        raise ApiError(418, "teapot", "the route answered")

    web.app.dependency_overrides[api_auth._bearer] = the_route_answers
    assert ask(web, auth, **question).status_code == 200  # the shortcut: no dependency was asked
    routed = web.post(f"{API}/decide", headers={**auth, "Content-Type": "application/json"}, content=_chunked(question))
    assert routed.status_code == 418


@pytest.mark.parametrize("history", ["nothing", "a purchase", "consents and an objection"])
def test_the_shortcut_answers_byte_for_byte_as_the_route(app, org, web, auth, clock, history):
    anna = add_customer(web, auth)
    if history == "a purchase":
        web.post(f"{API}/customers/{anna['id']}/purchases", headers=auth, json={
            "occurred_at": "2026-11-20T23:30:00+00:00", "categories": ["haircut"], "contact_collected": ["email"],
            "objection_notice_at_collection": True})
    if history == "consents and an objection":
        consents.give(app, org, anna["id"], SIGNED)
        consents.object_to(app, org, anna["id"], channel="sms")
    clock.advance(days=2)
    for lang in ("en", "de"):
        for message in ({"channel": "email", "kind": "product_ad", "advertised_categories": ["hair-care"]},
                        {"channel": "sms", "kind": "newsletter", "at": "2026-11-21T09:00:00+01:00"},
                        {"channel": "phone", "kind": "winback", "hand_written": True},
                        {"channel": "email", "kind": "review_request", "includes_opt_out_notice": False}):
            question = {"customer_id": anna["id"], **message}
            shortcut = web.post(f"{API}/decide", headers=auth, json=question, params={"lang": lang})
            routed = web.post(f"{API}/decide", params={"lang": lang}, content=_chunked(question),
                              headers={**auth, "Content-Type": "application/json"})
            assert shortcut.status_code == routed.status_code == 200
            assert shortcut.content == routed.content, question
            assert shortcut.headers.items() == routed.headers.items()


@pytest.mark.parametrize("who", ["writer", "revoked", "other organisation", "no bearer"])
def test_a_refused_plain_question_reads_as_the_routes_refusal(app, org, web, auth, who):
    anna = add_customer(web, auth)
    question = {"customer_id": anna["id"], "channel": "email", "kind": "newsletter"}
    if who == "writer":
        headers = {"Authorization": f"Bearer {api_keys.create(app, org, name='writer', scopes=['write'])[1]}"}
    elif who == "revoked":
        revoked, plain = api_keys.create(app, org, name="old", scopes=["read"])
        api_keys.revoke(app, org, revoked.id)
        headers = {"Authorization": f"Bearer {plain}"}
    elif who == "other organisation":
        headers = other_organisation(app)[1]
    else:
        headers = {"Authorization": auth["Authorization"].replace("Bearer", "Basic")}
    shortcut = web.post(f"{API}/decide", headers=headers, json=question)
    routed = web.post(f"{API}/decide", content=_chunked(question),
                      headers={**headers, "Content-Type": "application/json"})
    assert shortcut.status_code == routed.status_code == {"writer": 403, "other organisation": 404}.get(who, 401)
    assert shortcut.json() == routed.json()
    assert "allow" not in shortcut.text
