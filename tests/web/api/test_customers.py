"""Customers and their purchases over the API: add, look up, change, list — each tenant its own."""

import pytest

from konsent.domain.ledger import EventType
from konsent.services import campaigns, consents, facts, rights
from konsent.services.campaigns import CampaignDraft
from konsent.services.consents import ConsentDeclaration
from konsent.storage import ledger
from konsent.storage import tables as t
from tests.web.api.builders import API, add_customer, count, error, other_organisation, read_only


def test_a_customer_is_added_and_shown_as_stored(web, auth):
    added = add_customer(web, auth, email="Anna.Berg@Example.com", phone="015123456789", external_id="K-17",
                         birthday="1990-05-17", tags=["stammkunde"], registers={"robinson": True}, locale="en")
    assert added["email"] == "anna.berg@example.com"
    assert added["phone"] == "+4915123456789"  # a national number read in the organisation's country
    assert (added["jurisdiction"], added["locale"], added["type"]) == ("DE", "en", "consumer")
    assert added["registers"] == {"robinson": True}
    assert added["erased"] is False
    shown = web.get(f"{API}/customers/{added['id']}", headers=auth)
    assert shown.status_code == 200
    assert shown.json() == added


@pytest.mark.parametrize(("fields", "field"), [
    ({"email": "anna-at-example.com"}, "email"),
    ({"phone": "12"}, "phone"),
    ({"type": "robot"}, "type"),
    ({"jurisdiction": "FR"}, "jurisdiction"),
    ({"birthday": "17.05.1990"}, "birthday"),
    ({"registers": {"schufa": True}}, "registers.schufa"),
    ({"first_name": "Anna\nBcc: x@example.com"}, "first_name"),
    ({"postal_address": "Hauptstraße 1"}, "postal_address"),
    ({"tags": [""]}, "tags.0"),
    ({"nickname": "Anni"}, "nickname"),
    ({"last_name": "Berg\x00"}, "last_name"),
])
def test_a_bad_field_is_refused_by_name_and_nothing_is_stored(app, org, web, auth, fields, field):
    response = web.post(f"{API}/customers", headers=auth, json={"email": "anna@example.com", **fields})
    assert response.status_code == 422
    assert error(response)["field"] == field
    assert count(app, t.Customer, org) == 0


def test_an_address_or_external_id_belongs_to_one_customer(app, org, web, auth):
    add_customer(web, auth, external_id="K-17")
    for fields, field in (({"email": "ANNA.BERG@example.com", "phone": None}, "email"),
                          ({"email": "other@example.com", "phone": "+49 151 23456789"}, "phone"),
                          ({"email": "other@example.com", "phone": None, "external_id": "K-17"}, "external_id")):
        response = web.post(f"{API}/customers", headers=auth, json={"first_name": "Ben", **fields})
        assert response.status_code == 409
        assert error(response)["field"] == field
    assert count(app, t.Customer, org) == 1


def test_an_address_that_objected_before_brings_its_objection_along(app, org, web, auth):
    first = add_customer(web, auth)
    consents.object_to(app, org, first["id"], channel="email")
    rights.erase(app, org, first["id"], actor="test")
    again = add_customer(web, auth, phone=None)
    assert again["suppressed"] == ["email"]
    with app.db.unit_of_work() as session:
        kinds = [e.type for e in ledger.events_of(session, org, again["id"])]
    assert kinds == [EventType.OBJECTION]


def test_only_the_fields_sent_change(web, auth):
    anna = add_customer(web, auth, external_id="K-17", tags=["vip"], registers={"robinson": True})
    response = web.patch(f"{API}/customers/{anna['id']}", headers=auth,
                         json={"last_name": "Berg-Sommer", "registers": {"ecg": True}, "birthday": "1990-05-17"})
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["last_name"] == "Berg-Sommer"
    assert changed["birthday"] == "1990-05-17"
    assert changed["registers"] == {"robinson": True, "ecg": True}
    assert (changed["email"], changed["external_id"], changed["tags"]) == (anna["email"], "K-17", ["vip"])
    cleared = web.patch(f"{API}/customers/{anna['id']}", headers=auth, json={"phone": None, "first_name": None})
    assert (cleared.json()["phone"], cleared.json()["first_name"]) == (None, None)


