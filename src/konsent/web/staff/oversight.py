"""What the owner runs and the data protection officer reviews: the audit log, API keys, staff
accounts and the organisation's settings. Staff see none of it; only the owner changes it."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from konsent.errors import InputError
from konsent.services import api_keys, customer_record, organisation_settings, staff
from konsent.web.deps import konsent_of
from konsent.web.staff.guard import Oversight, Owner, Staff
from konsent.web.staff.pages import redirect, render

router = APIRouter()
SETTINGS = ("name", "sender_name", "sender_address", "imprint", "privacy_url", "logo_url")


@router.get("/audit", response_class=HTMLResponse)
def audit_log(request: Request, who: Oversight,
              cursor: Annotated[str | None, Query(max_length=120)] = None) -> HTMLResponse:
    app = konsent_of(request)
    found = staff.audit_log(app, who.organisation_id, cursor=cursor)
    return render(request, who, "audit.html", section="audit", found=found, paged=cursor is not None,
                  names=customer_record.staff_names(app, who.organisation_id))


@router.get("/api-keys", response_class=HTMLResponse)
def keys(request: Request, who: Oversight) -> HTMLResponse:
    return _keys(request, who, error=None)


def _keys(request: Request, who: Staff, *, error: InputError | None, status: int = 200) -> HTMLResponse:
    return render(request, who, "api_keys.html", status=status, section="api_keys",
                  keys=api_keys.listed(konsent_of(request), who.organisation_id),
                  error={"field": error.field, "message": error.message} if error else None)


@router.post("/api-keys", response_model=None)
def create_key(request: Request, who: Owner, name: Annotated[str, Form(max_length=200)] = "",
               read: Annotated[str, Form(max_length=8)] = "",
               write: Annotated[str, Form(max_length=8)] = "") -> Response:
    scopes = [scope for scope, ticked in (("read", read), ("write", write)) if ticked == "yes"]
    try:
        view, plain = api_keys.create(konsent_of(request), who.organisation_id, name=name, scopes=scopes,
                                      actor=who.actor)
    except InputError as error:
        return _keys(request, who, error=error, status=422)
    # Shown in this answer only: konsent keeps just its hash. No redirect, so no URL ever holds it.
    return render(request, who, "api_key_created.html", section="api_keys", key=view, plain=plain)


@router.post("/api-keys/{key_id}/revoke", response_model=None)
def revoke_key(request: Request, who: Owner, key_id: str) -> Response:
    api_keys.revoke(konsent_of(request), who.organisation_id, key_id, actor=who.actor)
    return redirect("/staff/api-keys")


@router.get("/accounts", response_class=HTMLResponse)
def accounts(request: Request, who: Oversight) -> HTMLResponse:
    return _accounts(request, who, error=None, values={})


def _accounts(request: Request, who: Staff, *, error: InputError | None, values: dict[str, str],
              status: int = 200) -> HTMLResponse:
    return render(request, who, "accounts.html", status=status, section="accounts",
                  accounts=staff.listed(konsent_of(request), who.organisation_id), roles=staff.ROLES, values=values,
                  error={"field": error.field, "message": error.message} if error else None)


@router.post("/accounts", response_model=None)
def create_account(request: Request, who: Owner, email: Annotated[str, Form(max_length=320)] = "",
                   name: Annotated[str, Form(max_length=200)] = "", role: Annotated[str, Form(max_length=16)] = "",
                   locale: Annotated[str, Form(max_length=5)] = "de",
                   password: Annotated[str, Form(max_length=staff.MAX_PASSWORD)] = "") -> Response:
    try:
        staff.create(konsent_of(request), who.organisation_id, email=email, name=name, password=password, role=role,
                     locale=locale, actor=who.actor)
    except InputError as error:
        return _accounts(request, who, error=error, values={"email": email, "name": name, "role": role,
                                                            "locale": locale}, status=422)
    return redirect("/staff/accounts")


@router.post("/accounts/{account_id}/disable", response_model=None)
def disable_account(request: Request, who: Owner, account_id: str) -> Response:
    staff.disable(konsent_of(request), who.organisation_id, account_id, actor=who.actor)
    return redirect("/staff/accounts")


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, who: Oversight, saved: bool = False) -> HTMLResponse:
    organisation = organisation_settings.show(konsent_of(request), who.organisation_id)
    values = {name: getattr(organisation, name) or "" for name in SETTINGS}
    return render(request, who, "settings.html", section="settings", values=values, error=None, saved=saved)


@router.post("/settings", response_model=None)
def change_settings(
    request: Request, who: Owner, name: Annotated[str, Form(max_length=200)] = "",
    sender_name: Annotated[str, Form(max_length=200)] = "", sender_address: Annotated[str, Form(max_length=2000)] = "",
    imprint: Annotated[str, Form(max_length=5000)] = "", privacy_url: Annotated[str, Form(max_length=2000)] = "",
    logo_url: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    given = {"name": name, "sender_name": sender_name, "sender_address": sender_address, "imprint": imprint,
             "privacy_url": privacy_url, "logo_url": logo_url}
    # An emptied optional field removes the setting; the name can only be changed.
    changes = {key: (value.strip() or None) for key, value in given.items()}
    try:
        organisation_settings.change(konsent_of(request), who.organisation_id, changes, actor=who.actor)
    except InputError as error:
        return render(request, who, "settings.html", status=422, section="settings", values=given,
                      error={"field": error.field, "message": error.message}, saved=False)
    return redirect("/staff/settings?saved=1")
