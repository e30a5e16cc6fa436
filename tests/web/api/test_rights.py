"""The customer's rights and the owner's proof through the API: the export (Art. 15) as JSON or a page,
the erasure (Art. 17) that keeps an objection on the suppression list, the dossier as JSON, HTML, PDF."""

import uuid
from datetime import timedelta

from konsent.services import api_keys, consents, customers, organisations
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer

PAPER = {"document_hash": "ab" * 32}


def anna(app, org) -> str:
    customer = customers.add(app, org, NewCustomer(email="anna@example.com", first_name="Anna", last_name="Berg",
                                                   external_id="K-17", locale="de")).id
    consents.give(app, org, customer, ConsentDeclaration(channel="email", source="paper_form", evidence=PAPER,
                                                         occurred_at=app.now() - timedelta(days=3)))
    customers.record_purchase(app, org, customer, occurred_at=app.now() - timedelta(days=2), categories=["haircut"],
                              contact_collected=["email"], objection_notice_at_collection=True)
    return customer


def test_the_export_holds_everything_about_the_customer_as_json_or_a_page(app, org, web, auth):
    customer = anna(app, org)
    exported = web.get(f"/api/v1/customers/{customer}/export", headers=auth)
    assert exported.status_code == 200, exported.text
    document = exported.json()
    assert (document["document"], document["customer"]["id"], document["customer"]["first_name"]) == (
        "konsent.export", customer, "Anna")
    assert [p["kind"] for p in document["contact_points"]] == ["email"]
    assert [e["type"] for e in document["events"]] == ["consent.given"]
    assert len(document["purchases"]) == 1

    page = web.get(f"/api/v1/customers/{customer}/export", params={"format": "html"}, headers=auth)
    assert page.headers["content-type"].startswith("text/html")
    assert "anna@example.com" in page.text
    assert 'lang="de"' in page.text or "lang=de" in page.text
    english = web.get(f"/api/v1/customers/{customer}/export", params={"format": "html", "lang": "en"}, headers=auth)
    assert english.text != page.text


def test_erasure_removes_the_person_and_keeps_their_objection(app, org, web, auth):
    customer = anna(app, org)
    consents.object_to(app, org, customer, channel="email")

    erased = web.post(f"/api/v1/customers/{customer}/erasure", headers=auth)
    assert erased.status_code == 200, erased.text
    done = erased.json()
    assert (done["customer_id"], done["already_erased"], done["contact_points"], done["purchases"]) == (
        customer, False, 1, 1)
    assert done["objections_kept"] == ["email"]
    after = web.get(f"/api/v1/customers/{customer}/export", headers=auth).json()
    assert (after["customer"]["first_name"], after["contact_points"], after["customer"]["erased_at"]) == (
        None, [], done["erased_at"].replace("Z", "+00:00"))
    assert "anna@example.com" not in str(after)

    # The address comes back with an import: the objection comes back with it.
    again = customers.add(app, org, NewCustomer(email="anna@example.com"))
    assert again.suppressed == ["email"]
    repeated = web.post(f"/api/v1/customers/{customer}/erasure", headers=auth).json()
    assert (repeated["already_erased"], repeated["erased_at"]) == (True, done["erased_at"])


def test_the_dossier_comes_as_json_html_and_pdf(app, org, web, auth):
    customer = anna(app, org)
    proof = web.get(f"/api/v1/customers/{customer}/dossier", headers=auth)
    assert proof.status_code == 200, proof.text
    document = proof.json()
    assert (document["document"], document["verification"]["ok"]) == ("konsent.dossier", True)
    assert [e["evidence_status"] for e in document["events"]] == ["intact"]

    page = web.get(f"/api/v1/customers/{customer}/dossier", params={"format": "html", "lang": "en"}, headers=auth)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    pdf = web.get(f"/api/v1/customers/{customer}/dossier", params={"format": "pdf", "lang": "de"}, headers=auth)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert customer in pdf.headers["content-disposition"]


def test_another_organisations_customer_is_not_found_and_not_erased(app, org, web, auth):
    other = organisations.create(app, slug=f"other-{uuid.uuid4().hex[:8]}", name="Nachbar", jurisdiction="DE").id
    theirs = anna(app, other)
    for method, path in [("GET", "export"), ("GET", "dossier"), ("POST", "erasure")]:
        response = web.request(method, f"/api/v1/customers/{theirs}/{path}", headers=auth)
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found"), path
        assert "anna" not in response.text.lower()
    assert customers.show(app, other, theirs).erased is False
    # Found by konsent id only: an external id, email or phone in the path names no one.
    for key in ("K-17", "anna@example.com", "+4915123456789"):
        assert web.get(f"/api/v1/customers/{key}/export", headers=auth).status_code == 404


def test_a_read_only_key_may_export_but_not_erase(app, org, web):
    customer = anna(app, org)
    read = {"Authorization": f"Bearer {api_keys.create(app, org, name='dpo', scopes=['read'])[1]}"}
    assert web.get(f"/api/v1/customers/{customer}/export", headers=read).status_code == 200
    assert web.post(f"/api/v1/customers/{customer}/erasure", headers=read).status_code == 403
    assert customers.show(app, org, customer).erased is False


def test_an_unknown_format_or_language_is_refused_naming_it(app, org, web, auth):
    customer = anna(app, org)
    for path, params, field in [("export", {"format": "pdf"}, "format"), ("dossier", {"format": "docx"}, "format"),
                                ("dossier", {"lang": "fr"}, "lang")]:
        response = web.get(f"/api/v1/customers/{customer}/{path}", params=params, headers=auth)
        assert (response.status_code, response.json()["error"]["field"]) == (422, field), (path, params)