def test_a_new_email_address_needs_a_new_consent(app, org, web, auth):
    anna = add_customer(web, auth)
    consents.give(app, org, anna["id"], ConsentDeclaration(channel="email", source="paper_form",
                                                           evidence={"document_hash": "ab" * 32}))
    consents.give(app, org, anna["id"], ConsentDeclaration(channel="sms", source="paper_form",
                                                           evidence={"document_hash": "cd" * 32}))
    ask = {"customer_id": anna["id"], "channel": "email", "kind": "newsletter"}
    assert web.post(f"{API}/decide", headers=auth, json=ask).json()["allowed"] is True
    changed = web.patch(f"{API}/customers/{anna['id']}", headers=auth, json={"email": "anna.neu@example.com"})
    assert changed.status_code == 200
    decision = web.post(f"{API}/decide", headers=auth, json=ask).json()
    assert decision["allowed"] is False
    assert "consent_withdrawn" in [r["code"] for r in decision["reasons"]]
    sms = web.post(f"{API}/decide", headers=auth, json={**ask, "channel": "sms"}).json()
    assert sms["allowed"] is True  # the phone number did not change


def test_a_new_address_was_not_collected_by_the_sales_before_it(app, org, web, auth, clock):
    """§7 (3) Nr. 1 UWG: the privilege needs the address from a sale. After a change of email the
    earlier sales collected the old address; a sale from then on collects the new one."""
    anna = add_customer(web, auth)
    bought = {"categories": ["hair-care"], "contact_collected": ["email"], "objection_notice_at_collection": True}
    assert web.post(f"{API}/customers/{anna['id']}/purchases", headers=auth,
                    json={**bought, "occurred_at": "2026-10-01T10:00:00+00:00"}).status_code == 201
    offer = {"customer_id": anna["id"], "channel": "email", "kind": "product_ad",
             "advertised_categories": ["hair-care"]}
    asked = facts.Asked("product_ad", "email", ("hair-care",))
    campaign = campaigns.create(app, org, CampaignDraft(name="Pflege", kind="product_ad", channels=["email"],
                                                        template_key="pflege", advertised_categories=["hair-care"]))

    def answers():
        api = web.post(f"{API}/decide", headers=auth, json=offer).json()
        service = facts.decide_for(app, org, anna["id"], asked)[1]
        [plan] = campaigns.preview(app, org, campaign.id).channels
        assert api["allowed"] is service.allowed is (plan.included == 1)
        return api["allowed"], [r["code"] for r in api["reasons"]], [r.code for r in plan.reasons]

    assert answers()[0] is True
    clock.advance(hours=1)
    assert web.patch(f"{API}/customers/{anna['id']}", headers=auth,
                     json={"email": "anna.neu@example.com"}).status_code == 200
    shown = web.get(f"{API}/customers/{anna['id']}/permissions", headers=auth).json()["permissions"]
    assert {p["since"] for p in shown if p["channel"] == "email"} == {"2026-11-20T10:00:00Z"}  # since the change
    allowed, codes, left_out = answers()
    assert not allowed
    assert "existing_customer_no_sale" in codes
    assert "existing_customer_no_sale" in left_out
    assert web.post(f"{API}/customers/{anna['id']}/purchases", headers=auth,
                    json={**bought, "occurred_at": app.now().isoformat()}).status_code == 201
    clock.advance(minutes=1)  # a sale counts for what is sent after it
    assert answers()[0] is True


