"""The caller's own organisation, organisations made by a vendor's platform, and API keys."""

import json
import uuid

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from konsent.cli import app as cli
from konsent.config import SecuritySettings
from konsent.services import api_keys
from konsent.storage import tables as t
from tests.web.api.builders import API, client, count, error, other_organisation, read_only, with_settings

PLATFORM = "platform-token-for-tests-0123456789abcdef"


def platform(app):
    return client(with_settings(app, security=SecuritySettings(platform_token=SecretStr(PLATFORM))))


def test_the_caller_sees_its_own_organisation(web, org, auth):
    response = web.get(f"{API}/organisation", headers=auth)
    assert response.status_code == 200
    shown = response.json()
    assert shown["id"] == org
    assert shown["name"] == "Salon Sonnenschein"
    assert shown["jurisdiction"] == "DE"
    assert shown["similar_categories"] == [["haircut", "hair-care"]]
    assert shown["sender_name"] == "Salon Sonnenschein"


def test_settings_change_and_optional_ones_can_be_cleared(web, auth):
    changed = web.patch(f"{API}/organisation", headers=auth, json={
        "name": "Salon Sonne", "locale": "en", "timezone": "Europe/Vienna", "logo_url": "https://salon.example/l.png",
        "imprint": "Salon Sonne GmbH\nHauptstraße 1, 10115 Berlin", "privacy_url": "https://salon.example/privacy",
        "similar_categories": [["nails", "nail-care"]], "reading": "strict"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["logo_url"] == "https://salon.example/l.png"
    assert changed.json()["reading"] == "strict"
    cleared = web.patch(f"{API}/organisation", headers=auth, json={"logo_url": None, "sender_name": None})
    assert cleared.status_code == 200
    shown = web.get(f"{API}/organisation", headers=auth).json()
    assert (shown["logo_url"], shown["sender_name"], shown["name"], shown["timezone"]) == (
        None, None, "Salon Sonne", "Europe/Vienna")
    assert shown["similar_categories"] == [["nail-care", "nails"]]


@pytest.mark.parametrize(("change", "field"), [
    ({"logo_url": "http://salon.example/logo.png"}, "logo_url"),  # public pages load images over https only
    ({"privacy_url": "javascript:alert(1)"}, "privacy_url"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"jurisdiction": "FR"}, "jurisdiction"),
    ({"name": None}, "name"),
    ({"name": "Salon\r\nBcc: everyone@example.com"}, "name"),
    ({"similar_categories": [[]]}, "similar_categories.0"),
    ({"slug": "other"}, "slug"),
    ({"imprint": "Salon\x00"}, "imprint"),
])
def test_a_bad_setting_is_refused_by_name_and_nothing_changes(web, auth, change, field):
    before = web.get(f"{API}/organisation", headers=auth).json()
    response = web.patch(f"{API}/organisation", headers=auth, json=change)
    assert response.status_code == 422
    assert error(response)["field"] == field
    assert web.get(f"{API}/organisation", headers=auth).json() == before


def test_a_read_only_key_cannot_change_settings(app, org, web):
    response = web.patch(f"{API}/organisation", headers=read_only(app, org), json={"name": "Mine now"})
    assert response.status_code == 403
    assert error(response)["code"] == "forbidden"


def test_a_platform_creates_an_organisation_with_its_first_key(app):
    slug = f"salon-{uuid.uuid4().hex[:8]}"
    with platform(app) as web:
        response = web.post(f"{API}/organisations", headers={"Authorization": f"Bearer {PLATFORM}"}, json={
            "slug": slug, "name": "Salon Neu", "jurisdiction": "AT", "locale": "de",
            "imprint": "Salon Neu e.U., Wien", "similar_categories": [["haircut", "hair-care"]]})
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["organisation"]["jurisdiction"] == "AT"
        assert created["organisation"]["imprint"] == "Salon Neu e.U., Wien"
        assert created["api_key"]["scopes"] == ["read", "write"]
        key = {"Authorization": f"Bearer {created['api_key']['key']}"}
        assert web.get(f"{API}/organisation", headers=key).json()["slug"] == slug
        again = web.post(f"{API}/organisations", headers={"Authorization": f"Bearer {PLATFORM}"},
                         json={"slug": slug, "name": "Salon Neu", "jurisdiction": "AT"})
        assert again.status_code == 409  # the slug makes a retry harmless
        assert error(again)["field"] == "slug"
        assert count(app, t.ApiKey, created["organisation"]["id"]) == 1


def test_without_a_platform_token_configured_nobody_creates_organisations(web, auth):
    response = web.post(f"{API}/organisations", headers=auth, json={"slug": "x-y", "name": "X", "jurisdiction": "DE"})
    assert response.status_code == 403


@pytest.mark.parametrize("token", [None, "wrong", "ks_an_api_key_is_no_platform_token"])
def test_a_wrong_platform_token_is_refused(app, token):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with platform(app) as web:
        response = web.post(f"{API}/organisations", headers=headers,
                            json={"slug": "salon-x", "name": "X", "jurisdiction": "DE"})
    assert response.status_code == 401


@pytest.mark.parametrize(("body", "field"), [
    ({"slug": "Salon Neu", "name": "X", "jurisdiction": "DE"}, "slug"),
    ({"name": "X", "jurisdiction": "DE", "logo_url": "ftp://x"}, "logo_url"),
    ({"jurisdiction": "DE"}, "name"),
])
def test_a_bad_new_organisation_is_refused_by_name_and_not_created(app, body, field):
    slug = f"salon-{uuid.uuid4().hex[:8]}"
    with platform(app) as web:
        response = web.post(f"{API}/organisations", headers={"Authorization": f"Bearer {PLATFORM}"},
                            json={"slug": slug, **body})
    assert response.status_code == 422
    assert error(response)["field"] == field
    with app.db.unit_of_work() as session:
        assert session.query(t.Organisation).filter(t.Organisation.slug.in_([slug, body.get("slug")])).count() == 0


def test_a_key_is_created_shown_once_listed_without_secret_and_revoked(app, org, web, auth):
    created = web.post(f"{API}/api-keys", headers=auth, json={"name": "newsletter tool", "scopes": ["read"]})
    assert created.status_code == 201
    plain, key_id = created.json()["key"], created.json()["id"]
    assert plain.startswith("ks_")
    listed = web.get(f"{API}/api-keys", headers=auth)
    assert listed.status_code == 200
    assert plain not in listed.text
    assert {k["name"] for k in listed.json()["items"]} == {"booking system", "newsletter tool"}
    reader = {"Authorization": f"Bearer {plain}"}
    assert web.get(f"{API}/organisation", headers=reader).status_code == 200
    revoked = web.delete(f"{API}/api-keys/{key_id}", headers=auth)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert web.get(f"{API}/organisation", headers=reader).status_code == 401


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "x", "scopes": ["admin"]}, "scopes.0"),
    ({"name": "x", "scopes": []}, "scopes"),
    ({"name": "", "scopes": ["read"]}, "name"),
    ({"name": "x", "scopes": ["read"], "expires": "never"}, "expires"),
])
def test_a_bad_key_request_is_refused_by_name(app, org, web, auth, body, field):
    response = web.post(f"{API}/api-keys", headers=auth, json=body)
    assert response.status_code == 422
    assert error(response)["field"] == field
    assert count(app, t.ApiKey, org) == 1


