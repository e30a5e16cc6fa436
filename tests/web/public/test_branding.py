"""Every public page names who runs it: the organisation's name, logo and imprint (Impressum)."""

from sqlalchemy import update

from konsent.storage import tables as t
from tests.web.public.html import page
from tests.web.public.people import add_anna, confirmation_path, newsletter_text, signed_up, slug_of

IMPRINT = "Salon Sonnenschein GmbH\nHauptstraße 1, 10115 Berlin\nHRB 12345 B"


def brand(app, org, **columns):
    with app.db.unit_of_work() as session:
        session.execute(update(t.Organisation).where(t.Organisation.id == org).values(**columns))


def test_name_logo_imprint_and_privacy_link_on_every_page(site, site_app, org, inbox):
    brand(site_app, org, logo_url="https://salon.example/logo.png", imprint=IMPRINT,
          privacy_url="https://salon.example/datenschutz")
    anna = add_anna(site_app, org)
    signed_up(site_app, org, anna.id, text_id=newsletter_text(site_app, org).id)
    confirm = confirmation_path(site_app, org, anna.id, inbox)
    slug = slug_of(site_app, org)
    for path in (f"/s/{slug}", f"/s/{slug}/notice", f"/s/{slug}/code", confirm):
        response = site.get(path)
        html = response.text
        assert '<img class="logo" src="https://salon.example/logo.png" alt="Salon Sonnenschein">' in html, path
        assert "HRB 12345 B" in page(response).text
        assert '<a href="https://salon.example/datenschutz"' in html
        assert len(page(response).h1) == 1


def test_a_link_that_is_not_a_web_address_is_not_linked(site, site_app, org):
    brand(site_app, org, logo_url="javascript:alert(1)", privacy_url="javascript:alert(2)",
          imprint="<script>alert(3)</script>")
    newsletter_text(site_app, org)
    html = site.get(f"/s/{slug_of(site_app, org)}").text
    assert "javascript:" not in html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in html
