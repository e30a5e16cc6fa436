"""The dashboard draws services/dashboard's figures — consent rate per channel, double opt-in,
objections, messages by basis, withheld messages — as charts, each with its figures as a table; for
the signed-in person's organisation only, in German and English, refusing a bad period by its field."""

import re
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from konsent.services import consents, dashboard, organisations, staff
from konsent.services.consents import ConsentDeclaration
from tests.services.test_answer_pack import SIGNED, history, person
from tests.web.staff.conftest import sign_in
from tests.web.staff.test_pages import Page

BERLIN = ZoneInfo("Europe/Berlin")


def table(html: str, table_id: str) -> dict[str, list[str]]:
    """A figures table: its row headers -> the cells of the row."""
    found = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S)
    assert found, table_id
    return {head: re.findall(r"<td>([^<]*)</td>", cells)
            for head, cells in re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', found.group(1), re.S)}


def test_the_dashboard_draws_exactly_the_services_figures(app, org, clock, tmp_path, owner):
    first = clock().astimezone(BERLIN).date() - timedelta(days=3)
    history(app, org, clock, tmp_path)
    sign_in(owner.client, owner.account.email)  # the story takes days: a session lasts hours
    last = app.now().astimezone(BERLIN).date()
    page = owner.page("/staff/dashboard", since=first.isoformat(), until=last.isoformat(), bucket="week")
    figures = dashboard.figures(app, org, since=first, until=last + timedelta(days=1), bucket="week", lang="de")
    points = figures.points
    assert len(points) == 3

    requested, confirmed = sum(p.doi.requested for p in points), sum(p.doi.confirmed for p in points)
    assert (requested, confirmed) == (3, 1)
    assert f'data-requested="{requested}" data-confirmed="{confirmed}"' in page
    doi = table(page, "doi-table")
    assert [sum(map(int, cells)) for cells in doi.values()] == [p.doi.requested for p in points]

    objections = table(page, "objections-table")
    assert [sum(map(int, cells)) for cells in objections.values()] == [sum(p.objections.values()) for p in points]
    assert re.findall(r'<g class="column" data-total="(\d+)">', page.split('id="objections-chart"')[1])[:3] == [
        str(sum(p.objections.values())) for p in points]

    bases = table(page, "bases-table")
    assert [sum(map(int, cells)) for cells in bases.values()] == [sum(p.messages_by_basis.values()) for p in points]
    assert "Bestandskundenprivileg" in page.split('id="bases-table"')[1].split("</thead>")[0]

    withheld = {code: sum(p.withheld_by_reason.get(code, 0) for p in points)
                for p in points for code in p.withheld_by_reason}
    assert withheld == {"objection": 1}
    assert 'id="withheld-bars-objection" data-code="objection" data-count="1"' in page

    rates = table(page, "consent-rate-table")
    email = points[0].consent["email"]
    assert rates[next(iter(rates))][0] == f"{email.rate:g} % ({email.with_consent}/{email.with_address})"
    dots = page.split('id="consent-rate-chart"')[1].split("</svg>")[0].count('class="dot"')
    assert dots == sum(p.consent[c].rate is not None for p in points for c in dashboard.CHANNELS
                       if any(q.consent[c].with_address for q in points))


def test_without_a_period_it_shows_the_last_twelve_weeks(app, org, desk):
    consents.give(app, org, person(app, org, "anna"), ConsentDeclaration(channel="email", source="paper_form",
                                                                         evidence=SIGNED))
    page = desk.page("/staff/dashboard")
    today = app.now().astimezone(BERLIN).date()
    assert f'name="until" value="{today.isoformat()}"' in page
    assert f'name="since" value="{(today - timedelta(days=83)).isoformat()}"' in page
    assert "100 % (1/1)" in page  # anna's consent, this week


@pytest.mark.parametrize(("params", "field"), [
    ({"since": "2026-11-20", "until": "2026-11-01"}, "until"), ({"bucket": "year"}, "bucket"),
    ({"since": "gestern"}, "since"), ({"since": "2020-01-01", "bucket": "day"}, "since"),
])
def test_a_period_it_cannot_show_is_refused_naming_the_field(owner, params, field):
    response = owner.client.get("/staff/dashboard", params=params)
    assert response.status_code == 422
    assert f'<span class="field-name">{field}</span>' in response.text
    assert 'id="dashboard-form"' in response.text


def test_another_organisations_figures_never_show(app, org, clock, owner):
    other = organisations.create(app, slug=f"other-{uuid.uuid4().hex[:8]}", name="Other", jurisdiction="DE").id
    theirs = person(app, other, "zoe")
    consents.give(app, other, theirs, ConsentDeclaration(channel="email", source="paper_form", evidence=SIGNED))
    consents.object_to(app, other, theirs, channel="email")
    page = owner.page("/staff/dashboard")
    assert 'id="objections-none"' in page
    assert 'id="consent-rate-none"' in page


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_dashboard_is_accessible_in_both_languages(app, org, clock, tmp_path, owner, dpo, lang):
    history(app, org, clock, tmp_path)
    for person_ in (owner, dpo):
        sign_in(person_.client, person_.account.email)
        staff.set_locale(app, person_.account.id, lang)
        response = person_.client.get("/staff/dashboard")
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        page = Page()
        page.feed(response.text)
        assert page.lang == lang
        assert [f for f in page.fields if f.get("id") not in page.labelled and not f.get("aria-label")] == []
        assert page.inline == []
        assert not {i for i in page.ids if page.ids.count(i) > 1}
        # Every chart is an image with a name, and its figures are there as a table.
        for chart in ("consent-rate-chart", "doi-chart", "objections-chart", "bases-chart"):
            assert re.search(rf'id="{chart}"[^>]*role="img" aria-labelledby="{chart}-title"', response.text), chart
        for figures in ("consent-rate-table", "doi-table", "objections-table", "bases-table"):
            assert f'<table id="{figures}">' in response.text
        assert ("Einwilligungsquote je Kanal" if lang == "de" else "Consent rate per channel") in response.text
    assert 'id="nav-dashboard" aria-current="page"' in response.text
