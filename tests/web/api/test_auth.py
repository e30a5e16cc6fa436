"""API keys: shown once, stored hashed, scoped, revocable."""

from konsent.services import api_keys
from konsent.storage import tables as t


def test_a_route_without_a_key_is_401_with_the_error_body(web):
    response = web.get("/api/v1/organisation")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorised"


def test_only_the_hash_of_a_key_is_stored(app, org, api_key):
    with app.db.unit_of_work() as session:
        stored = session.query(t.ApiKey).filter_by(organisation_id=org).one()
        assert api_key not in (stored.secret_hash, stored.prefix, stored.name)
        assert stored.prefix in api_key


def test_a_revoked_key_and_a_forged_key_are_refused(app, org, api_key):
    assert api_keys.authenticate(app, api_key) is not None
    assert api_keys.authenticate(app, api_key[:-2] + "xx") is None
    assert api_keys.authenticate(app, "ks_nothing") is None
    api_keys.revoke(app, org, api_key.split("_")[1])
    assert api_keys.authenticate(app, api_key) is None


def test_a_read_key_cannot_write(app, org):
    _, plain = api_keys.create(app, org, name="reporting", scopes=["read"])
    caller = api_keys.authenticate(app, plain)
    assert caller is not None
    assert caller.may("read")
    assert not caller.may("write")
