"""Every form of the staff UI carries a CSRF token bound to the session, and every write refuses a
request without it — even the owner's, who may do everything else."""

import re

from tests.web.staff.conftest import snapshot, writes


def test_every_post_form_on_every_page_carries_a_token(owner, anna, world):
    paths = ["/staff/customers", f"/staff/customers/{anna}", f"/staff/customers/{anna}/consents/new",
             f"/staff/customers/{anna}/consents/{world['consent']}", "/staff/complaints/new",
             f"/staff/complaints/{world['complaint']}", "/staff/api-keys", "/staff/accounts", "/staff/settings",
             "/staff/password"]
    for path in paths:
        html = owner.page(path)
        forms = re.findall(r"<form[^>]*>.*?</form>", html, flags=re.S)
        posting = [form for form in forms if 'method="post"' in form.split(">", 1)[0]]
        assert posting, path
        assert [form[:80] for form in posting if 'name="csrf"' not in form] == [], path


def test_every_write_without_its_token_is_refused_and_changes_nothing(app, org, owner, anna, world):
    before = snapshot(app, org)
    owner.page(f"/staff/customers/{anna}")  # the browser has its cookies, the attacker's form has no token
    for _, action, fields in [*writes(org, anna, world), (None, "/staff/locale", {"lang": "en"}),
                              (None, "/staff/password", {"current_password": "correct horse battery staple",
                                                         "new_password": "something else entirely"}),
                              (None, "/staff/logout", {})]:
        for token in (None, "forged", owner.token("/staff/customers")[:-4] + "AAAA"):
            data = fields if token is None else {**fields, "csrf": token}
            response = owner.client.post(action, data=data)
            assert response.status_code == 403, (action, token)
    assert snapshot(app, org) == before
    assert 'lang="de"' in owner.page("/staff/customers")  # still signed in, still German


def test_a_token_made_for_the_sign_in_page_does_not_pass_for_a_signed_in_form(owner):
    # Same browser, same cookie: only the form's scope differs.
    login_token = re.search(r'name="csrf" value="([^"]+)"', owner.client.get("/staff/login").text).group(1)
    response = owner.client.post("/staff/logout", data={"csrf": login_token})
    assert response.status_code == 403
