"""Tenants never see each other's data: every route of /api/v1, called with organisation B's key and
organisation A's ids in every path parameter (and in bodies and queries where ids go), answers 403
or 404 (422 for a body naming a foreign id) — never a success with A's data, never a server error —
and leaves A's records exactly as they were.

Every route must be listed in ROUTES with how to fill it. A new route the table does not know fails
the test, so no route can be added without being checked here.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select

from konsent.services import api_keys, organisations
from konsent.services.context import Konsent
from konsent.storage import tables as t
from tests.web.world import IDS, World, populate

FOREIGN = frozenset({403, 404})
FOREIGN_IN_BODY = frozenset({403, 404, 422})


@dataclass(frozen=True)
class Ask:
    """How to call a route with A's ids. `foreign`: the request names A's data, so it must be refused;
    otherwise it acts on B's own data (a list, a create) and may succeed — without showing A's data.
    Each of `queries` is one call (a lookup by A's email, by A's external id, ...)."""

    body: Callable[[World], Any] | None = None
    queries: Callable[[World], list[dict[str, str]]] = field(default=lambda w: [{}])
    foreign: bool = True


def own(body: Callable[[World], Any] | None = None,
        queries: Callable[[World], list[dict[str, str]]] = lambda w: [{}]) -> Ask:
    return Ask(body=body, queries=queries, foreign=False)


# Path parameters that are ids, by name, filled with organisation A's record of that kind.
PATH: dict[str, Callable[[World], str]] = IDS
# Path parameters that are names each organisation has its own of: A's name, but B's record.
NAMES: dict[str, Callable[[World], str]] = {
    "trigger": lambda w: "booking_confirmation",
    "key": lambda w: w.template_key,
}

EVIDENCE = {"ip": "192.0.2.7"}
NEWSLETTER_BY_EMAIL = {"channel": "email", "kind": "newsletter"}


def _lookups(w: World) -> list[dict[str, str]]:
    return [{"external_id": w.external_id}, {"email": w.email}, {"phone": w.phone}, {"tag": "stammkunde"}, {}]


ROUTES: dict[tuple[str, str], Ask] = {
    # the caller's own organisation and keys
    ("GET", "/api/v1/organisation"): own(),
    ("PATCH", "/api/v1/organisation"): own(lambda w: {"sender_name": "Friseur Nachbar"}),
    ("POST", "/api/v1/organisations"): own(lambda w: {"slug": f"{w.slug}-c", "name": "Dritter Salon",
                                                      "jurisdiction": "AT"}),
    ("GET", "/api/v1/api-keys"): own(),
    ("POST", "/api/v1/api-keys"): own(lambda w: {"name": "reporting", "scopes": ["read"]}),
    ("DELETE", "/api/v1/api-keys/{key_id}"): Ask(),
    # customers: lookups by A's addresses find nothing; A's id is not found
    ("GET", "/api/v1/customers"): own(queries=_lookups),
    ("POST", "/api/v1/customers"): own(lambda w: {"email": w.email, "external_id": w.external_id,
                                                  "first_name": "Berta"}),
    ("GET", "/api/v1/customers/{customer_id}"): Ask(),
    ("PATCH", "/api/v1/customers/{customer_id}"): Ask(lambda w: {"first_name": "Mallory", "email": None}),
    ("GET", "/api/v1/customers/{customer_id}/purchases"): Ask(),
    ("POST", "/api/v1/customers/{customer_id}/purchases"): Ask(lambda w: {
        "occurred_at": "2026-11-01T10:00:00+01:00", "categories": ["haircut"], "contact_collected": ["email"]}),
    ("POST", "/api/v1/customers/{customer_id}/consents"): Ask(lambda w: {
        "channel": "email", "source": "online_form", "text_version_id": w.text_id, "evidence": EVIDENCE,
        "double_opt_in": True}),
    ("POST", "/api/v1/customers/{customer_id}/withdrawals"): Ask(lambda w: {"channel": "all"}),
    ("POST", "/api/v1/customers/{customer_id}/objections"): Ask(lambda w: {"channel": "all", "scope": "all"}),
    ("GET", "/api/v1/customers/{customer_id}/permissions"): Ask(),
    ("GET", "/api/v1/customers/{customer_id}/ledger"): Ask(),
    ("POST", "/api/v1/customers/{customer_id}/doi-requests"): Ask(lambda w: {"channel": "email",
                                                                             "consent_id": w.consent_id}),
    ("GET", "/api/v1/customers/{customer_id}/export"): Ask(),
    ("GET", "/api/v1/customers/{customer_id}/dossier"): Ask(),
    ("POST", "/api/v1/customers/{customer_id}/erasure"): Ask(),
    # ids in bodies
    ("POST", "/api/v1/doi/confirm-code"): Ask(lambda w: {"request_id": w.doi_request_id, "code": "123456"}),
    ("POST", "/api/v1/decide"): Ask(lambda w: {"customer_id": w.customer_id, **NEWSLETTER_BY_EMAIL}),
    # consent texts
    ("GET", "/api/v1/consent-texts"): own(queries=lambda w: [{"key": "newsletter"}, {}]),
    ("POST", "/api/v1/consent-texts"): own(lambda w: {"key": "newsletter", "locale": "de", "title": "Newsletter",
                                                      "body": "Ja, bitte."}),
    ("GET", "/api/v1/consent-texts/{text_id}"): Ask(),
    # host events name customers by the host's ids: B's event finds or makes B's customer
    ("POST", "/api/v1/events"): own(lambda w: {
        "type": "booking.created", "idempotency_key": f"booking-{w.marker}",
        "customer": {"external_id": w.external_id},
        "payload": {"booking_id": "b-1", "starts_at": "2026-12-01T10:00:00+01:00"}}),
    # campaigns
    ("GET", "/api/v1/campaigns"): own(queries=lambda w: [{}, {"status": "completed"}, {"status": "draft"}]),
    ("POST", "/api/v1/campaigns"): own(lambda w: {"name": "Winter", "kind": "newsletter", "channels": ["email"],
                                                  "template_key": w.template_key}),
    ("GET", "/api/v1/campaigns/{campaign_id}"): Ask(),
    ("PATCH", "/api/v1/campaigns/{campaign_id}"): Ask(lambda w: {"name": "Mallory"}),
    ("GET", "/api/v1/campaigns/{campaign_id}/preview"): Ask(),
    ("GET", "/api/v1/campaigns/{campaign_id}/status"): Ask(),
    ("POST", "/api/v1/campaigns/{campaign_id}/schedule"): Ask(),
    ("POST", "/api/v1/campaigns/{campaign_id}/pause"): Ask(),
    ("POST", "/api/v1/campaigns/{campaign_id}/resume"): Ask(),
    ("POST", "/api/v1/campaigns/{campaign_id}/cancel"): Ask(),
    ("POST", "/api/v1/campaigns/{campaign_id}/test-send"): Ask(lambda w: {"to": ["owner@salon.example"]}),
    # messages: filters naming A's records find nothing
    ("GET", "/api/v1/messages"): own(queries=lambda w: [{"customer_id": w.customer_id},
                                                        {"campaign_id": w.campaign_id}, {}]),
    ("GET", "/api/v1/messages/{message_id}"): Ask(),
    ("GET", "/api/v1/ledger/verify"): own(),
    # reports about the caller's organisation: nothing of A's in them
    ("GET", "/api/v1/reports/answer-pack"): own(),
    ("GET", "/api/v1/reports/dashboard"): own(),
    ("GET", "/api/v1/reports/processing-record"): own(),
    # automations and templates are addressed by name: B's own
    ("GET", "/api/v1/automations"): own(),
    ("PUT", "/api/v1/automations/{trigger}"): own(lambda w: {"channel": "email"}),
    ("DELETE", "/api/v1/automations/{trigger}"): own(queries=lambda w: [{"channel": "email"}]),
    ("GET", "/api/v1/templates"): own(queries=lambda w: [{"key": w.template_key}, {}]),
    ("PUT", "/api/v1/templates/{key}"): own(lambda w: {"channel": "email", "locale": "de", "subject": "Hallo",
                                                       "body_text": "Hallo {{ first_name }}"}),
    ("GET", "/api/v1/templates/{key}/preview"): own(queries=lambda w: [{"channel": "email", "locale": "de"}]),
    # webhooks
    ("GET", "/api/v1/webhooks"): own(),
    ("POST", "/api/v1/webhooks"): own(lambda w: {"url": "https://nachbar.example/hooks"}),
    ("GET", "/api/v1/webhooks/{endpoint_id}"): Ask(),
    ("DELETE", "/api/v1/webhooks/{endpoint_id}"): Ask(),
    ("GET", "/api/v1/webhooks/{endpoint_id}/deliveries"): Ask(),
}


def _api_routes(app: Any) -> list[tuple[str, str]]:
    # FastAPI keeps included routers as such: `app.routes` alone does not list their routes.
    found = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and str(context.path).startswith("/api/v1"):
            found += [(method, str(context.path)) for method in (context.methods or set()) - {"HEAD"}]
    return sorted(found)


def snapshot(app: Konsent, organisation_id: str) -> dict[str, list[str]]:
    """Every row the organisation owns, in every table: what must not change."""
    found: dict[str, list[str]] = {}
    with app.db.unit_of_work() as session:
        for table in t.Base.metadata.sorted_tables:
            if "organisation_id" not in table.c:
                continue
            rows = session.execute(select(table).where(table.c.organisation_id == organisation_id)).mappings()
            found[table.name] = sorted(json.dumps(dict(r), default=repr, sort_keys=True) for r in rows)
    return found


def test_every_route_is_known_to_this_test(web: TestClient) -> None:
    routes = set(_api_routes(web.app))
    unknown = sorted(routes - ROUTES.keys())
    gone = sorted(ROUTES.keys() - routes)
    assert not unknown, f"routes this test does not know how to fill with a foreign id — add them to ROUTES: {unknown}"
    assert not gone, f"ROUTES lists routes the app no longer has: {gone}"
    for method, path in routes:
        for name in _path_names(path):
            assert name in PATH or name in NAMES, f"{method} {path}: teach PATH or NAMES the parameter {name!r}"


def _check(label: str, response: Any, *, foreign: bool, body: Any, by_path: bool, asked: str,
           traces: dict[str, str]) -> list[str]:
    if response.status_code >= 500:
        return [f"{label}: {response.status_code} server error"]
    problems = []
    if foreign:
        allowed = FOREIGN if by_path or body is None else FOREIGN_IN_BODY
        if response.status_code not in allowed:
            problems.append(f"{label}: {response.status_code} for A's ids (expected one of {sorted(allowed)}): "
                            f"{response.text[:300]}")
        elif response.status_code == 422 and not _names_a_foreign_id(response.json(), body, traces):
            problems.append(f"{label}: 422 for another reason than A's id — the body is wrong, so the call proves "
                            f"nothing: {response.text[:300]}")
    leaked = sorted(name for name, value in traces.items() if value in response.text and value not in asked)
    if leaked:
        problems.append(f"{label}: the answer shows organisation A's {', '.join(leaked)}")
    return problems


def _names_a_foreign_id(answer: dict[str, Any], body: Any, traces: dict[str, str]) -> bool:
    """Whether a 422 is about A's id: its `field` points at a value of the body that is one of A's ids."""
    value: Any = body
    for part in str(answer.get("error", {}).get("field", "")).split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False
    return value in traces.values()


def _path_names(path: str) -> list[str]:
    return [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]


def test_another_organisations_key_finds_nothing_and_changes_nothing(app: Konsent, org: str, web: TestClient) -> None:
    a = populate(app, org)
    b = organisations.create(app, slug=f"{a.slug}-b", name="Friseur Nachbar", jurisdiction="DE").id
    b_key = api_keys.create(app, b, name="other shop", scopes=["read", "write"])[1]
    before = snapshot(app, org)
    traces = a.traces()
    problems: list[str] = []
    for method, path in _api_routes(web.app):
        ask = ROUTES.get((method, path))
        names = _path_names(path)
        if ask is None or any(n not in PATH and n not in NAMES for n in names):
            continue  # test_every_route_is_known_to_this_test names it
        url = path
        for name in names:
            url = url.replace("{" + name + "}", (PATH.get(name) or NAMES[name])(a))
        body = ask.body(a) if ask.body is not None else None
        foreign_path = any(n in PATH for n in names)
        for query in ask.queries(a):
            response = web.request(method, url, params=query, json=body, headers={"Authorization": f"Bearer {b_key}"})
            label = f"{method} {path}" + (f"?{'&'.join(query)}" if query else "")
            problems += _check(label, response, foreign=foreign_path or ask.foreign, body=body, by_path=foreign_path,
                               asked=url + json.dumps(query) + json.dumps(body), traces=traces)
    assert not problems, "\n".join(problems)
    assert snapshot(app, org) == before, "organisation B's calls changed organisation A's records"


def test_the_same_reads_with_the_owners_key_find_the_records(app: Konsent, org: str, web: TestClient) -> None:
    """The control: A's ids are real and A's traces recognisable, so B's 404s mean something."""
    a = populate(app, org)
    traces = a.traces()
    problems = []
    for method, path in _api_routes(web.app):
        names = _path_names(path)
        if method != "GET" or (method, path) not in ROUTES or not any(n in PATH for n in names):
            continue
        url = path
        for name in names:
            url = url.replace("{" + name + "}", (PATH.get(name) or NAMES[name])(a))
        response = web.get(url, headers={"Authorization": f"Bearer {a.api_key}"})
        if response.status_code != 200:
            problems.append(f"GET {path}: {response.status_code} for the owner: {response.text[:200]}")
    owner = {"Authorization": f"Bearer {a.api_key}"}
    for query in _lookups(a)[:3]:
        found = web.get("/api/v1/customers", params=query, headers=owner).text
        assert a.customer_id in found, f"the owner's lookup by {query} finds nothing"
        assert traces["marker"] in found
    assert not problems, "\n".join(problems)


