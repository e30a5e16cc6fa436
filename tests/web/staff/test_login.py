"""Signing in and out: argon2id passwords, a signed session cookie that expires by the app's clock,
a wall against guessing, and CSRF tokens on the sign-in form too."""

from konsent.services import staff
from konsent.web import sessions
from tests.web.staff.conftest import PASSWORD, email_for, sign_in, token_in


def test_a_page_without_a_session_sends_the_person_to_sign_in_and_back(web, owner):
    response = web.get("/staff/customers", params={"q": "anna"})
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login?next=%2Fstaff%2Fcustomers%3Fq%3Danna"
    signed = sign_in(web, owner.account.email, next="/staff/customers?q=anna")
    assert signed.status_code == 303
    assert signed.headers["location"] == "/staff/customers?q=anna"
    assert web.get("/staff/customers").status_code == 200


def test_the_session_cookie_is_httponly_lax_and_scoped_to_the_staff_ui(web, owner):
    response = sign_in(web, owner.account.email)
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(sessions.COOKIE + "="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path", "max-age"} <= attributes
    assert "samesite=lax" in cookie.lower()
    assert "path=/staff" in cookie.lower()
    assert "secure" not in attributes  # served over plain http in the test


def test_the_cookie_is_secure_when_konsent_is_served_over_https(app, org):
    from fastapi import Response  # noqa: PLC0415

    settings = app.settings.model_copy(update={"server": app.settings.server.model_copy(
        update={"public_url": "https://konsent.salon.example"})})
    response = Response()
    sessions.begin(response, settings, account_id="x", fingerprint="y", now=app.now())
    assert "secure" in response.headers["set-cookie"].lower()


def test_a_wrong_password_is_refused_with_the_field_named_and_no_session(web, owner):
    response = sign_in(web, owner.account.email, password="not the password")
    assert response.status_code == 422
    assert 'id="form-error"' in response.text
    assert sessions.COOKIE not in response.cookies
    assert web.get("/staff/customers").status_code == 303


def test_five_wrong_passwords_lock_the_address_for_this_client(web, owner):
    for _ in range(staff.FAILURES_ALLOWED):
        assert sign_in(web, owner.account.email, password="guess").status_code == 422
    locked = sign_in(web, owner.account.email, password=PASSWORD)
    assert locked.status_code == 429
    assert sessions.COOKIE not in locked.cookies


def test_the_sign_in_form_needs_its_csrf_token(web, owner):
    web.get("/staff/login")
    response = web.post("/staff/login", data={"email": owner.account.email, "password": PASSWORD})
    assert response.status_code == 403
    forged = web.post("/staff/login", data={"email": owner.account.email, "password": PASSWORD, "csrf": "forged"})
    assert forged.status_code == 403
    assert sessions.COOKIE not in forged.cookies


def test_signing_out_ends_the_session(owner):
    response = owner.post("/staff/logout", form_on="/staff/customers")
    assert response.status_code == 303
    assert owner.client.get("/staff/customers").status_code == 303


def test_signing_out_ends_the_session_everywhere_even_for_a_copied_cookie(owner, browsers):
    copied = owner.client.cookies[sessions.COOKIE]
    laptop = browsers()
    assert sign_in(laptop, owner.account.email).status_code == 303
    assert owner.post("/staff/logout", form_on="/staff/customers").status_code == 303
    thief = browsers()
    thief.cookies.set(sessions.COOKIE, copied, path=sessions.PATH)
    assert thief.get("/staff/customers").status_code == 303  # off to the sign-in page
    assert laptop.get("/staff/customers").status_code == 303  # the other device is signed out too
    assert sign_in(thief, owner.account.email).status_code == 303  # signing in again works
    assert thief.get("/staff/customers").status_code == 200


def test_signing_out_needs_the_csrf_token(owner):
    owner.page("/staff/customers")
    response = owner.client.post("/staff/logout")
    assert response.status_code == 403
    assert owner.client.get("/staff/customers").status_code == 200


def test_a_session_expires_by_the_applications_clock(owner, app, clock):
    assert owner.client.get("/staff/customers").status_code == 200
    clock.advance(hours=app.settings.security.session_hours, seconds=-1)
    assert owner.client.get("/staff/customers").status_code == 200
    clock.advance(seconds=1)
    assert owner.client.get("/staff/customers").status_code == 303


def test_a_forged_or_altered_session_cookie_is_no_session(web, owner):
    response = sign_in(web, owner.account.email)
    value = response.cookies[sessions.COOKIE]
    web.cookies.clear()
    web.cookies.set(sessions.COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"), path="/staff")
    assert web.get("/staff/customers").status_code == 303


def test_a_disabled_account_is_out_at_its_next_click(app, org, owner, desk):
    assert desk.client.get("/staff/customers").status_code == 200
    staff.disable(app, org, desk.account.id, actor=owner.account.actor)
    assert desk.client.get("/staff/customers").status_code == 303


def test_a_new_password_ends_every_other_session(app, org, owner, browsers):
    other = browsers()
    assert sign_in(other, owner.account.email).status_code == 303
    changed = owner.post("/staff/password", {"current_password": PASSWORD, "new_password": "a brand new password"})
    assert changed.status_code == 303
    assert owner.client.get("/staff/customers").status_code == 200  # this browser goes on
    assert other.get("/staff/customers").status_code == 303


def test_a_token_from_one_session_does_not_work_in_another(owner, browsers):
    token = owner.token("/staff/customers")
    other = browsers()
    assert sign_in(other, owner.account.email).status_code == 303
    other.get("/staff/customers")
    response = other.post("/staff/logout", data={"csrf": token})
    assert response.status_code == 403


def test_the_sign_in_page_comes_in_german_and_english(web):
    german = web.get("/staff/login")
    assert '<html lang="de">' in german.text
    assert "Anmeldung für Mitarbeiter" in german.text
    english = web.get("/staff/login", params={"lang": "en"})
    assert '<html lang="en">' in english.text
    assert "Staff sign-in" in english.text
    assert token_in(english.text)


def test_a_next_parameter_never_leads_off_the_staff_ui(web, owner):
    for target in ("https://evil.example/", "//evil.example/staff/", "/api/v1/organisation", "/staff/\\evil"):
        response = sign_in(web, owner.account.email, next=target)
        assert response.headers["location"] == "/staff/customers", target


def test_an_unknown_address_is_refused_like_a_wrong_password(web, org, owner):
    unknown = sign_in(web, email_for(org, "nobody"))
    wrong = sign_in(web, owner.account.email, password="not the password")
    assert unknown.status_code == wrong.status_code == 422
    assert unknown.text.split('id="form-error"')[1][:300] == wrong.text.split('id="form-error"')[1][:300]
