"""Campaigns in the staff UI: the builder and its live preview count exactly what services/campaigns
counts, the list behind each bar names exactly the customers left out for that reason, scheduling
queues the outbox rows, and the sending shows its progress and results. Owner and staff build and
send; the data protection officer reads; another organisation's campaign is a 404."""

import re
import uuid

import pytest
from sqlalchemy import func, select

from konsent.services import campaigns, organisations, staff
from konsent.services.audience import Segment
from konsent.services.campaigns import CampaignDraft
from konsent.storage import tables as t
from konsent.web.staff import campaign_plan
from tests.web.staff.conftest import token_in
from tests.web.staff.test_pages import Page
from tests.worker.audience import ALLOWED, DENIED, autumn_template, deliver, mixed
from tests.worker.mailserver import mail_server

FORM = {"name": "Herbstpflege", "kind": "product_ad", "channels": "email", "template_key": "autumn",
        "advertised": "hair-care"}
BAR = re.compile(r'id="bar-(\w+)-(\w+)" data-code="\w+" data-count="(\d+)"')


def bars(html: str) -> dict[tuple[str, str], int]:
    """(channel, code) -> count, as the preview chart draws them."""
    return {(channel, code): int(count) for channel, code, count in BAR.findall(html)}


def expected(plan) -> dict[tuple[str, str], int]:
    found = {}
    for c in plan.channels:
        found[(c.channel, "reached")] = c.included
        found.update({(c.channel, r.code): r.count for r in c.reasons})
    return found


def draft(app, org, **fields) -> str:
    values = {"name": "Herbstpflege", "kind": "product_ad", "channels": ["email"], "template_key": "autumn",
              "advertised_categories": ["hair-care"], **fields}
    return campaigns.create(app, org, CampaignDraft(**values)).id


@pytest.fixture
def people(app, org):
    autumn_template(app, org)
    return mixed(app, org)


def campaign_count(app, org) -> int:
    with app.db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(t.Campaign).where(t.Campaign.organisation_id == org))


def outbox_rows(app, org, campaign_id) -> list[t.OutboxItem]:
    with app.db.unit_of_work() as session:
        return list(session.scalars(select(t.OutboxItem).where(
            t.OutboxItem.organisation_id == org, t.OutboxItem.campaign_id == campaign_id)))


# --- building and previewing -------------------------------------------------------------------

def test_an_owner_builds_a_campaign_and_its_preview_counts_what_the_service_counts(app, org, owner, people):
    response = owner.post("/staff/campaigns", {**FORM, "tags": "", "send_day": "2026-12-01", "send_time": "10:30"},
                          form_on="/staff/campaigns/new")
    assert response.status_code == 303
    campaign_id = response.headers["location"].split("/")[3].split("?")[0]
    stored = campaigns.show(app, org, campaign_id)
    assert (stored.name, stored.kind, stored.channels, stored.advertised_categories) == (
        "Herbstpflege", "product_ad", ("email",), ("hair-care",))
    assert stored.local_time == "2026-12-01 10:30 CET"  # the organisation's local time

    page = owner.page(response.headers["location"])
    assert 'id="campaign-saved"' in page
    plan = campaigns.preview(app, org, campaign_id)
    assert bars(page) == expected(plan)
    assert bars(page)[("email", "reached")] == len(ALLOWED)
    assert f'data-excluded="{plan.excluded}"' in page
    # The owner's sentence for a reason, counted.
    assert "1 Kunde hat der Werbung widersprochen." in page
    assert campaign_id in owner.page("/staff/campaigns")


def test_the_preview_speaks_the_staff_members_language(app, org, desk, people):
    campaign_id = draft(app, org)
    page = desk.page(f"/staff/campaigns/{campaign_id}")
    assert '<html lang="en">' in page
    assert "1 customer objected to advertising." in page
    assert "4 customers get the message." in page


def test_the_live_preview_follows_the_form_and_saves_nothing(app, org, owner, people):
    before = campaign_count(app, org)
    token = owner.token("/staff/campaigns/new")
    fragment = owner.client.post("/staff/campaigns/preview?fragment=1", data={"csrf": token, **FORM})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text  # a fragment for campaign.js to put in place
    plan = campaign_plan.draft_preview(app, org, CampaignDraft(
        name="x", kind="product_ad", channels=["email"], template_key="x", advertised_categories=["hair-care"]))
    assert bars(fragment.text) == expected(plan)
    assert 'id="list-email-' not in fragment.text  # an unsaved draft has no lists behind its bars

    # Another kind of message: a win-back may not rely on the privilege for hair care alone.
    narrowed = owner.client.post("/staff/campaigns/preview?fragment=1",
                                 data={"csrf": token, **FORM, "kind": "newsletter"})
    newsletter = campaign_plan.draft_preview(app, org, CampaignDraft(
        name="x", kind="newsletter", channels=["email"], template_key="x", advertised_categories=["hair-care"]))
    assert bars(narrowed.text) == expected(newsletter)
    assert campaign_count(app, org) == before


