"""Staff accounts: argon2id hashes, roles, a wall against guessing, and an audit trail."""

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from konsent.errors import Conflict, InputError, NotFound, RateLimited
from konsent.services import staff
from konsent.storage import tables as t

PASSWORD = "correct horse battery staple"
IP = "192.0.2.7"


def address(org, name="mia"):
    """Addresses are unique across organisations, and the tests share one database."""
    return f"{name}.{org[:8]}@salon.example"


def add_mia(app, org, **fields):
    values = {"email": address(org).upper(), "name": "Mia Owner", "password": PASSWORD, "role": "owner"}
    return staff.create(app, org, **{**values, **fields})


def test_only_an_argon2id_hash_of_the_password_is_stored(app, org):
    mia = add_mia(app, org)
    with app.db.unit_of_work() as session:
        stored = session.get(t.StaffAccount, mia.id)
        assert stored.password_hash.startswith("$argon2id$")
        assert PASSWORD not in stored.password_hash
    assert mia.email == address(org)


def test_a_person_signs_in_with_the_right_password_and_any_spelling_of_their_address(app, org, clock):
    mia = add_mia(app, org)
    signed = staff.authenticate(app, f" {address(org).capitalize()} ", PASSWORD, client=IP)
    assert signed.id == mia.id
    assert signed.last_login_at == clock.current


def test_a_wrong_password_an_unknown_address_and_a_disabled_account_are_refused_alike(app, org):
    add_mia(app, org)
    leo = staff.create(app, org, email=address(org, "leo"), name="Leo", password=PASSWORD, role="staff")
    staff.disable(app, org, leo.id, actor="staff:test")
    refusals = []
    for email, password in ((address(org), "wrong password"), (address(org, "nobody"), PASSWORD),
                            (address(org, "leo"), PASSWORD)):
        with pytest.raises(InputError) as refused:
            staff.authenticate(app, email, password, client=IP)
        refusals.append((refused.value.field, refused.value.message))
    assert len(set(refusals)) == 1
    assert refusals[0][0] == "password"


def test_five_failures_lock_the_address_for_that_client_even_with_the_right_password(app, org, clock):
    add_mia(app, org)
    for _ in range(staff.FAILURES_ALLOWED):
        with pytest.raises(InputError):
            staff.authenticate(app, address(org), "guess", client=IP)
    with pytest.raises(RateLimited):
        staff.authenticate(app, address(org), PASSWORD, client=IP)
    # Another client (the owner at the shop's own desk) is not locked out by a guesser elsewhere.
    assert staff.authenticate(app, address(org), PASSWORD, client="198.51.100.1")
    clock.advance(minutes=16)
    assert staff.authenticate(app, address(org), PASSWORD, client=IP)


def test_one_client_trying_one_password_on_many_addresses_is_stopped(app, org, clock):
    add_mia(app, org)
    sprayer = f"203.0.113.{int(org[:2], 16)}"  # a client of this test's own: the counters outlive tests
    for number in range(staff.CLIENT_FAILURES_ALLOWED):
        with pytest.raises(InputError):
            staff.authenticate(app, address(org, f"guess{number}"), "Sommer2026!", client=sprayer)
    with pytest.raises(RateLimited):
        staff.authenticate(app, address(org), PASSWORD, client=sprayer)
    assert staff.authenticate(app, address(org), PASSWORD, client=IP)  # Mia at her desk is not
    clock.advance(minutes=16)
    assert staff.authenticate(app, address(org), PASSWORD, client=sprayer)


def test_the_failure_counter_holds_no_address_and_no_ip(app, org):
    add_mia(app, org)
    with pytest.raises(InputError):
        staff.authenticate(app, address(org), "guess", client=IP)
    with app.db.unit_of_work() as session:
        keys = list(session.scalars(select(t.RateCounter.key).where(t.RateCounter.key.like("staff-login%"))))
    assert {key.partition(":")[0] for key in keys} == {"staff-login", "staff-login-client"}
    assert not [k for k in keys if "mia" in k or "salon" in k or IP in k]


def test_a_sign_in_after_failures_starts_the_count_again(app, org):
    add_mia(app, org)
    for _ in range(staff.FAILURES_ALLOWED - 1):
        with pytest.raises(InputError):
            staff.authenticate(app, address(org), "guess", client=IP)
    staff.authenticate(app, address(org), PASSWORD, client=IP)
    for _ in range(staff.FAILURES_ALLOWED - 1):
        with pytest.raises(InputError):
            staff.authenticate(app, address(org), "guess", client=IP)
    assert staff.authenticate(app, address(org), PASSWORD, client=IP)


