"""The library: message templates (library_templates.py), consent texts with their versions, the groups
of similar categories, and — read-only — how konsent sends and in whose name. Everyone reads the
library; changing it is a setting, the owner's. The transports page is the owner's and the officer's."""

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from konsent.errors import InputError, NotFound
from konsent.services import consents, organisation_settings, organisations
from konsent.storage import tables as t
from konsent.web.deps import konsent_of
from konsent.web.staff import library_templates
from konsent.web.staff.guard import Anyone, Oversight, Owner, Staff
from konsent.web.staff.pages import redirect, render

router = APIRouter()
router.include_router(library_templates.router)
TextKey = Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{1,100}$")]
Locale = Annotated[str, Path(pattern=r"^(de|en)$")]


@dataclass(frozen=True)
class TextShown:
    key: str
    locale: str
    versions: list[t.ConsentText]  # newest first


def _texts(request: Request, who: Staff, key: str | None = None, locale: str | None = None) -> list[TextShown]:
    with konsent_of(request).db.unit_of_work() as session:
        organisation = organisations.get(session, who.organisation_id)
        c = t.ConsentText
        query = select(c).where(c.organisation_id == organisation.id)
        if key is not None:
            query = query.where(c.key == key, c.locale == locale)
        found: dict[tuple[str, str], list[t.ConsentText]] = {}
        for row in session.scalars(query.order_by(c.key, c.locale, c.version.desc())):
            found.setdefault((row.key, row.locale), []).append(row)
        return [TextShown(k, loc, rows) for (k, loc), rows in found.items()]


@router.get("/library", response_class=HTMLResponse)
def index(request: Request, who: Anyone, saved: bool = False) -> HTMLResponse:
    return _index(request, who, saved=saved)


def _index(request: Request, who: Staff, *, saved: bool = False, error: InputError | None = None,
           groups: str | None = None, status: int = 200) -> HTMLResponse:
    organisation = organisation_settings.show(konsent_of(request), who.organisation_id)
    current = "\n".join(", ".join(group) for group in organisation.similar_categories)
    return render(request, who, "templates.html", status=status, section="library",
                  templates=library_templates.newest(request, who), texts=_texts(request, who), saved=saved,
                  groups=organisation.similar_categories, groups_text=current if groups is None else groups,
                  error={"field": error.field, "message": error.message} if error else None)


@router.post("/library/categories", response_model=None)
def similar(request: Request, who: Owner, groups: Annotated[str, Form(max_length=20_000)] = "") -> Response:
    parsed = [[part.strip() for part in line.split(",") if part.strip()] for line in groups.splitlines()]
    try:
        organisation_settings.change(konsent_of(request), who.organisation_id,
                                     {"similar_categories": [group for group in parsed if group]}, actor=who.actor)
    except InputError as error:
        return _index(request, who, error=error, groups=groups, status=422)
    return redirect("/staff/library?saved=1#categories")


@router.get("/library/texts/{key}/{locale}", response_class=HTMLResponse)
def text(request: Request, who: Anyone, key: TextKey, locale: Locale) -> HTMLResponse:
    found = _texts(request, who, key, locale)
    if not found:
        raise NotFound("consent text", f"{key} ({locale})")
    return render(request, who, "text.html", section="library", text=found[0])


@router.get("/library/texts/new", response_class=HTMLResponse)
def new_text(request: Request, who: Owner, key: Annotated[str, Query(max_length=100)] = "",
             locale: Annotated[str, Query(max_length=5)] = "") -> HTMLResponse:
    """A new text, or the next version of one (its key and language given)."""
    return render(request, who, "text_form.html", section="library", error=None,
                  values={"key": key, "locale": locale if locale in ("de", "en") else who.lang})


@router.post("/library/texts", response_model=None)
def save_text(request: Request, who: Owner, key: Annotated[str, Form(max_length=100)] = "",
              locale: Annotated[str, Form(max_length=5)] = "", title: Annotated[str, Form(max_length=300)] = "",
              body: Annotated[str, Form(max_length=20_000)] = "") -> Response:
    values = {"key": key, "locale": locale, "title": title, "body": body}
    try:
        if not key.strip() or not all(c.isalnum() or c in "._-" for c in key.strip()):
            raise InputError("key", "use 1 to 100 letters, digits, dots, dashes or underscores")
        if not title.strip() or "\n" in title:
            raise InputError("title", "must be one line")
        saved = consents.consent_text(konsent_of(request), who.organisation_id, key=key.strip(), locale=locale,
                                      title=title.strip(), body=body)
    except InputError as error:
        return render(request, who, "text_form.html", status=422, section="library", values=values,
                      error={"field": error.field, "message": error.message})
    return redirect(f"/staff/library/texts/{saved.key}/{saved.locale}")


@router.get("/transports", response_class=HTMLResponse)
def transports(request: Request, who: Oversight) -> HTMLResponse:
    """How konsent sends, from the server's settings; no password, token or secret ever shows."""
    app = konsent_of(request)
    smtp, sms = app.settings.smtp, app.settings.sms
    organisation = organisation_settings.show(app, who.organisation_id)
    endpoint = urlsplit(sms.url).hostname if sms.url else None  # a URL may carry credentials: the host only
    return render(request, who, "transports.html", section="library", smtp=smtp, sms_provider=sms.provider,
                  sms_endpoint=endpoint, sms_sender=sms.sender, smtp_login=bool(smtp.username),
                  sender_name=organisation.sender_name, sender_address=organisation.sender_address,
                  organisation_name=organisation.name)