def test_without_javascript_the_preview_button_shows_the_whole_builder_with_the_preview(app, org, owner, people):
    response = owner.post("/staff/campaigns/preview", {**FORM, "name": "Entwurf ohne Skript"},
                          form_on="/staff/campaigns/new")
    assert response.status_code == 200
    assert 'value="Entwurf ohne Skript"' in response.text  # what was entered stays in the form
    assert bars(response.text)[("email", "reached")] == len(ALLOWED)
    assert 'id="preview-unsaved"' in response.text
    assert campaign_count(app, org) == 0


def test_a_preview_of_an_incomplete_form_names_the_field(owner, people):
    token = owner.token("/staff/campaigns/new")
    response = owner.client.post("/staff/campaigns/preview?fragment=1", data={"csrf": token, **FORM, "channels": ""})
    assert response.status_code == 422
    assert 'id="preview-error"' in response.text
    assert "channels" in response.text


@pytest.mark.parametrize(("fields", "field"), [
    ({"name": ""}, "name"), ({"kind": "invoice"}, "kind"), ({"channels": "fax"}, "channels"),
    ({"last_visit_after": "gestern"}, "segment.last_visit_after"), ({"send_day": "2020-01-01"}, "send_at"),
    ({"birthday_month": "13"}, "segment.birthday_month"),
])
def test_a_bad_campaign_is_refused_naming_the_field_and_nothing_is_written(app, org, owner, people, fields, field):
    response = owner.post("/staff/campaigns", {**FORM, **fields}, form_on="/staff/campaigns/new")
    assert response.status_code == 422
    assert f'<span class="field-name">{field}</span>' in response.text
    assert campaign_count(app, org) == 0


def test_a_draft_is_changed_through_its_form(app, org, owner, people):
    # Types of customers are chosen through the API only: the form keeps them as they were.
    campaign_id = draft(app, org, segment=Segment(types=("consumer",)))
    response = owner.post(f"/staff/campaigns/{campaign_id}", {**FORM, "name": "Winterpflege", "locale": "en",
                                                              "birthday_month": "12", "bought": "haircut"})
    assert response.status_code == 303
    changed = campaigns.show(app, org, campaign_id)
    assert changed.name == "Winterpflege"
    assert changed.segment == {"types": ["consumer"], "locales": ["en"], "bought": ["haircut"], "birthday_month": 12}
    page = owner.page(f"/staff/campaigns/{campaign_id}")
    assert 'id="campaign-locale"' in page
    assert '<option value="en" selected>' in page


# --- the list behind a bar ---------------------------------------------------------------------

def test_the_list_behind_each_bar_names_exactly_the_customers_left_out_for_that_reason(app, org, owner, people):
    campaign_id = draft(app, org)
    plan, = campaigns.preview(app, org, campaign_id).channels
    page = owner.page(f"/staff/campaigns/{campaign_id}")
    names = {customer_id: name for name, customer_id in people.items()}
    assert plan.reasons, "the audience leaves some out"
    for reason in plan.reasons:
        link = f"/staff/campaigns/{campaign_id}/left-out/email/{reason.code}"
        assert f'href="{link}"' in page
        listed = owner.page(link)
        shown = set(re.findall(r'<tr id="customer-([\w-]+)"', listed))
        assert len(shown) == reason.count == int(re.search(r'data-total="(\d+)"', listed).group(1))
        assert set(reason.examples) <= shown
        assert {names[customer_id] for customer_id in shown} <= set(DENIED)
    objected = owner.page(f"/staff/campaigns/{campaign_id}/left-out/email/objection")
    assert "Emil" in objected
    assert "emil@example.com" in objected
    assert "Anna" not in objected


