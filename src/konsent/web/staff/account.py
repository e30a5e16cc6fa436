"""Signing in and out, the language switch, and the person's own password."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from konsent.errors import InputError, RateLimited
from konsent.services import staff
from konsent.web import csrf, ratelimit, sessions
from konsent.web.deps import konsent_of
from konsent.web.staff.guard import Anyone, form_scope
from konsent.web.staff.pages import back_to, redirect, render

router = APIRouter()
HOME = "/staff/customers"


@router.get("/", response_model=None)
def home(who: Anyone) -> Response:
    return redirect(HOME)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None, lang: str = "de", out: bool = False) -> HTMLResponse:
    lang = lang if lang in staff.LOCALES else "de"
    return render(request, None, "login.html", lang=lang, next=back_to(next, HOME), error=None, email="",
                  signed_out=out)


@router.post("/login", response_model=None)
async def login(request: Request, email: Annotated[str, Form(max_length=320)] = "",
                password: Annotated[str, Form(max_length=staff.MAX_PASSWORD)] = "",
                next: Annotated[str, Form(max_length=2000)] = "", lang: Annotated[str, Form()] = "de") -> Response:
    app = konsent_of(request)
    lang = lang if lang in staff.LOCALES else "de"
    form = await request.form()
    token = form.get(csrf.FIELD)
    try:
        csrf.check(request, app.settings, form_scope(None), token if isinstance(token, str) else None)
    except csrf.CsrfRefused:
        return _login_refused(request, lang, next, email, "csrf", 403)
    client = ratelimit.client_of(request)  # behind a proxy: uvicorn --proxy-headers, see web/ratelimit.py
    try:
        account = await _in_thread(request, email, password, client)
    except RateLimited as exc:
        return _login_refused(request, lang, next, email, str(exc).partition(": ")[2], 429)
    except InputError as exc:
        return _login_refused(request, lang, next, email, exc.message, 422, field=exc.field)
    response = redirect(back_to(next, HOME))
    fingerprint = staff.password_fingerprint(app, account.id) or ""
    sessions.begin(response, app.settings, account_id=account.id, fingerprint=fingerprint, now=app.now())
    return response


async def _in_thread(request: Request, email: str, password: str, client: str) -> staff.StaffView:
    # argon2 takes a moment of CPU on purpose: not on the event loop.
    return await run_in_threadpool(staff.authenticate, konsent_of(request), email, password, client=client)


def _login_refused(request: Request, lang: str, next: str, email: str, message: str, status: int,
                   field: str | None = None) -> Response:
    if message == "csrf":
        message = ("Das Formular ist abgelaufen; bitte erneut senden." if lang == "de"
                   else "The form has expired; please send it again.")
    return render(request, None, "login.html", status=status, lang=lang, next=back_to(next, HOME),
                  error={"field": field, "message": message}, email=email, signed_out=False)


@router.post("/logout", response_model=None)
def logout(request: Request, who: Anyone) -> Response:
    app = konsent_of(request)
    staff.sign_out(app, who.account.id)
    response = redirect(f"/staff/login?out=1&lang={who.lang}")
    sessions.end(response, app.settings)
    return response


@router.post("/locale", response_model=None)
def switch_language(request: Request, who: Anyone, lang: Annotated[str, Form()],
                    next: Annotated[str, Form(max_length=2000)] = "") -> Response:
    staff.set_locale(konsent_of(request), who.account.id, lang)
    return redirect(back_to(next, HOME))


@router.get("/password", response_class=HTMLResponse)
def password_page(request: Request, who: Anyone, changed: bool = False) -> HTMLResponse:
    return render(request, who, "password.html", section="password", error=None, changed=changed)


@router.post("/password", response_model=None)
def change_password(request: Request, who: Anyone,
                    current_password: Annotated[str, Form(max_length=staff.MAX_PASSWORD)] = "",
                    new_password: Annotated[str, Form(max_length=staff.MAX_PASSWORD)] = "") -> Response:
    app = konsent_of(request)
    try:
        changed = staff.change_password(app, who.account.id, current=current_password, new=new_password,
                                        actor=who.actor)
    except InputError as exc:
        return render(request, who, "password.html", status=422, section="password",
                      error={"field": exc.field, "message": exc.message}, changed=False)
    # This session goes on under the new password; every other one ends at its next request.
    response = redirect("/staff/password?changed=1")
    sessions.begin(response, app.settings, account_id=changed.id,
                   fingerprint=staff.password_fingerprint(app, changed.id) or "", now=app.now())
    return response
