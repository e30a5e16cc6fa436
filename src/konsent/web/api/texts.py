"""API: consent texts — the exact wording a person saw when they consented, kept version by version.
A new version never changes an old one, and a version a consent points at is frozen."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from konsent.services import consents, organisations
from konsent.storage import tables as t
from konsent.web.api import idempotency, ids
from konsent.web.api.auth import Reader, Writer
from konsent.web.api.models import READ_ERRORS, WRITE_ERRORS, ConsentTextOut, Locale, NewConsentText, Text
from konsent.web.api.paging import Cursor, Limit, Page, page, paged
from konsent.web.api.values import Print
from konsent.web.deps import konsent_of

router = APIRouter(tags=["texts"])


@router.get("/consent-texts", responses=READ_ERRORS)
def listed(request: Request, caller: Reader,
           key: Annotated[Text | None, Query(min_length=1, max_length=100)] = None, locale: Locale | None = None,
           limit: Limit = 50, cursor: Cursor = None) -> Page[ConsentTextOut]:
    """Every version, oldest first; narrowed to one text's versions with `key` (and `locale`)."""
    with konsent_of(request).db.unit_of_work() as session:
        organisation = organisations.get(session, caller.organisation_id)
        c = t.ConsentText
        query = select(c).where(c.organisation_id == organisation.id)
        if key is not None:
            query = query.where(c.key == key)
        if locale is not None:
            query = query.where(c.locale == locale)
        rows = list(session.scalars(paged(query, c.created_at, c.id, cursor, limit)))
        return page(rows, limit, lambda r: (r.created_at, r.id), ConsentTextOut.model_validate)


@router.post("/consent-texts", status_code=201, response_model=ConsentTextOut, responses=WRITE_ERRORS)
def create(request: Request, caller: Writer, new: NewConsentText, print_: Print) -> JSONResponse:
    """A new version of the text named `key` in `locale` (version 1 if it is new)."""
    app = konsent_of(request)

    def run() -> ConsentTextOut:
        return ConsentTextOut.model_validate(consents.consent_text(
            app, caller.organisation_id, key=new.key, locale=new.locale, title=new.title, body=new.body))

    return idempotency.replay_or_run(request, caller, print_, run, 201)


@router.get("/consent-texts/{text_id}", responses=READ_ERRORS)
def show(request: Request, caller: Reader, text_id: ids.TextId) -> ConsentTextOut:
    with konsent_of(request).db.unit_of_work() as session:
        organisation = organisations.get(session, caller.organisation_id)
        return ConsentTextOut.model_validate(consents.require_text(session, organisation,
                                                                   ids.checked("consent text", text_id)))
