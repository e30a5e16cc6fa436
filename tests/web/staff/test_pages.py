"""Every staff page in German and English, usable with a keyboard and a screen reader: a skip link,
a label for every field, no inline script or style (the CSP forbids them), and never cached."""

from html.parser import HTMLParser

import pytest

from konsent.services import staff


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str | None]] = []
        self.labelled: set[str] = set()
        self.ids: list[str] = []
        self.inline: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(found["id"])
        if tag == "html":
            self.lang = found.get("lang")
        if tag == "label" and found.get("for"):
            self.labelled.add(found["for"])
        if tag in ("input", "select", "textarea") and found.get("type") not in ("hidden", "submit"):
            self.fields.append(found)
        if "style" in found or any(name.startswith("on") for name in found):
            self.inline.append(tag)
        if tag == "script" and not found.get("src"):
            self.inline.append("script")
        if tag == "style":
            self.inline.append("style")


def pages(anna, world):
    return ["/staff/customers", "/staff/customers?q=anna", f"/staff/customers/{anna}",
            f"/staff/customers/{anna}/consents/new", f"/staff/customers/{anna}/consents/{world['consent']}",
            "/staff/complaints", "/staff/complaints/new", f"/staff/complaints/{world['complaint']}",
            "/staff/audit", "/staff/api-keys", "/staff/accounts", "/staff/settings", "/staff/password"]


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_page_is_accessible_in_both_languages(app, owner, anna, world, lang):
    staff.set_locale(app, owner.account.id, lang)
    for path in pages(anna, world):
        response = owner.client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store", path
        page = Page()
        page.feed(response.text)
        assert page.lang == lang, path
        assert 'class="skip-link" href="#main"' in response.text, path
        assert "main" in page.ids, path
        unlabelled = [f for f in page.fields if f.get("id") not in page.labelled and not f.get("aria-label")]
        assert unlabelled == [], path
        assert page.inline == [], path
        duplicates = {i for i in page.ids if page.ids.count(i) > 1}
        assert duplicates == set(), path


def test_the_sign_in_page_is_accessible(web):
    for lang in ("de", "en"):
        page = Page()
        page.feed(web.get("/staff/login", params={"lang": lang}).text)
        assert page.lang == lang
        assert [f for f in page.fields if f.get("id") not in page.labelled] == []
        assert page.inline == []


def test_the_language_switch_changes_the_staff_members_language_and_returns_to_the_page(app, owner, anna):
    assert "Kundenakte" in owner.page(f"/staff/customers/{anna}")
    response = owner.post("/staff/locale", {"lang": "en", "next": f"/staff/customers/{anna}"},
                          form_on=f"/staff/customers/{anna}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/customers/{anna}"
    assert "Customer record" in owner.page(f"/staff/customers/{anna}")
    assert staff.signed_in(app, owner.account.id).account.locale == "en"


def test_the_data_protection_officer_may_switch_their_own_language(app, dpo):
    response = dpo.post("/staff/locale", {"lang": "en", "next": "/staff/customers"}, form_on="/staff/customers")
    assert response.status_code == 303
    assert "Customers" in dpo.page("/staff/customers")


def test_the_stylesheet_and_the_hashing_script_are_served_as_files(web):
    for path, kind in (("/static/staff/staff.css", "text/css"), ("/static/staff/consent.js", "javascript")):
        response = web.get(path)
        assert response.status_code == 200, path
        assert kind in response.headers["content-type"]
