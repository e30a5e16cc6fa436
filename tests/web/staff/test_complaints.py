"""Complaints at the desk: record one from the customer record, see what was sent and why, answer
with the draft and the dossier attached."""

import re

from sqlalchemy import select

from konsent.services import complaints
from konsent.storage import tables as t

COMPLAINT_PAGE = re.compile(r"^/staff/complaints/([0-9a-f-]{36})$")


def test_a_complaint_from_the_record_stops_advertising_and_drafts_the_answer(app, org, desk, anna):
    form = desk.page("/staff/complaints/new", customer=anna)
    assert 'id="complaint-customer-name"' in form
    response = desk.post("/staff/complaints", {
        "customer": anna, "arrived_by": "email", "summary": "Werbung ohne Einwilligung", "about_channel": "all",
        "wants_no_more": "yes"}, form_on=f"/staff/complaints/new?customer={anna}")
    assert response.status_code == 303
    complaint_id = COMPLAINT_PAGE.match(response.headers["location"]).group(1)

    page = desk.page(response.headers["location"])
    assert 'id="complaint-objection">yes' in page
    assert "Dear Anna Berg," not in page  # Anna's language is the organisation's: German
    assert "Guten Tag Anna Berg," in page
    assert f'/staff/complaints/{complaint_id}/dossier.pdf' in page
    english = desk.page(response.headers["location"], lang="en")
    assert "Dear Anna Berg," in english

    record = desk.page(f"/staff/customers/{anna}")
    assert 'data-status="objected"' in record
    assert f'/staff/complaints/{complaint_id}' in record

    answered = desk.post(f"/staff/complaints/{complaint_id}/answer", {"text": "Guten Tag Anna, …"},
                         form_on=response.headers["location"])
    assert answered.status_code == 303
    assert complaints.case(app, org, complaint_id, lang="de").complaint.status == "answered"
    assert 'data-status="answered"' in desk.page(f"/staff/complaints/{complaint_id}")
    assert f'id="complaint-{complaint_id}"' in desk.page("/staff/complaints", status="answered")
    assert f'id="complaint-{complaint_id}"' not in desk.page("/staff/complaints", status="open")


def test_the_dossier_to_attach_downloads_as_a_pdf(app, org, desk, anna):
    recorded = complaints.record(app, org, customer_key=anna, arrived_by="letter", summary="Beschwerde",
                                 wants_no_more=False, actor="staff:x")
    response = desk.client.get(f"/staff/complaints/{recorded.id}/dossier.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_an_objection_can_be_recorded_later_from_the_complaint(app, org, desk, anna):
    recorded = complaints.record(app, org, customer_key=anna, arrived_by="phone", summary="Beschwerde",
                                 wants_no_more=False, actor="staff:x")
    path = f"/staff/complaints/{recorded.id}"
    assert 'id="objection-form"' in desk.page(path)
    assert desk.post(f"{path}/objection", form_on=path).status_code == 303
    assert 'id="objection-form"' not in desk.page(path)
    assert 'id="complaint-objection">yes' in desk.page(path)


def test_a_complaint_with_an_unknown_customer_is_refused_and_nothing_is_written(app, org, desk):
    response = desk.post("/staff/complaints", {"customer": "nobody@example.com", "arrived_by": "email",
                                               "summary": "Beschwerde"}, form_on="/staff/complaints/new")
    assert response.status_code == 422
    assert ">customer</span>" in response.text
    with app.db.unit_of_work() as session:
        assert list(session.scalars(select(t.Complaint).where(t.Complaint.organisation_id == org))) == []


def test_the_complaint_forms_need_their_csrf_token(app, org, desk, anna):
    recorded = complaints.record(app, org, customer_key=anna, arrived_by="email", summary="Beschwerde",
                                 wants_no_more=False, actor="staff:x")
    desk.page(f"/staff/complaints/{recorded.id}")
    for path, data in ((f"/staff/complaints/{recorded.id}/answer", {"text": "Antwort"}),
                       (f"/staff/complaints/{recorded.id}/objection", {}),
                       ("/staff/complaints", {"arrived_by": "email", "summary": "x"})):
        assert desk.client.post(path, data=data).status_code == 403, path
    case = complaints.case(app, org, recorded.id, lang="de")
    assert (case.complaint.status, case.objection_channel) == ("open", None)
    assert len(complaints.listed(app, org)) == 1