def test_a_changed_address_that_objected_before_brings_its_objection(app, org, web, auth):
    other = add_customer(web, auth, email="ben@example.com", phone=None, first_name="Ben")
    consents.object_to(app, org, other["id"], channel="email")
    rights.erase(app, org, other["id"], actor="test")
    anna = add_customer(web, auth)
    changed = web.patch(f"{API}/customers/{anna['id']}", headers=auth, json={"email": "ben@example.com"})
    assert changed.json()["suppressed"] == ["email"]


@pytest.mark.parametrize(("change", "status", "field"), [
    ({"email": "not-an-address"}, 422, "email"),
    ({"type": None}, 422, "type"),
    ({"external_id": ""}, 422, "external_id"),
    ({"email": "ben@example.com"}, 409, "email"),
    ({"external_id": "B-1"}, 409, "external_id"),
    ({"id": "mine"}, 422, "id"),
])
def test_a_bad_change_is_refused_by_name_and_changes_nothing(web, auth, change, status, field):
    add_customer(web, auth, email="ben@example.com", phone=None, external_id="B-1")
    anna = add_customer(web, auth)
    response = web.patch(f"{API}/customers/{anna['id']}", headers=auth, json={"first_name": "Anne", **change})
    assert response.status_code == status
    assert error(response)["field"] == field
    assert web.get(f"{API}/customers/{anna['id']}", headers=auth).json() == anna


def test_an_erased_customer_cannot_be_changed(app, org, web, auth):
    anna = add_customer(web, auth)
    rights.erase(app, org, anna["id"], actor="test")
    response = web.patch(f"{API}/customers/{anna['id']}", headers=auth, json={"first_name": "Anna"})
    assert response.status_code == 422
    assert error(response)["field"] == "customer"


def test_customers_are_found_by_external_id_email_phone_and_tag(web, auth):
    anna = add_customer(web, auth, external_id="K-17", tags=["vip", "nails"])
    ben = add_customer(web, auth, email="ben@example.com", phone="+4915199999999", first_name="Ben", tags=["nails"])
    for query, found in (({"external_id": "K-17"}, [anna]), ({"email": " ANNA.BERG@example.com "}, [anna]),
                         ({"phone": "0151 99999999"}, [ben]), ({"tag": "nails"}, [anna, ben]), ({"tag": "vip"}, [anna]),
                         ({"tag": "nails", "email": "ben@example.com"}, [ben]), ({"external_id": "K-99"}, [])):
        response = web.get(f"{API}/customers", headers=auth, params=query)
        assert response.status_code == 200, query
        assert sorted(c["id"] for c in response.json()["items"]) == sorted(c["id"] for c in found), query


@pytest.mark.parametrize(("query", "field"), [({"email": "nope"}, "email"), ({"phone": "x"}, "phone"),
                                              ({"limit": 0}, "limit"), ({"cursor": "garbage"}, "cursor"),
                                              ({"external_id": "K\x00"}, "external_id"), ({"tag": "v\x00"}, "tag")])
def test_a_bad_filter_is_refused_by_name(web, auth, query, field):
    response = web.get(f"{API}/customers", headers=auth, params=query)
    assert response.status_code == 422
    assert error(response)["field"] == field


