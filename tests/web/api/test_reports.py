"""API: the reports a host system (or the owner's own tools) downloads with a read key — the answer
pack as a ZIP, the dashboard's figures as JSON, the records of processing as a page or a PDF."""

import io
import json
import uuid
import zipfile
from datetime import timedelta

import pytest

from konsent.services import answer_pack, api_keys, consents, customers, dashboard, organisations
from konsent.services.consents import ConsentDeclaration
from konsent.services.customers import NewCustomer

SIGNED = {"document_hash": "ab" * 32}


def consenting(app, org) -> str:
    customer = customers.add(app, org, NewCustomer(email=f"k.{uuid.uuid4().hex[:8]}@example.com")).id
    consents.give(app, org, customer, ConsentDeclaration(channel="email", source="paper_form", evidence=SIGNED))
    return customer


@pytest.fixture
def reader(app, org) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_keys.create(app, org, name='reports', scopes=['read'])[1]}"}


def test_the_answer_pack_downloads_as_a_zip_with_the_figures_of_the_callers_organisation(app, org, web, reader):
    consenting(app, org)
    answer = web.get("/api/v1/reports/answer-pack", params={"lang": "en"}, headers=reader)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    assert answer.headers["content-disposition"].startswith('attachment; filename="answer-pack-salon-')
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert archive.read("answer.pdf").startswith(b"%PDF")
    figures = json.loads(archive.read("figures.json"))
    assert figures["lang"] == "en"
    assert figures["figures"] == json.loads(json.dumps(answer_pack.build(app, org, lang="en").figures()))
    assert figures["figures"]["consents_by_source"]["paper_form"]["email"] == 1


def test_the_dashboard_answers_with_the_services_figures(app, org, clock, web, reader):
    since = clock()
    consenting(app, org)
    clock.advance(days=2)
    answer = web.get("/api/v1/reports/dashboard", headers=reader, params={
        "since": since.isoformat(), "until": clock().isoformat(), "bucket": "day", "lang": "en"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = dashboard.figures(app, org, since=since, until=clock(), bucket="day", lang="en").as_dict()
    assert [p["consent"] for p in body["points"]] == [p["consent"] for p in expected["points"]]
    assert len(body["points"]) == 3
    assert body["points"][0]["consent"]["email"] == {"with_address": 1, "with_consent": 1, "rate": 100.0}
    assert body["words"]["email"] == "Email"


def test_the_dashboard_looks_back_twelve_weeks_by_default(web, reader, clock):
    body = web.get("/api/v1/reports/dashboard", headers=reader).json()
    assert body["until"].startswith(clock().date().isoformat())
    assert body["since"].startswith((clock() - timedelta(weeks=12)).date().isoformat())
    assert 12 <= len(body["points"]) <= 13


@pytest.mark.parametrize(("params", "field"), [
    ({"bucket": "year"}, "bucket"),
    ({"lang": "fr"}, "lang"),
    ({"since": "2026-11-20T00:00:00+01:00", "until": "2026-11-01T00:00:00+01:00"}, "until"),
    ({"since": "2000-01-01T00:00:00+01:00", "bucket": "day"}, "since"),
    ({"since": "0001-01-01T00:00:00"}, "since"),
])
def test_a_question_it_cannot_answer_is_refused_naming_the_field(web, reader, params, field):
    answer = web.get("/api/v1/reports/dashboard", headers=reader, params=params)
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == field


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_records_of_processing_come_as_a_page_or_a_pdf(web, reader, lang):
    page = web.get("/api/v1/reports/processing-record", headers=reader, params={"lang": lang})
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src" not in page.headers["content-security-policy"]  # no script may run on it
    assert ("Verzeichnis von Verarbeitungstätigkeiten" if lang == "de" else "Record of processing") in page.text
    document = web.get("/api/v1/reports/processing-record", headers=reader, params={"lang": lang, "format": "pdf"})
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/pdf"
    assert document.content.startswith(b"%PDF")
    refused = web.get("/api/v1/reports/processing-record", headers=reader, params={"format": "docx"})
    assert (refused.status_code, refused.json()["error"]["field"]) == (422, "format")


@pytest.mark.parametrize("path", ["/api/v1/reports/answer-pack", "/api/v1/reports/dashboard",
                                  "/api/v1/reports/processing-record"])
def test_without_a_key_there_is_no_report(web, path):
    assert web.get(path).status_code == 401


def test_each_organisation_sees_only_its_own_figures(app, org, web, reader):
    consenting(app, org)
    other = organisations.create(app, slug=f"other-{uuid.uuid4().hex[:8]}", name="Other Salon", jurisdiction="AT").id
    theirs = {"Authorization": f"Bearer {api_keys.create(app, other, name='x', scopes=['read'])[1]}"}
    archive = zipfile.ZipFile(io.BytesIO(web.get("/api/v1/reports/answer-pack", headers=theirs).content))
    figures = json.loads(archive.read("figures.json"))
    assert figures["organisation"]["id"] == other
    assert figures["figures"]["consents_by_source"]["paper_form"]["email"] == 0
    board = web.get("/api/v1/reports/dashboard", headers=theirs).json()
    assert all(p["consent"]["email"]["with_address"] == 0 for p in board["points"])
    mine = web.get("/api/v1/reports/dashboard", headers=reader).json()
    assert mine["points"][-1]["consent"]["email"]["with_consent"] == 1
    assert "Other Salon" in web.get("/api/v1/reports/processing-record", headers=theirs).text
