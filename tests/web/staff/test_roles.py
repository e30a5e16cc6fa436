"""Roles: the owner does everything; staff do the day-to-day but never see settings, API keys or
staff accounts, nor erase; the data protection officer reads everything and every write is 403."""

from konsent.services import api_keys, customers, organisation_settings, staff
from tests.web.staff.conftest import email_for, snapshot, writes

OVERSIGHT_PAGES = ("/staff/audit", "/staff/api-keys", "/staff/accounts", "/staff/settings")


def test_the_data_protection_officer_reads_everything(dpo, anna, world):
    for path in ("/staff/customers", f"/staff/customers/{anna}", "/staff/complaints",
                 f"/staff/complaints/{world['complaint']}", f"/staff/customers/{anna}/consents/{world['consent']}",
                 *OVERSIGHT_PAGES):
        dpo.page(path)
    assert dpo.client.get(f"/staff/customers/{anna}/dossier.pdf").content.startswith(b"%PDF")


def test_every_write_of_the_data_protection_officer_is_403_and_changes_nothing(app, org, dpo, anna, world):
    before = snapshot(app, org)
    for page, action, fields in writes(org, anna, world):
        response = dpo.post(action, fields, form_on=page)
        assert response.status_code == 403, action
    assert snapshot(app, org) == before


def test_the_data_protection_officer_sees_no_buttons_that_would_change_anything(dpo, anna, world):
    record = dpo.page(f"/staff/customers/{anna}")
    for form in ("action-consent", "action-complaint", "erase-form"):
        assert f'id="{form}"' not in record
    assert 'id="api-key-form"' not in dpo.page("/staff/api-keys")
    assert 'id="account-form"' not in dpo.page("/staff/accounts")
    assert 'id="settings-submit"' not in dpo.page("/staff/settings")
    assert 'id="answer-submit"' not in dpo.page(f"/staff/complaints/{world['complaint']}")


def test_staff_never_see_settings_api_keys_staff_accounts_or_the_audit_log(desk):
    for path in OVERSIGHT_PAGES:
        response = desk.client.get(path)
        assert response.status_code == 403, path
        assert "ks_" not in response.text
    navigation = desk.page("/staff/customers")
    assert 'id="nav-customers"' in navigation
    assert 'id="nav-api-keys"' not in navigation
    assert 'id="nav-settings"' not in navigation


def test_staff_cannot_change_settings_erase_or_manage_keys_and_accounts(app, org, desk, anna, world):
    before = snapshot(app, org)
    owner_only = {"/staff/api-keys", "/staff/accounts", "/staff/settings", f"/staff/customers/{anna}/erase",
                  f"/staff/api-keys/{world['key']}/revoke", f"/staff/accounts/{world['colleague']}/disable"}
    for page, action, fields in writes(org, anna, world):
        if action in owner_only:
            assert desk.post(action, fields, form_on=page).status_code == 403, action
    assert snapshot(app, org) == before
    assert 'id="erase-form"' not in desk.page(f"/staff/customers/{anna}")


def test_staff_do_the_day_to_day(app, org, desk, anna, world):
    assert desk.post(f"/staff/customers/{anna}/consents", {"channel": "email", "source": "manual_staff",
                                                         "agreed_now": "yes"},
                     form_on=f"/staff/customers/{anna}/consents/new").status_code == 303
    assert desk.post("/staff/complaints", {"customer": anna, "arrived_by": "phone", "summary": "zweite"},
                     form_on="/staff/complaints/new").status_code == 303


def test_the_owner_erases_a_customer_and_the_audit_log_names_them(app, org, owner, anna):
    response = owner.post(f"/staff/customers/{anna}/erase", {"confirm": "yes"}, form_on=f"/staff/customers/{anna}")
    assert response.status_code == 303
    page = owner.page(response.headers["location"])
    assert 'id="erased-note"' in page
    assert "anna.berg@example.com" not in page
    assert customers.show(app, org, anna).erased
    audit = owner.page("/staff/audit")
    assert 'data-action="customer.erased"' in audit
    assert owner.account.name in audit


def test_an_erasure_needs_the_box_ticked(app, org, owner, anna):
    response = owner.post(f"/staff/customers/{anna}/erase", {}, form_on=f"/staff/customers/{anna}")
    assert response.status_code == 422
    assert not customers.show(app, org, anna).erased


def test_the_owner_makes_an_api_key_that_is_shown_once_and_revokes_it(app, org, owner):
    created = owner.post("/staff/api-keys", {"name": "shop system", "read": "yes", "write": "yes"})
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    plain = created.text.split('id="new-key" value="')[1].split('"')[0]
    assert plain.startswith("ks_")
    caller = api_keys.authenticate(app, plain)
    assert caller is not None
    assert caller.scopes == frozenset({"read", "write"})
    listing = owner.page("/staff/api-keys")
    assert plain not in listing
    prefix = plain.split("_")[1]
    assert f'id="api-key-{prefix}"' in listing
    key_id = next(k.id for k in api_keys.listed(app, org) if k.prefix == prefix)
    assert owner.post(f"/staff/api-keys/{key_id}/revoke", form_on="/staff/api-keys").status_code == 303
    assert api_keys.authenticate(app, plain) is None


def test_a_key_without_a_name_or_scope_is_refused_with_the_field_named(app, org, owner):
    response = owner.post("/staff/api-keys", {"name": "shop"})
    assert response.status_code == 422
    assert ">scopes</span>" in response.text
    assert api_keys.listed(app, org) == []


def test_the_owner_adds_and_disables_staff_accounts(app, org, owner):
    response = owner.post("/staff/accounts", {"email": email_for(org, "ida"), "name": "Ida", "role": "dpo",
                                              "locale": "en", "password": "a long password 3"})
    assert response.status_code == 303
    ida = next(a for a in staff.listed(app, org) if a.name == "Ida")
    assert (ida.role, ida.locale) == ("dpo", "en")
    assert owner.post(f"/staff/accounts/{ida.id}/disable", form_on="/staff/accounts").status_code == 303
    assert staff.signed_in(app, ida.id) is None
    refused = owner.post("/staff/accounts", {"email": "not an address", "name": "X", "role": "staff",
                                             "password": "a long password 4"})
    assert refused.status_code == 422
    assert ">email</span>" in refused.text


def test_the_owner_changes_the_settings(app, org, owner):
    response = owner.post("/staff/settings", {"name": "Salon Sonne", "sender_name": "Salon Sonne",
                                              "sender_address": "Hauptstraße 1, 10115 Berlin",
                                              "imprint": "Salon Sonne GmbH", "privacy_url": "",
                                              "logo_url": "http://insecure.example/logo.png"})
    assert response.status_code == 422
    assert ">logo_url</span>" in response.text
    assert organisation_settings.show(app, org).name == "Salon Sonnenschein"
    response = owner.post("/staff/settings", {"name": "Salon Sonne", "sender_name": "Salon Sonne",
                                              "sender_address": "Hauptstraße 1, 10115 Berlin",
                                              "imprint": "Salon Sonne GmbH", "privacy_url": "", "logo_url": ""})
    assert response.status_code == 303
    changed = organisation_settings.show(app, org)
    assert (changed.name, changed.imprint, changed.privacy_url) == ("Salon Sonne", "Salon Sonne GmbH", None)
    assert 'id="settings-saved"' in owner.page(response.headers["location"])