def test_pages_never_skip_or_repeat_a_customer(web, auth, clock):
    made = []
    for number in range(5):
        clock.advance(seconds=1)
        made.append(add_customer(web, auth, email=f"kunde{number}@example.com", phone=None)["id"])
    seen, cursor = [], None
    while True:
        page = web.get(f"{API}/customers", headers=auth, params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        seen += [c["id"] for c in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
        if len(seen) == 2:
            clock.advance(seconds=1)
            made.append(add_customer(web, auth, email="later@example.com", phone=None)["id"])  # comes last
    assert seen == made


def test_an_erased_customer_is_listed_as_erased_without_personal_data(app, org, web, auth):
    anna = add_customer(web, auth, external_id="K-17", tags=["vip"], birthday="1990-05-17")
    rights.erase(app, org, anna["id"], actor="test")
    [listed] = web.get(f"{API}/customers", headers=auth).json()["items"]
    assert listed["erased"] is True
    assert listed["erased_at"] is not None
    personal = ("email", "phone", "postal_address", "first_name", "last_name", "birthday", "external_id")
    assert {name: listed[name] for name in personal} == dict.fromkeys(personal)
    assert (listed["tags"], listed["registers"]) == ([], {})
    assert web.get(f"{API}/customers/{anna['id']}", headers=auth).json() == listed


def test_purchases_are_recorded_and_listed_oldest_first(web, auth):
    anna = add_customer(web, auth)
    later = web.post(f"{API}/customers/{anna['id']}/purchases", headers=auth, json={
        "external_id": "order-2", "occurred_at": "2026-11-10T10:00:00+01:00", "categories": ["hair-care"],
        "contact_collected": ["email"], "objection_notice_at_collection": True})
    assert later.status_code == 201, later.text
    assert later.json()["occurred_at"] == "2026-11-10T09:00:00Z"
    web.post(f"{API}/customers/{anna['id']}/purchases", headers=auth,
             json={"occurred_at": "2026-11-02T10:00:00+01:00", "categories": ["haircut"]})
    listed = web.get(f"{API}/customers/{anna['id']}/purchases", headers=auth).json()["items"]
    assert [p["categories"] for p in listed] == [["haircut"], ["hair-care"]]
    assert listed[1] == later.json()


@pytest.mark.parametrize(("fields", "status", "field"), [
    ({"occurred_at": "2026-11-02T10:00:00"}, 422, "occurred_at"),  # without a zone it is not one moment
    ({"contact_collected": ["fax"]}, 422, "contact_collected.0"),
    ({"categories": [" "]}, 422, "categories[0]"),
    ({"external_id": "order-1"}, 409, "external_id"),
])
def test_a_bad_purchase_is_refused_by_name_and_not_recorded(app, org, web, auth, fields, status, field):
    anna = add_customer(web, auth)
    web.post(f"{API}/customers/{anna['id']}/purchases", headers=auth,
             json={"occurred_at": "2026-11-01T10:00:00Z", "external_id": "order-1"})
    response = web.post(f"{API}/customers/{anna['id']}/purchases", headers=auth,
                        json={"occurred_at": "2026-11-02T10:00:00Z", **fields})
    assert response.status_code == status
    assert error(response)["field"] == field
    assert count(app, t.Purchase, org) == 1


def test_another_organisations_customers_are_not_found(app, org, web, auth):
    anna = add_customer(web, auth)
    _, theirs = other_organisation(app)
    for response in (web.get(f"{API}/customers/{anna['id']}", headers=theirs),
                     web.patch(f"{API}/customers/{anna['id']}", headers=theirs, json={"first_name": "Mine"}),
                     web.get(f"{API}/customers/{anna['id']}/purchases", headers=theirs),
                     web.post(f"{API}/customers/{anna['id']}/purchases", headers=theirs,
                              json={"occurred_at": "2026-11-02T10:00:00Z"})):
        assert response.status_code == 404
        assert error(response)["code"] == "not_found"
    assert web.get(f"{API}/customers", headers=theirs, params={"email": anna["email"]}).json()["items"] == []
    assert web.get(f"{API}/customers/{anna['id']}", headers=auth).json() == anna
    assert count(app, t.Purchase, org) == 0


@pytest.mark.parametrize("key", ["anna.berg@example.com", "+4915123456789", "K-17"])
def test_a_path_names_a_customer_only_by_konsent_id(web, auth, key):
    add_customer(web, auth, external_id="K-17")
    response = web.get(f"{API}/customers/{key}", headers=auth)
    assert response.status_code in (404, 422)
    assert "anna" not in response.text


def test_a_read_only_key_reads_but_cannot_write(app, org, web):
    reader = read_only(app, org)
    response = web.post(f"{API}/customers", headers=reader, json={"email": "anna@example.com"})
    assert response.status_code == 403
    assert count(app, t.Customer, org) == 0
    assert web.get(f"{API}/customers", headers=reader).status_code == 200
