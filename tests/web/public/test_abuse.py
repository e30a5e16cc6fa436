"""Abuse resistance: shared rate counters, signed double-submit CSRF tokens, bounded bodies, headers."""

import dataclasses
import uuid

from sqlalchemy import select
from starlette.requests import Request

from konsent.web import csrf, ratelimit
from konsent.web.public.words import DE, EN
from tests.web.public.conftest import client_for
from tests.web.public.html import page
from tests.web.public.people import add_anna, confirmation_path, footprint, newsletter_text, signed_up

LIMIT = ratelimit.Limit("test", 3, ratelimit.MINUTE)


def strict(app, **security):
    changed = app.settings.security.model_copy(update=security)
    return dataclasses.replace(app, settings=app.settings.model_copy(update={"security": changed}))


def test_the_counter_refuses_over_the_limit_until_the_window_ends(app, clock):
    clock.advance(seconds=15)  # 09:00:15 — the minute's window ends in 45 seconds
    client = f"198.51.100.1-{uuid.uuid4()}"  # the counters live in the shared test database
    assert [ratelimit.hit(app, LIMIT, client) for _ in range(3)] == [None, None, None]
    assert ratelimit.hit(app, LIMIT, client) == ratelimit.Exceeded(retry_after=45)
    assert ratelimit.hit(app, LIMIT, "another client " + client) is None
    clock.advance(seconds=45)
    assert ratelimit.hit(app, LIMIT, client) is None


def test_the_counter_keeps_no_address_in_the_clear(app):
    client = f"203.0.113.77-{uuid.uuid4()}"
    ratelimit.hit(app, LIMIT, client)
    with app.db.unit_of_work() as session:
        keys = session.scalars(select(ratelimit.t.RateCounter.key)).all()
    secret = app.settings.security.secret_key.get_secret_value()
    assert ratelimit.key_for(secret, "test", client) in keys
    assert not any("203.0.113.77" in key for key in keys)


def test_public_posts_over_the_limit_get_a_friendly_429(site_app, org, inbox):
    limited = strict(site_app, public_per_minute=2)
    anna = add_anna(limited, org)
    signed_up(limited, org, anna.id)
    path = confirmation_path(limited, org, anna.id, inbox)
    forged = path[:-3] + "AAA"
    with client_for(limited) as site:
        assert [site.post(forged).status_code for _ in range(2)] == [400, 400]
        before = footprint(limited, org)
        refused = site.post(path, headers={"Accept": "text/html"})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert page(refused).h1 == ["Zu viele Anfragen"]
    assert footprint(limited, org) == before  # the confirmation did not happen


def scoped_request(cookie: str | None) -> Request:
    headers = [(b"cookie", f"konsent_csrf={cookie}".encode())] if cookie else []
    return Request({"type": "http", "method": "POST", "path": "/", "headers": headers, "query_string": b""})


def forged(token: str) -> str:
    # Not the last character: its low bits are base64 padding, so changing it may change nothing.
    position = len(token) - 6
    return token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1:]


def test_a_csrf_token_is_bound_to_its_form_and_its_cookie(app):
    issued = csrf.issue(scoped_request(None), app.settings, "preferences")
    csrf.check(scoped_request(issued.nonce), app.settings, "preferences", issued.token)  # genuine: passes
    for request, scope, token in [
        (scoped_request(issued.nonce), "signup:x", issued.token),  # another form
        (scoped_request("A" * 43), "preferences", issued.token),  # another browser's cookie
        (scoped_request(None), "preferences", issued.token),  # no cookie
        (scoped_request(issued.nonce), "preferences", forged(issued.token)),
        (scoped_request(issued.nonce), "preferences", None),
    ]:
        try:
            csrf.check(request, app.settings, scope, token)
        except csrf.CsrfRefused:
            continue
        raise AssertionError(f"accepted: {scope} {token}")


def test_a_chunked_body_is_bounded_like_a_declared_one(site_app, org):
    newsletter_text(site_app, org)
    small = strict(site_app, max_body_bytes=2048)
    before = footprint(small, org)

    def chunks():
        for _ in range(10):
            yield b"email=" + b"a" * 500 + b"&"

    with client_for(small) as site:
        response = site.post(f"/s/{org}", content=chunks(), headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert footprint(small, org) == before


def test_public_pages_carry_the_security_headers(site, site_app, org, inbox):
    anna = add_anna(site_app, org)
    signed_up(site_app, org, anna.id)
    response = site.get(confirmation_path(site_app, org, anna.id, inbox))
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "style-src 'self'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"
    assert page(response).inline == []
    assert site.get("/static/public.css").status_code == 200


def test_both_languages_know_the_same_words():
    def shape(words):
        return {key: sorted(value) if isinstance(value, dict) else None for key, value in words.items()}

    assert shape(DE) == shape(EN)