@pytest.mark.parametrize(("field", "value", "named"), [
    ("email", "not an address", "email"),
    ("name", "", "name"),
    ("name", "Mia\nBcc: x", "name"),
    ("role", "admin", "role"),
    ("locale", "fr", "locale"),
    ("password", "short", "password"),
])
def test_bad_input_names_the_field_and_writes_nothing(app, org, field, value, named):
    with pytest.raises(InputError) as refused:
        add_mia(app, org, **{field: value})
    assert refused.value.field == named
    assert staff.listed(app, org) == []


def test_an_address_has_one_account_across_organisations(app, org):
    add_mia(app, org)
    with pytest.raises(Conflict):
        add_mia(app, org, role="staff")


def test_changing_the_password_needs_the_current_one_and_changes_the_fingerprint(app, org):
    mia = add_mia(app, org)
    before = staff.signed_in(app, mia.id)
    with pytest.raises(InputError) as refused:
        staff.change_password(app, mia.id, current="wrong one", new="another long password")
    assert refused.value.field == "current_password"
    staff.change_password(app, mia.id, current=PASSWORD, new="another long password", actor=mia.actor)
    after = staff.signed_in(app, mia.id)
    assert before is not None
    assert after is not None
    assert before.fingerprint != after.fingerprint
    with pytest.raises(InputError):
        staff.authenticate(app, mia.email, PASSWORD, client=IP)
    assert staff.authenticate(app, mia.email, "another long password", client=IP)


def test_the_last_owner_cannot_be_disabled(app, org):
    mia = add_mia(app, org)
    with pytest.raises(Conflict):
        staff.disable(app, org, mia.id, actor=mia.actor)
    ben = add_mia(app, org, email=address(org, "ben"), name="Ben")
    assert staff.disable(app, org, mia.id, actor=ben.actor).disabled_at is not None
    assert staff.signed_in(app, mia.id) is None


def test_an_account_of_another_organisation_cannot_be_disabled(app, org):
    from konsent.services import organisations  # noqa: PLC0415

    other = organisations.create(app, slug=f"other-{org[:8]}", name="Other", jurisdiction="AT").id
    theirs = add_mia(app, other, email=address(org, "olga"), name="Olga")
    with pytest.raises(NotFound):
        staff.disable(app, org, theirs.id, actor="staff:x")
    assert [a.id for a in staff.listed(app, org)] == []


def test_staff_changes_are_in_the_audit_log_with_the_staff_member_as_actor(app, org):
    mia = add_mia(app, org)
    leo = staff.create(app, org, email=address(org, "leo"), name="Leo", password=PASSWORD, role="staff",
                       actor=mia.actor)
    staff.disable(app, org, leo.id, actor=mia.actor)
    with app.db.unit_of_work() as session:
        entries = session.execute(select(t.AuditEntry.actor, t.AuditEntry.action, t.AuditEntry.subject).where(
            t.AuditEntry.organisation_id == org).order_by(t.AuditEntry.at, t.AuditEntry.action)).all()
    assert [tuple(e) for e in entries] == [(mia.actor, "staff.created", leo.id), (mia.actor, "staff.disabled", leo.id)]


def test_the_first_owner_is_made_on_the_command_line_with_the_password_from_stdin(tmp_path):
    import json  # noqa: PLC0415
    import os  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    environment = {**os.environ, "KONSENT__DATABASE__URL": f"sqlite:///{tmp_path / 'konsent.db'}",
                   "KONSENT__DATA_DIR": str(tmp_path)}

    def konsent(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "konsent", *args], input=stdin, capture_output=True, text=True,
                              timeout=60, check=False, env=environment, cwd=tmp_path)

    assert konsent("org", "create", "salon", "--name", "Salon").returncode == 0
    added = konsent("staff", "add", "--org", "salon", "--email", "Mia@Salon.example", "--name", "Mia", "--role",
                    "owner", "--password-stdin", "--json", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert PASSWORD not in added.stdout
    assert json.loads(added.stdout)["email"] == "mia@salon.example"
    listed = konsent("staff", "list", "--org", "salon")
    assert "mia@salon.example" in listed.stdout
    assert "owner" in listed.stdout
    refused = konsent("staff", "add", "--org", "salon", "--email", "leo@salon.example", "--name", "Leo",
                      "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert refused.returncode == 2
    assert refused.stderr.startswith("konsent: role: ")
    short = konsent("staff", "add", "--org", "salon", "--email", "leo@salon.example", "--name", "Leo",
                    "--password-stdin", stdin="short\n")
    assert short.returncode == 2
    assert short.stderr.startswith("konsent: password: ")
    assert "leo@" not in konsent("staff", "list", "--org", "salon").stdout


def test_the_production_hasher_is_argon2id_with_its_full_cost():
    assert staff.hasher.type.name == "ID"
    assert staff.hasher.memory_cost >= 65536


@pytest.fixture(autouse=True)
def cheap_hashes(request, monkeypatch):
    """argon2id with small parameters for speed, except where the production parameters are the subject."""
    if "production_hasher" not in request.node.name:
        monkeypatch.setattr(staff, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