def test_a_long_list_is_paged_without_skipping_anyone(app, org, owner, people, monkeypatch):
    monkeypatch.setattr(campaign_plan, "PAGE", 1)
    campaign_id = draft(app, org)
    largest = campaigns.preview(app, org, campaign_id).channels[0].reasons[0]
    code, total = largest.code, largest.count
    assert total >= 2
    seen, path = [], f"/staff/campaigns/{campaign_id}/left-out/email/{code}"
    while path:
        page = owner.page(path)
        seen += re.findall(r'<tr id="customer-([\w-]+)"', page)
        found = re.search(r'href="([^"]+)" id="left-out-next"', page)
        path = found.group(1).replace("&amp;", "&") if found else None
    assert len(seen) == len(set(seen)) == total


# --- scheduling, progress, results ---------------------------------------------------------------

def test_scheduling_through_the_ui_queues_one_outbox_row_per_allowed_recipient(app, org, desk, people):
    campaign_id = draft(app, org)
    response = desk.post(f"/staff/campaigns/{campaign_id}/schedule", form_on=f"/staff/campaigns/{campaign_id}")
    assert response.status_code == 303
    rows = outbox_rows(app, org, campaign_id)
    assert {row.customer_id for row in rows} == {people[name] for name in ALLOWED}
    assert {row.status for row in rows} == {"queued"}
    page = desk.page(response.headers["location"])
    assert f'data-queued="{len(ALLOWED)}"' in page
    assert 'id="campaign-status" data-status="scheduled"' in page
    assert f'<dd id="count-queued">{len(ALLOWED)}</dd>' in page
    assert 'data-poll="/staff/campaigns/' in page  # campaign.js keeps the progress fresh
    assert 'id="campaign-form"' in page
    assert 'id="campaign-save"' not in page


def test_progress_and_results_show_what_was_sent_on_which_basis_and_what_was_withheld(app, org, owner, people):
    campaign_id = draft(app, org)
    owner.post(f"/staff/campaigns/{campaign_id}/schedule", form_on=f"/staff/campaigns/{campaign_id}")
    from konsent.services import consents  # noqa: PLC0415 - a change of mind between scheduling and sending

    consents.object_to(app, org, people["anna"], channel="email")
    with mail_server() as server:
        deliver(app, org, server)
    fragment = owner.page(f"/staff/campaigns/{campaign_id}/progress")
    assert "<html" not in fragment
    assert f'<progress id="progress-bar" max="{len(ALLOWED)}" value="{len(ALLOWED)}">' in fragment
    assert 'id="progress-done"' in fragment
    assert 'id="progress-refresh"' not in fragment  # nothing moves any more: campaign.js stops asking
    assert 'id="sent-by-basis-consent" data-code="consent" data-count="1"' in fragment  # gert
    assert 'id="sent-by-basis-existing_customer" data-code="existing_customer" data-count="2"' in fragment
    assert 'id="withheld-by-reason-objection" data-code="objection" data-count="1"' in fragment  # anna


def test_pause_resume_and_cancel_through_the_ui(app, org, owner, people):
    campaign_id = draft(app, org, send_at=app.now().replace(tzinfo=None).replace(year=2027))
    page = f"/staff/campaigns/{campaign_id}"
    owner.post(f"{page}/schedule", form_on=page)
    assert owner.post(f"{page}/pause", form_on=page).status_code == 303
    assert campaigns.show(app, org, campaign_id).status == "paused"
    assert owner.post(f"{page}/pause", form_on=page).status_code == 409  # said on the page, not a crash
    assert owner.post(f"{page}/resume", form_on=page).status_code == 303
    assert campaigns.show(app, org, campaign_id).status == "scheduled"
    refused = owner.post(f"{page}/cancel", form_on=page)
    assert refused.status_code == 422
    assert '<span class="field-name">confirm</span>' in refused.text
    assert owner.post(f"{page}/cancel", {"confirm": "yes"}, form_on=page).status_code == 303
    assert campaigns.show(app, org, campaign_id).status == "cancelled"
    assert {row.status for row in outbox_rows(app, org, campaign_id)} == {"withheld"}
    results = owner.page(page)
    assert 'id="withheld-by-reason-campaign_cancelled"' in results
    assert 'id="campaign-actions"' not in results


def test_a_campaign_without_its_template_is_not_scheduled_and_the_page_says_why(app, org, owner, people):
    campaign_id = draft(app, org, template_key="nowhere")
    response = owner.post(f"/staff/campaigns/{campaign_id}/schedule", form_on=f"/staff/campaigns/{campaign_id}")
    assert response.status_code == 422
    assert "nowhere" in response.text
    assert 'id="form-error"' in response.text
    assert outbox_rows(app, org, campaign_id) == []


