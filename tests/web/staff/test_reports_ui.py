"""Reports in the staff UI: the authority answer pack (a ZIP with answer.pdf, figures.json and CSVs)
and the record of processing activities, in German and English — for the owner and the data
protection officer, never for staff, and always of the signed-in person's own organisation."""

import io
import json
import uuid
import zipfile

import pytest

from konsent.services import consents, organisations, staff
from konsent.services.consents import ConsentDeclaration
from tests.services.test_answer_pack import SIGNED, person
from tests.web.staff.test_pages import Page

DOWNLOADS = ("/staff/reports/answer-pack-de.zip", "/staff/reports/answer-pack-en.zip",
             "/staff/reports/processing-record-de.pdf", "/staff/reports/processing-record-en.pdf",
             "/staff/reports/processing-record-de.html", "/staff/reports/processing-record-en.html")


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_owner_downloads_the_answer_pack_as_a_zip_with_answer_pdf(app, org, owner, lang):
    consents.give(app, org, person(app, org, "anna"), ConsentDeclaration(channel="email", source="paper_form",
                                                                         evidence=SIGNED))
    page = owner.page("/staff/reports")
    assert f'href="/staff/reports/answer-pack-{lang}.zip" id="answer-pack-{lang}"' in page
    response = owner.client.get(f"/staff/reports/answer-pack-{lang}.zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == f'attachment; filename="konsent-answer-pack-{lang}.zip"'
    assert response.headers["cache-control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(response.content)) as pack:
        names = pack.namelist()
        assert "answer.pdf" in names
        assert "figures.json" in names
        assert pack.read("answer.pdf").startswith(b"%PDF")
        figures = json.loads(pack.read("figures.json"))
    assert figures["lang"] == lang
    assert figures["organisation"]["name"] == "Salon Sonnenschein"


def test_the_data_protection_officer_downloads_the_record_of_processing(app, org, dpo):
    pdf = dpo.client.get("/staff/reports/processing-record-de.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    html = dpo.client.get("/staff/reports/processing-record-en.html")
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    # A document to keep, not a page to show inside the staff UI.
    assert html.headers["content-disposition"] == 'attachment; filename="konsent-processing-record-en.html"'
    assert b"Salon Sonnenschein" in html.content
    assert dpo.client.get("/staff/reports/answer-pack-de.zip").content.startswith(b"PK")


def test_staff_see_no_reports(desk):
    assert 'id="nav-reports"' not in desk.page("/staff/customers")
    assert desk.client.get("/staff/reports").status_code == 403
    for path in DOWNLOADS:
        response = desk.client.get(path)
        assert response.status_code == 403, path
        assert not response.content.startswith((b"PK", b"%PDF")), path


def test_nobody_signed_out_gets_a_report(web):
    for path in ("/staff/reports", *DOWNLOADS):
        response = web.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/staff/login")


def test_an_unknown_language_or_format_is_not_a_report(owner):
    for path in ("/staff/reports/answer-pack-fr.zip", "/staff/reports/processing-record-de.docx"):
        assert owner.client.get(path).status_code in (404, 422), path


def test_the_pack_is_always_the_signed_in_persons_organisation(app, org, owner):
    other = organisations.create(app, slug=f"other-{uuid.uuid4().hex[:8]}", name="Fremder Salon",
                                 jurisdiction="AT").id
    consents.give(app, other, person(app, other, "zoe"), ConsentDeclaration(channel="email", source="paper_form",
                                                                            evidence=SIGNED))
    with zipfile.ZipFile(io.BytesIO(owner.client.get("/staff/reports/answer-pack-de.zip").content)) as pack:
        figures = json.loads(pack.read("figures.json"))
    assert figures["organisation"]["name"] == "Salon Sonnenschein"
    assert "Fremder Salon" not in json.dumps(figures)
    record = owner.client.get("/staff/reports/processing-record-de.html").text
    assert "Fremder Salon" not in record


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_reports_page_is_accessible_in_both_languages(app, org, owner, dpo, lang):
    for someone in (owner, dpo):
        staff.set_locale(app, someone.account.id, lang)
        response = someone.client.get("/staff/reports")
        assert response.status_code == 200
        page = Page()
        page.feed(response.text)
        assert page.lang == lang
        assert page.inline == []
        assert not {i for i in page.ids if page.ids.count(i) > 1}
        assert 'id="nav-reports" aria-current="page"' in response.text
        assert ("Antwort an die Aufsichtsbehörde" if lang == "de" else "Answer to the supervisory authority") \
            in response.text