def test_an_idempotency_key_replays_only_within_its_own_organisation(app: Konsent, org: str, web: TestClient) -> None:
    """The same `Idempotency-Key` and body from another organisation is a new request of that
    organisation, never a replay of the first one's answer (which names the first one's customer)."""
    a_key = api_keys.create(app, org, name="shop", scopes=["read", "write"])[1]
    b = organisations.create(app, slug=f"nachbar-{org[:8]}", name="Friseur Nachbar", jurisdiction="DE").id
    b_key = api_keys.create(app, b, name="other shop", scopes=["read", "write"])[1]
    body = {"email": "anna.berg@example.com", "external_id": "K-17", "first_name": "Anna"}
    first = web.post("/api/v1/customers", json=body,
                     headers={"Authorization": f"Bearer {a_key}", "Idempotency-Key": "signup-17"})
    again = web.post("/api/v1/customers", json=body,
                     headers={"Authorization": f"Bearer {a_key}", "Idempotency-Key": "signup-17"})
    other = web.post("/api/v1/customers", json=body,
                     headers={"Authorization": f"Bearer {b_key}", "Idempotency-Key": "signup-17"})
    assert first.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == first.json()["id"]  # the control: within A it does replay
    assert other.status_code == 201
    assert "Idempotent-Replayed" not in other.headers
    assert other.json()["id"] != first.json()["id"]