# --- roles, CSRF, tenants ---------------------------------------------------------------------------

def writes(campaign_id: str) -> list[tuple[str, dict[str, str]]]:
    return [("/staff/campaigns", FORM), (f"/staff/campaigns/{campaign_id}", FORM),
            (f"/staff/campaigns/{campaign_id}/schedule", {}), (f"/staff/campaigns/{campaign_id}/pause", {}),
            (f"/staff/campaigns/{campaign_id}/resume", {}),
            (f"/staff/campaigns/{campaign_id}/cancel", {"confirm": "yes"}),
            ("/staff/campaigns/preview?fragment=1", FORM), (f"/staff/campaigns/{campaign_id}/preview", FORM)]


def state(app, org):
    with app.db.unit_of_work() as session:
        queued = select(func.count()).select_from(t.OutboxItem).where(t.OutboxItem.organisation_id == org)
        return (sorted((c.id, c.name, c.status, c.updated_at.isoformat()) for c in session.scalars(
                    select(t.Campaign).where(t.Campaign.organisation_id == org))), session.scalar(queued))


def test_the_data_protection_officer_reads_every_campaign_page_and_every_write_is_403(app, org, dpo, people):
    campaign_id = draft(app, org)
    page = dpo.page(f"/staff/campaigns/{campaign_id}")
    assert 'id="read-only"' in page
    for control in ('id="campaign-save"', 'id="campaign-schedule"', 'id="campaign-actions"', "data-preview="):
        assert control not in page
    assert bars(page) == expected(campaigns.preview(app, org, campaign_id))
    dpo.page("/staff/campaigns")
    dpo.page(f"/staff/campaigns/{campaign_id}/left-out/email/objection")
    assert 'id="new-campaign"' not in dpo.page("/staff/campaigns")
    assert dpo.client.get("/staff/campaigns/new").status_code == 403
    before = state(app, org)
    for action, fields in writes(campaign_id):
        assert dpo.post(action, fields, form_on="/staff/campaigns").status_code == 403, action
    assert state(app, org) == before


def test_a_campaign_form_without_a_genuine_token_is_refused(app, org, owner, desk, people):
    campaign_id = draft(app, org)
    before = state(app, org)
    for action, fields in writes(campaign_id):
        assert owner.client.post(action, data=fields).status_code == 403, action
        # A token from another signed-in person's page is worthless here.
        foreign = token_in(desk.page("/staff/campaigns/new"))
        assert owner.client.post(action, data={"csrf": foreign, **fields}).status_code == 403, action
    assert state(app, org) == before


def test_another_organisations_campaign_is_a_404_everywhere(app, org, owner, people):
    other = organisations.create(app, slug=f"other-{uuid.uuid4().hex[:8]}", name="Other", jurisdiction="DE").id
    autumn_template(app, other)
    theirs = draft(app, other, name="Geheim")
    before = state(app, other)
    for path in (f"/staff/campaigns/{theirs}", f"/staff/campaigns/{theirs}/progress",
                 f"/staff/campaigns/{theirs}/left-out/email/no_consent"):
        response = owner.client.get(path)
        assert response.status_code == 404, path
        assert "Geheim" not in response.text
    for action, fields in writes(theirs)[1:6] + writes(theirs)[7:]:
        assert owner.post(action, fields, form_on="/staff/campaigns").status_code == 404, action
    assert state(app, other) == before
    assert theirs not in owner.page("/staff/campaigns")


# --- every page, both languages ------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_campaign_page_is_accessible_in_both_languages(app, org, owner, people, lang):
    staff.set_locale(app, owner.account.id, lang)
    campaign_id = draft(app, org)
    scheduled = draft(app, org, name="Geplant")
    campaigns.schedule(app, org, scheduled)
    for path in ("/staff/campaigns", "/staff/campaigns/new", f"/staff/campaigns/{campaign_id}",
                 f"/staff/campaigns/{scheduled}", f"/staff/campaigns/{campaign_id}/left-out/email/objection"):
        response = owner.client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store"
        page = Page()
        page.feed(response.text)
        assert page.lang == lang, path
        assert [f for f in page.fields if f.get("id") not in page.labelled and not f.get("aria-label")] == [], path
        assert page.inline == [], path
        assert not {i for i in page.ids if page.ids.count(i) > 1}, path
        assert 'id="nav-campaigns" aria-current="page"' in response.text, path