def test_a_read_only_key_can_neither_make_nor_revoke_keys(app, org, web, api_key):
    reader = read_only(app, org)
    assert web.post(f"{API}/api-keys", headers=reader, json={"name": "x", "scopes": ["write"]}).status_code == 403
    own = api_keys.listed(app, org)[0]
    assert web.delete(f"{API}/api-keys/{own.id}", headers=reader).status_code == 403
    assert api_keys.authenticate(app, api_key) is not None


def test_another_organisations_key_is_not_found(app, org, web, auth):
    _, theirs = other_organisation(app)
    their_key = web.get(f"{API}/api-keys", headers=theirs).json()["items"][0]
    assert web.delete(f"{API}/api-keys/{their_key['id']}", headers=auth).status_code == 404
    assert web.get(f"{API}/organisation", headers=theirs).status_code == 200


def test_the_command_line_creates_lists_and_revokes_keys(app, org, monkeypatch):
    monkeypatch.setattr("konsent.cli.apikey.app_from_env", lambda: app)
    runner = CliRunner()
    made = runner.invoke(cli, ["apikey", "create", "--org", org, "--name", "shop", "--scope", "read",
                               "--scope", "write", "--json"])
    assert made.exit_code == 0, made.output
    created = json.loads(made.output)
    assert api_keys.authenticate(app, created["key"]) is not None
    listed = runner.invoke(cli, ["apikey", "list", "--org", org])
    assert created["prefix"] in listed.output
    assert created["key"] not in listed.output
    revoked = runner.invoke(cli, ["apikey", "revoke", created["id"], "--org", org])
    assert revoked.exit_code == 0
    assert api_keys.authenticate(app, created["key"]) is None
    refused = runner.invoke(cli, ["apikey", "create", "--org", org, "--name", "x", "--scope", "admin"])
    assert refused.exit_code == 2
    assert "scopes" in refused.output
